// The body of POST /api/v1/imports: a raw CSV, a multipart/form-data form
// as curl -F and browsers send it, refusals as tables of byte strings, and
// every truncation of a good form refused.

#include "provisioner/admin/import_upload.h"

#include <catch2/catch.hpp>
#include <string>

using namespace prov;
using namespace prov::admin;
using namespace std::string_literals;

namespace {

const std::string kCsv =
    "mac,extension,callerid_name\r\n00:15:65:00:00:01,201,\"Alice, \"\"A\"\"\"\r\n";

// What curl 7.88 -F file=@inv.csv sends (its boundary, its part headers).
std::string curlForm(const std::string& boundary, const std::string& filename,
                     const std::string& bytes) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
           filename + "\"\r\nContent-Type: text/csv\r\n\r\n" + bytes + "\r\n--" + boundary +
           "--\r\n";
}

const std::string kBoundary = "------------------------d74496d66958873e";
const std::string kType = "multipart/form-data; boundary=" + kBoundary;

}  // namespace

TEST_CASE("a form's one file is the import, byte for byte, as the raw body is") {
    auto up = importUpload(kType, curlForm(kBoundary, "inv.csv", kCsv));
    REQUIRE(up);
    CHECK(up.value().bytes == kCsv);
    CHECK(up.value().filename == "inv.csv");

    // A quoted boundary, any case of the type, a preamble, padding after the
    // boundary, an Excel-on-Windows part type for a .csv, a client's path.
    const std::string body =
        "ignored preamble\r\n--a b:c \t\r\nContent-Disposition: form-data; name=\"inventory\"; "
        "filename=\"/home/me/inv.csv\"\r\ncontent-type: application/vnd.ms-excel\r\n\r\n" +
        kCsv + "\r\n--a b:c--";
    up = importUpload("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"", body);
    INFO((up ? "" : up.error().message));
    REQUIRE(up);
    CHECK(up.value().bytes == kCsv);
    CHECK(up.value().filename == "inv.csv");

    // A form's part whose content holds CRLF-- lines that are not the boundary.
    const std::string tricky = kCsv + "\r\n--not-the-boundary\r\n--" + kBoundary.substr(0, 10);
    up = importUpload(kType, curlForm(kBoundary, "inv.csv", tricky));
    REQUIRE(up);
    CHECK(up.value().bytes == tricky);

    // Any other type is the body as it came: curl --data-binary's default included.
    for (const char* type :
         {"text/csv", "application/x-www-form-urlencoded", "", "application/octet-stream"}) {
        up = importUpload(type, kCsv);
        REQUIRE(up);
        CHECK(up.value().bytes == kCsv);
        CHECK(up.value().filename.empty());
    }
}

TEST_CASE("a form that is not one form-data file is refused, naming what is wrong") {
    struct Case {
        std::string type;
        std::string body;
        const char* says;
    };
    const std::string b = kBoundary;
    const std::string part =
        "Content-Disposition: form-data; name=\"file\"; filename=\"inv.csv\"\r\n\r\n" + kCsv;
    const Case cases[] = {
        {"multipart/form-data", curlForm(b, "inv.csv", kCsv), "names no boundary"},
        {"multipart/form-data; boundary=", curlForm(b, "inv.csv", kCsv), "1 to 70 characters"},
        {"multipart/form-data; boundary=" + std::string(71, 'x'), curlForm(b, "i.csv", kCsv),
         "1 to 70 characters"},
        {kType, kCsv, "no part starts with the boundary"},
        {kType, "--" + b + "--\r\n", "holds no file"},
        {kType, "--" + b + "\r\n" + part + "\r\n--" + b + "\r\n" + part + "\r\n--" + b + "--",
         "more than one part"},
        {kType, "--" + b + "\r\n" + part + "\r\n--" + b + "XY",
         "a boundary line must end with CRLF"},
        {kType, "--" + b + "\r\n" + part + "\r\n--" + b, "ends before its closing boundary"},
        {kType, "--" + b + "\r\n" + part, "ends before its closing boundary"},
        {kType, "--" + b + "\r\n" + part + "\n--" + b + "--", "ends before its closing boundary"},
        {kType, "--" + b + "\r\n\r\n" + kCsv + "\r\n--" + b + "--",
         "no 'Content-Disposition: form-data'"},
        {kType, "--" + b + "\r\nContent-Type: text/csv\r\n\r\n" + kCsv + "\r\n--" + b + "--",
         "no 'Content-Disposition: form-data'"},
        {kType,
         "--" + b + "\r\nContent-Disposition: attachment; filename=\"a.csv\"\r\n\r\n" + kCsv +
             "\r\n--" + b + "--",
         "no 'Content-Disposition: form-data'"},
        {kType,
         "--" + b +
             "\r\nContent-Disposition: form-data; name=\"f\"\r\nContent-Transfer-Encoding: "
             "base64\r\n\r\n" +
             "bWFj\r\n--" + b + "--",
         "Content-Transfer-Encoding base64 is not read"},
        {kType, "--" + b + "\r\nno colon here\r\n\r\nx\r\n--" + b + "--", "has no ':'"},
        {kType, "--" + b + "\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\nx\r\n--" + b + "--",
         "do not end within 8192 bytes"},
    };
    for (const Case& c : cases) {
        INFO(c.type << " | " << c.body.substr(0, 120));
        auto up = importUpload(c.type, c.body);
        REQUIRE_FALSE(up);
        CHECK(up.error().code == Code::kInvalidArgument);
        CHECK(up.error().reason == "invalid_input");  // 400
        CHECK(up.error().message.rfind("the multipart/form-data body: ", 0) == 0);
        CHECK(up.error().message.find(c.says) != std::string::npos);
    }
}

TEST_CASE("every truncation of a good form is refused, never read as a shorter file") {
    const std::string body = curlForm(kBoundary, "inv.csv", kCsv);
    // The closing boundary's "--" is what ends a form: the body without its
    // last CRLF is still whole.
    const size_t whole = body.size() - 2;
    for (size_t n = 0; n < whole; ++n) {
        INFO(n);
        CHECK_FALSE(formFile(kType, std::string_view(body).substr(0, n)));
    }
    REQUIRE(formFile(kType, std::string_view(body).substr(0, whole)));
}

TEST_CASE("spreadsheets and other multipart types are 415, with a line saying to save as CSV") {
    const std::string xlsx =
        "PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml"s + std::string(64, '\0');
    struct Case {
        std::string type;
        std::string body;
        const char* says;
    };
    const Case cases[] = {
        {kType, curlForm(kBoundary, "inv.xlsx", xlsx),
         "inv.xlsx is an Excel workbook (.xlsx), not CSV"},
        {kType, curlForm(kBoundary, "inv.csv", xlsx),
         "inv.csv is an Excel workbook (.xlsx), not CSV"},
        {kType, curlForm(kBoundary, "inv.ods", kCsv),
         "inv.ods is an OpenDocument spreadsheet (.ods), not CSV"},
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx,
         "the file is an Excel workbook (.xlsx), not CSV"},
        {"text/csv", xlsx, "the file is an Excel workbook (.xlsx)"},
        {"multipart/mixed; boundary=x", "--x\r\n\r\nx\r\n--x--", "not multipart/mixed"},
    };
    for (const Case& c : cases) {
        INFO(c.type);
        auto up = importUpload(c.type, c.body);
        REQUIRE_FALSE(up);
        CHECK(up.error().reason == "unsupported_media_type");
        CHECK(up.error().message.find(c.says) != std::string::npos);
    }
    CHECK(importUpload(kType, curlForm(kBoundary, "inv.xlsx", xlsx))
              .error()
              .message.find("save it as CSV") != std::string::npos);
}
