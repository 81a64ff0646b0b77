#pragma once

// The body of POST /api/v1/imports as people send it: the CSV itself
// (`curl --data-binary @inventory.csv`), or a form holding the file
// (`curl -F file=@inventory.csv`, a browser's <form enctype="multipart/form-data">).
// A spreadsheet, by its bytes or its name, is refused with 415 and a line
// saying to save it as CSV (inventory/spreadsheet.h).

#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::admin {

// One part of a multipart/form-data body (RFC 7578).
struct FormFile {
    std::string name;          // the form field's name ("file")
    std::string filename;      // as the client sent it; "" when none
    std::string content_type;  // the part's own; "" when none
    std::string bytes;
};

// The one part of a multipart/form-data body, whose boundary is the
// Content-Type's parameter. Refused with a 400 naming what is wrong: no
// boundary (or one RFC 2046 does not allow), no part, more than one, a part
// that is not form-data or carries a Content-Transfer-Encoding, headers over
// 8 KiB, a body that ends before its closing boundary. The body was already
// held to the import's size limit; the part is within it.
Result<FormFile> formFile(std::string_view content_type, std::string_view body);

struct ImportUpload {
    std::string bytes;     // the CSV
    std::string filename;  // the form's file name; "" for a raw body
};

// What the import reads, from the request's Content-Type and body: a form's
// file, or the body as it came (any other type, as before: curl's default
// application/x-www-form-urlencoded included). Another multipart type is
// 415; so is a spreadsheet (reason "unsupported_media_type").
Result<ImportUpload> importUpload(std::string_view content_type, std::string body);

}  // namespace prov::admin
