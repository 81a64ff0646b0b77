// The CSV reader (provisioner/core/csv.h): a spreadsheet export from anyone
// with an installer's token. What it reads, written back with appendRecord,
// reads back the same.

#include "fuzz_check.h"
#include "provisioner/core/csv.h"

using namespace prov;

namespace {

// Records as they read back: a record of one empty field ("" quoted on a
// line of its own) is written as an empty line, which the reader skips.
std::vector<std::vector<std::string>> fieldsOf(const csv::Table& t) {
    std::vector<std::vector<std::string>> out;
    for (const csv::Record& r : t.records) {
        if (r.fields.size() == 1 && r.fields[0].empty()) continue;
        out.push_back(r.fields);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const Result<csv::Table> table = csv::parse(prov::fuzz::bytes(data, size));
    if (!table) {
        FUZZ_CHECK(!table.error().message.empty());
        return 0;
    }
    const csv::Table& t = table.value();
    FUZZ_CHECK(t.delimiter == ',' || t.delimiter == ';' || t.delimiter == '\t');
    size_t last_line = 0;
    for (const csv::Record& r : t.records) {
        FUZZ_CHECK(r.line > last_line && !r.fields.empty());
        last_line = r.line;
    }

    std::string written;
    for (const csv::Record& r : t.records) csv::appendRecord(written, r.fields, t.delimiter);
    const Result<csv::Table> back = csv::parse(written);
    // The reader guesses the delimiter from the header; appendRecord quotes
    // only its own, so another one may win on reading back (a header cell
    // "a;b;c" written unquoted under ','). The round trip holds when it does
    // not, and when the first cell does not start with a byte order mark
    // (which the reader strips from the file's start).
    if (!back || back.value().delimiter != t.delimiter) return 0;
    if (!t.records.empty() && t.records[0].fields[0].rfind("\xEF\xBB\xBF", 0) == 0) return 0;
    FUZZ_CHECK(fieldsOf(back.value()) == fieldsOf(t));
    return 0;
}
