#include "provisioner/admin/import_upload.h"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>

#include "provisioner/core/text.h"
#include "provisioner/inventory/spreadsheet.h"

namespace prov::admin {

namespace {

// A part's header block (RFC 7578 parts carry two or three lines); larger
// is no form a client means to send.
constexpr size_t kMaxHeadBytes = 8192;
constexpr size_t kMaxHeadLines = 32;
// What of a client's text an error repeats.
constexpr size_t kMaxEcho = 100;

Error bad(const std::string& why) {
    return Error::invalid("the multipart/form-data body: " + why, {{"body", why}});
}

std::string echo(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, kMaxEcho))
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    return out;
}

// "multipart/form-data; boundary=x" -> "multipart/form-data"
std::string mediaType(std::string_view content_type) {
    return Poco::toLower(text::trim(content_type.substr(0, content_type.find(';'))));
}

// The boundary parameter (quoted or not), as RFC 2046 5.1.1 allows it.
Result<std::string> boundaryOf(std::string_view content_type) {
    std::string value;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(std::string(content_type), value, params);
    if (!params.has("boundary"))
        return bad("the Content-Type names no boundary (multipart/form-data; boundary=...)");
    const std::string b = params.get("boundary");
    if (b.empty() || b.size() > 70 || b.find_first_of("\r\n") != std::string::npos ||
        b.back() == ' ')
        return bad("the boundary must be 1 to 70 characters, not ending in a space (RFC 2046)");
    return b;
}

// "C:\Users\me\inventory.csv" (as old browsers send it) -> "inventory.csv"
std::string baseName(const std::string& name) {
    const size_t slash = name.find_last_of("/\\");
    return echo(slash == std::string::npos ? name : name.substr(slash + 1));
}

// One part's header lines into `file`; refuses what RFC 7578 does not send.
Status readHead(std::string_view head, FormFile& file) {
    bool form_data = false;
    size_t lines = 0;
    size_t start = 0;
    while (start < head.size()) {
        if (++lines > kMaxHeadLines)
            return bad("a part has more than " + std::to_string(kMaxHeadLines) + " header lines");
        size_t end = head.find("\r\n", start);
        if (end == std::string_view::npos) end = head.size();
        const std::string_view line = head.substr(start, end - start);
        start = end + 2;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return bad("a part's header line has no ':' ('" + echo(line) + "')");
        const std::string name = Poco::toLower(text::trim(line.substr(0, colon)));
        const std::string value = text::trim(line.substr(colon + 1));
        if (name == "content-disposition") {
            std::string kind;
            Poco::Net::NameValueCollection params;
            Poco::Net::MessageHeader::splitParameters(value, kind, params);
            form_data = Poco::icompare(kind, "form-data") == 0;
            file.name = echo(params.get("name", ""));
            file.filename = baseName(params.get("filename", params.get("filename*", "")));
        } else if (name == "content-type") {
            file.content_type = echo(value);
        } else if (name == "content-transfer-encoding") {
            const std::string e = Poco::toLower(value);
            if (e != "binary" && e != "8bit" && e != "7bit")
                return bad("Content-Transfer-Encoding " + echo(value) +
                           " is not read: send the file as it is");
        }
    }
    if (!form_data) return bad("a part has no 'Content-Disposition: form-data' (RFC 7578)");
    return okStatus();
}

}  // namespace

Result<FormFile> formFile(std::string_view content_type, std::string_view body) {
    const std::string delimiter = "--" + TRY(boundaryOf(content_type));
    const std::string next_delimiter = "\r\n" + delimiter;
    size_t pos = 0;
    // A preamble before the first boundary is allowed, and ignored.
    if (body.substr(0, delimiter.size()) == delimiter) {
        pos = delimiter.size();
    } else {
        const size_t at = body.find(next_delimiter);
        if (at == std::string_view::npos)
            return bad("no part starts with the boundary of the Content-Type");
        pos = at + next_delimiter.size();
    }
    FormFile file;
    // One part is taken; the loop ends at the closing boundary or refuses a second.
    for (int part = 0; part < 2; ++part) {
        if (body.substr(pos, 2) == "--") {
            if (part == 0) return bad("the form holds no file");
            return file;
        }
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
            ++pos;  // transport padding
        if (pos >= body.size()) return bad("the body ends before its closing boundary");
        if (body.substr(pos, 2) != "\r\n") return bad("a boundary line must end with CRLF");
        if (part == 1)
            return bad(
                "the form holds more than one part: send one, the CSV file (options such as "
                "dry_run go in the query)");
        pos += 2;
        // Every part of a form names itself (Content-Disposition): it has header lines.
        if (body.substr(pos, 2) == "\r\n")
            return bad("a part has no 'Content-Disposition: form-data' (RFC 7578)");
        const size_t head_end = body.substr(pos, kMaxHeadBytes + 4).find("\r\n\r\n");
        if (head_end == std::string_view::npos)
            return bad("a part's header lines do not end within " + std::to_string(kMaxHeadBytes) +
                       " bytes");
        TRY(readHead(body.substr(pos, head_end), file));
        const size_t content = pos + head_end + 4;
        const size_t end = body.find(next_delimiter, content);
        if (end == std::string_view::npos) return bad("the body ends before its closing boundary");
        file.bytes = std::string(body.substr(content, end - content));
        pos = end + next_delimiter.size();
    }
    return file;  // not reached: the second turn returns
}

Result<ImportUpload> importUpload(std::string_view content_type, std::string body) {
    const std::string type = mediaType(content_type);
    ImportUpload upload;
    if (type == "multipart/form-data") {
        FormFile file = TRY(formFile(content_type, body));
        upload.bytes = std::move(file.bytes);
        upload.filename = std::move(file.filename);
    } else if (type.rfind("multipart/", 0) == 0) {
        return Error{Code::kInvalidArgument,
                     "unsupported_media_type",
                     "an import is the CSV itself as the body, or a multipart/form-data form "
                     "holding it (curl -F "
                     "file=@inventory.csv), not " +
                         echo(type),
                     {{"Content-Type", "text/csv or multipart/form-data"}},
                     {}};
    } else {
        upload.bytes = std::move(body);
    }
    if (const auto kind = spreadsheetKind(upload.bytes, upload.filename))
        return spreadsheetRefusal(*kind, upload.filename);
    return upload;
}

}  // namespace prov::admin
