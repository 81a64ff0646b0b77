// The conformance check's own parts: list expansion and reading rendered files.

#include <catch2/catch.hpp>

#include <string>

#include "config_params.h"
#include "conformance_list.h"
#include "temp_dir.h"

using namespace prov::conformance;
using prov::testing::TempDir;

namespace {

List listOf(const TempDir& dir, const std::string& text) {
    const std::string path = dir.write("v.txt", text);
    List list;
    std::string error;
    if (!loadList(path, list, error)) FAIL(error);
    return list;
}

}  // namespace

TEST_CASE("conformance list: expressions") {
    long v = 0;
    CHECK(evaluate("1363+2*(K-1)", {{'K', 7}}, v));
    CHECK(v == 1375);
    CHECK(evaluate("(K-5)/6+1", {{'K', 11}}, v));
    CHECK(v == 2);
    CHECK(evaluate("(K-5)%6+1", {{'K', 11}}, v));
    CHECK(v == 1);
    CHECK_FALSE(evaluate("K+", {{'K', 1}}, v));
    CHECK_FALSE(evaluate("N", {{'K', 1}}, v));
    CHECK_FALSE(evaluate("K/0", {{'K', 1}}, v));
}

TEST_CASE("conformance list: names by slot, models and ranges") {
    TempDir dir;
    const List list = listOf(dir, "# comment\n"
                                  "global P30\n"
                                  "global P{I} slots=1376-1377\n"
                                  "account P{N+2}01 slots=2-4\n"
                                  "key P{1363+2*(K-1)} slots=1-6\n"
                                  "key P{23800+4*(K-7)} slots=7-48 models=GRP*\n"
                                  "ekey x.{M}.{J}.{X}\n"
                                  "speed item.{S}.fn\n");
    Layout layout;
    layout.model = "GRP2612";
    layout.lines = 3;
    layout.keys = 8;
    layout.module_keys = 2;
    layout.modules = 2;
    layout.speed_dial_keys = {3, 9};
    std::string error;
    const auto names = expand(list, layout, error);
    REQUIRE(error.empty());
    CHECK(names.at("P30") == Owner{Owner::kGlobal, 0});
    CHECK(names.at("P1377") == Owner{Owner::kGlobal, 0});
    CHECK(names.at("P401") == Owner{Owner::kAccount, 2});
    CHECK(names.at("P501") == Owner{Owner::kAccount, 3});
    CHECK_FALSE(names.count("P601"));  // the phone has 3 lines
    CHECK(names.at("P1373") == Owner{Owner::kKey, 6});
    CHECK_FALSE(names.count("P1375"));  // key 7 is not on the formula of keys 1-6
    CHECK(names.at("P23804") == Owner{Owner::kKey, 8});
    CHECK(names.at("x.1.2.2") == Owner{Owner::kKey, 10});
    CHECK(names.at("x.2.1.3") == Owner{Owner::kKey, 11});
    CHECK(names.at("item.2.fn") == Owner{Owner::kKey, 9});

    layout.model = "GXP2135";
    CHECK_FALSE(expand(list, layout, error).count("P23804"));
}

TEST_CASE("conformance list: a width pads a number with zeros") {
    TempDir dir;
    const List list = listOf(dir, "account SipAccount.{N:5}.UserName\n");
    Layout layout;
    layout.model = "N870";
    layout.lines = 12;
    std::string error;
    const auto names = expand(list, layout, error);
    REQUIRE(error.empty());
    CHECK(names.at("SipAccount.00001.UserName") == Owner{Owner::kAccount, 1});
    CHECK(names.at("SipAccount.00012.UserName") == Owner{Owner::kAccount, 12});
    CHECK_FALSE(names.count("SipAccount.1.UserName"));
}

TEST_CASE("conformance list: one name given to two owners is an error") {
    TempDir dir;
    const List list = listOf(dir, "global P1376\nkey P{1364+2*(K-1)}\n");  // key K's account
    Layout layout;
    layout.model = "GXP2135";
    layout.keys = 7;
    std::string error;
    expand(list, layout, error);
    CHECK(error.find("P1376 given to key 7 and to global settings") != std::string::npos);
}

TEST_CASE("conformance list: syntax errors name the line") {
    TempDir dir;
    const std::string path = dir.write("v.txt", "global P1\nslot P2\n");
    List list;
    std::string error;
    CHECK_FALSE(loadList(path, list, error));
    CHECK(error.find("v.txt:2: unknown scope 'slot'") != std::string::npos);
}

