#include "provisioner/app/command_table.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "provisioner/app/commands.h"

using namespace prov::app;

namespace {

struct Parsed {
    bool ok;
    CommandLine line;
    std::string error;
};

Parsed parse(std::vector<std::string> args) {
    args.insert(args.begin(), "provisioner");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    Parsed p{false, {}, {}};
    p.ok = parseCommandLine(static_cast<int>(argv.size()), argv.data(), p.line, p.error);
    return p;
}

}  // namespace

TEST_CASE("the command line: words, flags from the table, -c and -D") {
    auto p =
        parse({"import", "-c", "x.ini", "inv.csv", "--dry-run", "-Dadmin.port=0", "-D", "a.b=c=d"});
    REQUIRE(p.ok);
    CHECK(p.line.words == std::vector<std::string>{"import", "inv.csv"});
    CHECK(p.line.flags.at("dry-run") == "true");
    CHECK(p.line.sources.file == "x.ini");
    REQUIRE(p.line.sources.defines.size() == 2);
    CHECK(p.line.sources.defines[1] == std::pair<std::string, std::string>{"a.b", "c=d"});

    // A switch takes no value; any other flag takes the next word or '=value'.
    p = parse({"token", "--role", "admin", "create", "--name=ci"});
    REQUIRE(p.ok);
    CHECK(p.line.words == std::vector<std::string>{"token", "create"});
    CHECK(p.line.flags.at("role") == "admin");
    CHECK(p.line.flags.at("name") == "ci");
    CHECK(parse({"export", "--secrets", "out.csv"}).line.words ==
          std::vector<std::string>{"export", "out.csv"});

    struct Bad {
        std::vector<std::string> args;
        const char* error;
    };
    const Bad bad[] = {
        {{}, "no command given"},
        {{"serve", "-D", "novalue"}, "-D takes key=value (got 'novalue')"},
        {{"serve", "-D"}, "-D needs a value"},
        {{"token", "create", "--role"}, "--role needs a value"},
        {{"serve", "-x"}, "unknown option -x for serve ('provisioner serve --help' lists its options)"},
        // Named, not taken for a flag that wants the next word.
        {{"config", "--reference", "--colour"},
         "unknown option --colour for config ('provisioner config --help' lists its options)"},
        {{"token", "create", "--colour", "red"},
         "unknown option --colour for token ('provisioner token --help' lists its options)"},
        {{"--colour", "serve"}, "unknown option --colour ('provisioner --help' lists the commands)"},
    };
    for (const Bad& b : bad) {
        auto r = parse(b.args);
        CHECK_FALSE(r.ok);
        CHECK(r.error == b.error);
    }
}

TEST_CASE("the --version flag is the version command, after any command without a --version of its own") {
    for (const auto& args : {std::vector<std::string>{"--version"}, {"serve", "--version"}, {"version"}}) {
        auto p = parse(args);
        REQUIRE(p.ok);
        CHECK(p.line.words == std::vector<std::string>{"version"});
        CHECK(p.line.flags.empty());
    }
    // Unless the command has a --version of its own.
    auto firmware = parse({"firmware", "target", "--version", "108.86.0.90", "--model", "T46U"});
    REQUIRE(firmware.ok);
    CHECK(firmware.line.words == std::vector<std::string>{"firmware", "target"});
    CHECK(firmware.line.flags.at("version") == "108.86.0.90");
}

TEST_CASE("a flag of another command is named as not this command's") {
    auto p = parse({"backup", "out.db", "--role", "admin"});
    REQUIRE(p.ok);  // --role is some command's: parsed, then refused by runCommand's check
    CHECK(p.line.flags.at("role") == "admin");
    CHECK(isFlag("role"));
    CHECK_FALSE(isFlag("colour"));
}

TEST_CASE("--help alone is the help command, after a command, that command's help") {
    auto alone = parse({"--help"});
    REQUIRE(alone.ok);
    CHECK(alone.line.words == std::vector<std::string>{"help"});
    CHECK(alone.line.flags.empty());
    auto after = parse({"backup", "-h"});
    REQUIRE(after.ok);
    CHECK(after.line.words == std::vector<std::string>{"backup"});
    CHECK(after.line.flags.count("help"));
}

TEST_CASE("the command table: one row per name, help built from it") {
    std::set<std::string_view> names;
    const std::string all = usage();
    for (const Command& c : commands()) {
        INFO(c.name);
        CHECK(names.insert(c.name).second);
        CHECK(findCommand(c.name) == &c);
        CHECK(c.run != nullptr);
        CHECK(all.find("  " + usageLine(c)) != std::string::npos);
        const std::string help = commandHelp(c);
        CHECK(help.rfind("usage: provisioner " + usageLine(c), 0) == 0);
        for (const Flag& f : c.flags) {
            CHECK(help.find("--" + std::string(f.name)) != std::string::npos);
            CHECK(isSwitch(f.name) == f.value.empty());
        }
    }
    CHECK_FALSE(findCommand("frobnicate"));
    CHECK(usageLine(*findCommand("token")) ==
          "token create|list|revoke [ID|NAME] [--role ROLE] [--name NAME] [--expires WHEN]");
    CHECK(usageLine(*findCommand("import")) == "import FILE [--dry-run] [--progress]");
}

TEST_CASE("what each command opens: the store alone for those that need no templates") {
    const std::pair<const char*, Needs> want[] = {
        {"serve", Needs::kServer},
        {"render", Needs::kEverything},
        {"import", Needs::kStoreAndTemplates},  // checks models; tells softphone rows from desk phones
        {"firmware", Needs::kStoreAndTemplates},  // checks vendors and models
        {"migrate", Needs::kStore},
        {"token", Needs::kStore},
        {"user", Needs::kStore},
        {"backup", Needs::kStore},
        {"export", Needs::kStore},
        {"staging", Needs::kStore},
        {"window", Needs::kStore},
        {"resync", Needs::kStore},  // only queues: the server sends
        {"restore", Needs::kStore},  // its own checks and copy, under the server lock
        {"migrate-store", Needs::kNothing},  // opens the two stores its flags name, not the configured one
        {"config", Needs::kNothing},
        {"help", Needs::kNothing},
        {"version", Needs::kNothing},
        {"completion", Needs::kNothing},
        {"man", Needs::kNothing},
    };
    for (const auto& [name, needs] : want) {
        INFO(name);
        REQUIRE(findCommand(name));
        CHECK(findCommand(name)->needs == needs);
    }
    CHECK(std::size(want) == commands().size());
}
