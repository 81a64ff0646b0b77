// docs/inventory-csv.md lists the CSV columns the field tables give, in
// export order, with the same accepted aliases.

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "provisioner/inventory/csv_format.h"

using namespace prov;

namespace {

struct DocColumns {
    std::vector<std::string> names;  // in the order of the doc's table
    std::set<std::string> aliases;   // written "(or `alias`)"
};

// The first cell of each row of the "| column | what |" table.
DocColumns readDoc(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    DocColumns out;
    bool in_table = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| column |", 0) == 0) {
            in_table = true;
            continue;
        }
        if (!in_table || line.rfind("|---", 0) == 0) continue;
        if (line.rfind("|", 0) != 0) break;
        const std::string cell = line.substr(1, line.find('|', 1) - 1);
        for (size_t open = cell.find('`'); open != std::string::npos; open = cell.find('`', open)) {
            const size_t close = cell.find('`', open + 1);
            const std::string name = cell.substr(open + 1, close - open - 1);
            const bool alias = open >= 4 && cell.compare(open - 4, 4, "(or ") == 0;
            if (alias) {
                out.aliases.insert(name);
            } else {
                out.names.push_back(name);
            }
            open = close + 1;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("the CSV doc lists the columns of the field tables, in export order") {
    const DocColumns doc = readDoc(DOCS_DIR "/inventory-csv.md");
    std::vector<std::string> names;
    std::set<std::string> aliases;
    for (const auto& c : csvfmt::columns()) {
        names.emplace_back(c.name);
        if (!c.alias.empty()) aliases.emplace(c.alias);
    }
    CHECK(doc.names == names);
    CHECK(doc.aliases == aliases);
}

TEST_CASE("CSV columns: export order, secrets last, aliases and rule fields map to columns") {
    const auto& cols = csvfmt::columns();
    REQUIRE(cols.size() > 3);
    CHECK(cols.front().name == "mac");
    CHECK(cols.back().secret());
    CHECK(cols[*csvfmt::columnNamed(" SITE ")].name == "label");
    CHECK(csvfmt::columnOfField("phone_make") == "make");
    CHECK(csvfmt::columnOfField("buttons[2].type") == "buttons");
    CHECK(csvfmt::columnOfField("twinning_number") == "twinning_number");
    CHECK_FALSE(csvfmt::columnNamed("colour"));
}
