// The body of an import (provisioner/admin/import_upload.h): a raw CSV or a
// multipart/form-data form from anyone with an admin's token. The input's
// first line is the Content-Type, the rest the body. What a form yields is
// a piece of the body, named without control characters, and the same form
// built again around it reads back the same.

#include "fuzz_check.h"
#include "provisioner/admin/import_upload.h"

using namespace prov;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input = prov::fuzz::bytes(data, size);
    const size_t eol = input.find('\n');
    const std::string_view type = input.substr(0, eol);
    const std::string body(eol == std::string_view::npos ? std::string_view()
                                                         : input.substr(eol + 1));

    const Result<admin::ImportUpload> upload = admin::importUpload(type, body);
    if (!upload) {
        FUZZ_CHECK(!upload.error().message.empty());
        FUZZ_CHECK(upload.error().message.find('\n') == std::string::npos);
        return 0;
    }
    FUZZ_CHECK(upload.value().bytes.size() <= body.size());
    FUZZ_CHECK(body.find(upload.value().bytes) != std::string::npos);
    for (char c : upload.value().filename)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);

    const Result<admin::FormFile> form = admin::formFile(type, body);
    if (!form) return 0;  // a raw body
    // Rebuilt the way curl -F writes a form, with a boundary the file does not hold.
    const std::string boundary = "fuzz-boundary-7d3f";
    if (form.value().bytes.find(boundary) != std::string::npos) return 0;
    const std::string again = "--" + boundary +
                              "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" +
                              form.value().bytes + "\r\n--" + boundary + "--\r\n";
    const Result<admin::FormFile> back =
        admin::formFile("multipart/form-data; boundary=" + boundary, again);
    FUZZ_CHECK(back);
    FUZZ_CHECK(back.value().bytes == form.value().bytes);
    return 0;
}
