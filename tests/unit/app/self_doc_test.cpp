#include "provisioner/app/self_doc.h"

#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>

#include "provisioner/app/build_info.h"
#include "provisioner/app/command_table.h"
#include "provisioner/app/config_keys.h"

using namespace prov::app;

namespace {

// "--max-devices" as the man page writes it.
std::string roffDashes(std::string_view s) {
    std::string out;
    for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

}  // namespace

TEST_CASE("the version line is the build's") {
    const std::string line = versionLine();
    CHECK(line.rfind("provisioner " + std::string(buildVersion()), 0) == 0);
    CHECK(line.find('\n') == std::string::npos);
    CHECK_FALSE(buildVersion().empty());
}

TEST_CASE("the man page holds every command, flag and key, and every line is roff") {
    const std::string page = manPage();
    CHECK(page.find(".TH PROVISIONER 1 \"\" \"" + versionLine() + "\"") != std::string::npos);
    for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH OPTIONS",
                                ".SH CONFIGURATION", ".SH EXIT STATUS", ".SH SEE ALSO"})
        CHECK(page.find(std::string("\n") + section + "\n") != std::string::npos);
    for (const Command& c : commands()) {
        INFO(c.name);
        CHECK(page.find(".TP\n\\fB" + std::string(c.name) + "\\fR") != std::string::npos);
        for (const Flag& f : c.flags)
            CHECK(page.find("\\fB\\-\\-" + roffDashes(f.name) + "\\fR") != std::string::npos);
    }
    for (const ConfigKey& k : configKeys()) {
        INFO(k.name);
        CHECK(page.find(".TP\n\\fB" + std::string(k.name) + "\\fR (" +
                        std::string(typeName(k.type))) != std::string::npos);
    }
    for (const char* code : {"0", "1", "2", "65", "75", "78"})
        CHECK(page.find(".TP\n.B " + std::string(code) + "\n") != std::string::npos);
    // Requests are the man(7) macros the page means; a text line never
    // starts one by accident ('.' or '\''), and ends in the roman font.
    const std::set<std::string> requests = {".\\\"", ".TH", ".SH", ".TP", ".B",  ".I",
                                            ".RS",   ".RE", ".PP", ".br", ".nh", ".ad"};
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        REQUIRE_FALSE(line.empty());
        CHECK(line[0] != '\'');
        if (line[0] == '.') {
            CHECK(requests.count(line.substr(0, line.find(' '))) == 1);
            continue;
        }
        const size_t last_font = line.rfind("\\f");
        if (last_font != std::string::npos) CHECK(line.compare(last_font, 3, "\\fR") == 0);
    }
}

TEST_CASE("the bash completion knows every command, key and subcommand") {
    const std::string script = bashCompletion();
    CHECK(script.find("complete -o filenames -F _provisioner provisioner\n") != std::string::npos);
    std::string names;
    for (const Command& c : commands()) names += (names.empty() ? "" : " ") + std::string(c.name);
    CHECK(script.find("_provisioner_commands='" + names + "'") != std::string::npos);
    const size_t keys = script.find("_provisioner_keys='");
    REQUIRE(keys != std::string::npos);
    std::istringstream listed(script.substr(keys + 19, script.find('\'', keys + 19) - keys - 19));
    std::set<std::string> words;
    for (std::string w; listed >> w;) words.insert(w);
    CHECK(words.size() == configKeys().size());
    for (const ConfigKey& k : configKeys()) CHECK(words.count(std::string(k.name) + "=") == 1);
    CHECK(script.find("'token') subs='create list revoke' flags='--help --role --name --expires' "
                      "files=0 ;;") != std::string::npos);
    CHECK(script.find("'firmware rollout') subs='halt rollback show start'") != std::string::npos);
    CHECK(script.find("'restore') flags='--help' files=1 ;;") != std::string::npos);
    CHECK(script.find("https.client_cert) values='none optional required' ;;") !=
          std::string::npos);
    CHECK(script.find("store.path) values='@files' ;;") != std::string::npos);
}