TEST_CASE("conformance: rendered files read back as parameters") {
    std::vector<Param> p;
    std::string error;
    SECTION("key = value, boot directives skipped") {
        REQUIRE(parseParams("#!version:1.0.0.1\ninclude:config \"a.cfg\"\naccount.1.label = qa1x\nx =\n",
                            Shape::kKeyValue, p, error));
        REQUIRE(p.size() == 2);
        CHECK((p[0].name == "account.1.label" && p[0].value == "qa1x"));
        CHECK((p[1].name == "x" && p[1].value.empty()));
        CHECK_FALSE(parseParams("no equals sign\n", Shape::kKeyValue, p, error));
    }
    SECTION("attributes, and directory items by their speed-dial index") {
        REQUIRE(parseParams("<polycomConfig reg.1.label=\"a\" reg.2.label=\"b\"/>", Shape::kAttributes, p, error));
        REQUIRE(p.size() == 2);
        CHECK((p[1].name == "reg.2.label" && p[1].value == "b"));
        p.clear();
        REQUIRE(parseParams("<directory><item_list><item><fn>x</fn><sd>3</sd></item></item_list></directory>",
                            Shape::kAttributes, p, error));
        REQUIRE(p.size() == 2);
        CHECK(p[0].name == "item_list.item.3.fn");
    }
    SECTION("leaf names, name and idx attributes") {
        REQUIRE(parseParams("<gs><config><P35>u</P35><item name=\"pks.vpk.7.value\">v</item></config></gs>",
                            Shape::kLeafName, p, error));
        REQUIRE(p.size() == 2);
        CHECK((p[0].name == "P35" && p[1].name == "pks.vpk.7.value" && p[1].value == "v"));
        p.clear();
        REQUIRE(parseParams("<s><k><fkey idx=\"0\" label=\"qk1l\" perm=\"R\">blf x</fkey></k></s>", Shape::kLeafName,
                            p, error));
        REQUIRE(p.size() == 1);
        CHECK(p[0].name == "fkey[0]");
        CHECK(p[0].value == "blf x|qk1l|R");
    }
    SECTION("paths with index attributes") {
        REQUIRE(parseParams("<sysConf><sip><line index=\"2\"><PhoneNumber>n</PhoneNumber></line></sip></sysConf>",
                            Shape::kPath, p, error));
        REQUIRE(p.size() == 1);
        CHECK(p[0].name == "sip.line.2.PhoneNumber");
        CHECK_FALSE(parseParams("<a><b></a>", Shape::kPath, p, error));
    }
    SECTION("Gigaset: a param by its name, a grouping oper by name and value") {
        REQUIRE(parseParams("<provisioning><nvm><oper name=\"DeleteNotProvisionedHS\"/>"
                            "<oper name=\"add_hs\" value=\"00002\"><param name=\"hs.RegStatus\" value=\"ToReg\"/></oper>"
                            "<param name=\"SipAccount.00002.UserName\" value=\"qa2x\"/></nvm></provisioning>",
                            Shape::kPath, p, error));
        REQUIRE(p.size() == 3);
        CHECK(p[0].name == "nvm.DeleteNotProvisionedHS");
        CHECK(p[1].name == "nvm.add_hs.00002.hs.RegStatus");
        CHECK((p[2].name == "nvm.SipAccount.00002.UserName" && p[2].value == "|qa2x"));
    }
    SECTION("Aastra: name: value, the name's words joined by _") {
        REQUIRE(parseParams("# comment\nsip line1 user name: qa1x\ndst [start|end] relative date: 1\nx:\n",
                            Shape::kColon, p, error));
        REQUIRE(p.size() == 3);
        CHECK((p[0].name == "sip_line1_user_name" && p[0].value == "qa1x"));
        CHECK(p[1].name == "dst_[start|end]_relative_date");
        CHECK((p[2].name == "x" && p[2].value.empty()));
        CHECK_FALSE(parseParams("no colon here\n", Shape::kColon, p, error));
        CHECK(shapeOf("aastra", false) == Shape::kColon);
        CHECK(shapeOf("gigaset", true) == Shape::kPath);
    }
}

TEST_CASE("conformance: a file mixing Grandstream P-values and aliases is told apart") {
    CHECK(mixesForms("<gs_provision><config version=\"2\"><P35>u</P35>"
                     "<item name=\"account.1.enable\">Yes</item></config></gs_provision>"));
    CHECK(mixesForms("<config><item  name=\"a\">1</item><P8433/></config>"));
    CHECK_FALSE(mixesForms("<config version=\"2\"><item name=\"pks.vpk.7.value\">P35</item></config>"));
    CHECK_FALSE(mixesForms("<config version=\"1\"><P271>1</P271><P270>x</P270></config>"));
    // A Polycom directory <item> has no name attribute; <Phone_Language> is no P-value.
    CHECK_FALSE(mixesForms("<directory><item><fn>x</fn></item></directory><P35>u</P35>"));
    CHECK_FALSE(mixesForms("<item name=\"a\">1</item><Phone_Language>fr</Phone_Language>"));
}
