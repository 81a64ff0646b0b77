#include "provisioner/app/server_config.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "provisioner/app/config_keys.h"
#include "provisioner/mail/smtp_client.h"
#include "temp_dir.h"

using namespace prov::app;

TEST_CASE("defaults are the developer ports") {
    auto c = loadConfig({});
    REQUIRE(c);
    CHECK(c.value().http_port == 8080);
    CHECK(c.value().https_port == 8443);
    CHECK(c.value().tftp_port == 6969);
    CHECK(c.value().admin_port == 9090);
    CHECK(c.value().store_path == "var/provisioner.db");
}

TEST_CASE("defines override the file, and bad values are one clear line") {
    prov::testing::TempDir dir;
    const std::string path =
        dir.write("test.ini", "[admin]\nport = 9191\nbind = 0.0.0.0\n[license]\nextensions = 5\n");
    auto c = loadConfig({path, {{"admin.port", "0"}}});
    REQUIRE(c);
    CHECK(c.value().admin_port == 0);
    CHECK(c.value().admin_bind == "0.0.0.0");
    CHECK(c.value().license_extensions == 5);

    auto bad_port = loadConfig({"", {{"admin.port", "70000"}}});
    REQUIRE_FALSE(bad_port);
    CHECK(bad_port.error().message.find("admin.port") != std::string::npos);
    auto unknown = loadConfig({"", {{"admin.prot", "1"}}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("admin.prot") != std::string::npos);
    CHECK_FALSE(loadConfig({"", {{"admin.bind", "localhost:1"}}}));
    CHECK_FALSE(loadConfig({dir.path() + "/nonexistent.ini", {}}));
}

TEST_CASE("smtp.from is checked at load as every e-mail's sender is at send time") {
    CHECK(loadConfig({"", {{"smtp.host", "localhost"}, {"smtp.from", "pbx@example.com"}}}));
    CHECK(loadConfig({"", {{"smtp.from", ""}}}));
    CHECK_FALSE(loadConfig({"", {{"smtp.host", "localhost"}, {"smtp.from", ""}}}));
    for (const char* bad : {"PBX <pbx@example.com>", "pbx@exa mple.com",
                                  "\"pbx\"@example.com", "pbx@a@example.com", "pbx"}) {
        auto c = loadConfig({"", {{"smtp.host", "localhost"}, {"smtp.from", bad}}});
        CAPTURE(bad);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("smtp.from") != std::string::npos);
        // Without a relay too: the key is wrong whenever it is given.
        CHECK_FALSE(loadConfig({"", {{"smtp.from", bad}}}));
    }
    CHECK(prov::mail::parseStartTls(loadConfig({}).value().smtp_starttls) ==
          prov::mail::StartTls::kRequired);
}

TEST_CASE("every default in the key table is a valid value of its key") {
    auto c = loadConfig({});
    REQUIRE(c);
    const ServerConfig& d = c.value();
    CHECK(d.templates_dir == "vendor-templates");
    CHECK(d.https_client_cert == "optional");
    CHECK(d.log_level == "information");
    CHECK(d.admin_bind == "127.0.0.1");
    CHECK(d.license_extensions == 100);
    CHECK(d.admin_max_import_bytes == 64 << 20);
    CHECK(d.tls_server_names.empty());
    CHECK_FALSE(d.tls_legacy_phones);
    CHECK_FALSE(d.admin_tls);
    for (const ConfigKey& k : configKeys()) {
        INFO(k.name);
        ServerConfig config;
        CHECK(applyKey(k, std::string(k.default_value), config));
    }
}

TEST_CASE("each key's type fits the member it fills, and its line fits the reference") {
    for (const ConfigKey& k : configKeys()) {
        INFO(k.name);
        switch (k.type) {
            case KeyType::kInteger:
                CHECK((std::holds_alternative<int ServerConfig::*>(k.field) ||
                       std::holds_alternative<int64_t ServerConfig::*>(k.field)));
                CHECK(k.min <= k.max);
                if (std::holds_alternative<int ServerConfig::*>(k.field)) CHECK(k.max <= INT32_MAX);
                break;
            case KeyType::kBool:
                CHECK(std::holds_alternative<bool ServerConfig::*>(k.field));
                break;
            case KeyType::kHostList:
                CHECK(std::holds_alternative<std::vector<std::string> ServerConfig::*>(k.field));
                break;
            case KeyType::kText:
            case KeyType::kPath:
            case KeyType::kNetworks:
            case KeyType::kChoice:
            case KeyType::kAddress:
                CHECK(std::holds_alternative<std::string ServerConfig::*>(k.field));
                break;
        }
        CHECK_FALSE(k.doc.empty());
        CHECK(k.doc.find('|') == std::string_view::npos);
        CHECK(k.doc.find('\n') == std::string_view::npos);
        CHECK(findKey(k.name) == &k);
    }
}

TEST_CASE("a value of each type is read, and a bad one is one line naming the key") {
    struct Case {
        const char* key;
        const char* value;
        const char* error;  // empty: accepted
    };
    const Case cases[] = {
        {"http.port", "0", ""},
        {"http.port", "65536",
         "config: http.port must be an integer from 0 to 65535 (got '65536')"},
        {"http.port", "-1", "config: http.port must be an integer from 0 to 65535 (got '-1')"},
        {"http.port", "80x", "config: http.port must be an integer from 0 to 65535 (got '80x')"},
        {"http.port", "", "config: http.port must be an integer from 0 to 65535 (got '')"},
        {"admin.tls", "true", ""},
        {"admin.tls", "yes", "config: admin.tls must be true or false (got 'yes')"},
        {"https.client_cert", "required", ""},
        {"https.client_cert", "maybe",
         "config: https.client_cert must be none, optional or required (got 'maybe')"},
        {"log.level", "chatty",
         "config: log.level must be fatal, critical, error, warning, notice, information, debug or "
         "trace (got "
         "'chatty')"},
        {"admin.bind", "::1", ""},
        {"admin.bind", "localhost", "config: admin.bind must be an IP address (got 'localhost')"},
        {"tls.server_names", " a.example , 192.0.2.1,", ""},
        {"tls.server_names", "a.example,bad name",
         "config: tls.server_names: 'bad name' is not a host name or address"},
        {"store.path", "", "config: store.path must not be empty"},
        {"ports.file", "", ""},
        {"provisioning.allow_networks", "10.1.0.0/16, 2001:db8::/32", ""},
        {"provisioning.allow_networks", "10.1.0.0/33", "config: provisioning.allow_networks: "},
    };
    for (const Case& c : cases) {
        INFO(c.key << "=" << c.value);
        auto r = loadConfig({"", {{c.key, c.value}}});
        if (*c.error == 0) {
            CHECK(r);
        } else {
            REQUIRE_FALSE(r);
            CHECK_THAT(r.error().message, Catch::StartsWith(c.error));
            CHECK(r.error().message.find('\n') == std::string::npos);
        }
    }
    auto names =
        loadConfig({"", {{"tls.server_names", " a.example , 192.0.2.1,"}, {"admin.tls", "true"}}});
    REQUIRE(names);
    CHECK(names.value().tls_server_names == std::vector<std::string>{"a.example", "192.0.2.1"});
    CHECK(names.value().admin_tls);
}

TEST_CASE("the threads engine's keys are refused with the reason, from -D and from a file") {
    for (const char* key : {"http.engine", "http.max_threads", "http.overload_queue"}) {
        INFO(key);
        auto r = loadConfig({"", {{key, "1"}}});
        REQUIRE_FALSE(r);
        CHECK(r.error().message ==
              "config: " + std::string(key) +
                  " was removed: phones' HTTP and HTTPS always run on the event loops "
                  "(http.loops, http.max_connections)");
    }
    prov::testing::TempDir dir;
    auto r = loadConfig({dir.write("old.ini", "[http]\nport = 8080\nengine = threads\n"), {}});
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("http.engine was removed") != std::string::npos);
    CHECK_FALSE(findKey("http.engine"));
}

TEST_CASE("docs/configuration.md is the reference the key table generates") {
    std::ifstream in(CONFIG_REFERENCE_MD, std::ios::binary);
    REQUIRE(in);
    std::ostringstream ss;
    ss << in.rdbuf();
    // On a failure: build/bin/provisioner config --reference > docs/configuration.md
    CHECK(ss.str() == configReference());
    for (const ConfigKey& k : configKeys())
        CHECK(ss.str().find("| `" + std::string(k.name) + "` |") != std::string::npos);
}

TEST_CASE("the admin port is HTTPS whenever admin.bind is not a loopback address") {
    struct Case {
        const char* bind;
        const char* tls;
        bool want_tls;
        bool automatic;
    };
    const Case cases[] = {
        {"127.0.0.1", "false", false, false}, {"::1", "false", false, false},
        {"127.0.0.1", "true", true, false},   {"0.0.0.0", "false", true, true},
        {"192.0.2.10", "false", true, true},  {"2001:db8::1", "false", true, true},
        {"192.0.2.10", "true", true, false},
    };
    for (const Case& c : cases) {
        auto config = loadConfig({"", {{"admin.bind", c.bind}, {"admin.tls", c.tls}}});
        REQUIRE(config);
        INFO(c.bind << " admin.tls=" << c.tls);
        CHECK(config.value().admin_tls == c.want_tls);
        CHECK(config.value().admin_tls_automatic == c.automatic);
    }
}

TEST_CASE("portal session lifetimes are read in seconds") {
    auto d = loadConfig({});
    REQUIRE(d);
    CHECK(d.value().portal_session_idle == 1800);
    CHECK(d.value().portal_session_max == 43200);
    auto c = loadConfig({"", {{"portal.session_idle", "5"}, {"portal.session_max", "60"}}});
    REQUIRE(c);
    CHECK(c.value().portal_session_idle == 5);
    CHECK(c.value().portal_session_max == 60);
    CHECK_FALSE(loadConfig({"", {{"portal.session_idle", "0"}}}));
}

TEST_CASE("a relative path in the file is the file's folder's, from -D or a default the working directory's") {
    prov::testing::TempDir dir;
    const std::string folder = std::filesystem::canonical(dir.path()).string();
    const std::string parent = std::filesystem::path(folder).parent_path().string();
    const std::string file = dir.write("etc/prov.ini",
                                       "[store]\npath = ../var/store.db\n[templates]\ndir = ./vendor-templates\n"
                                       "[firmware]\ndir = /srv/firmware\n[certs]\ndir = certs\n"
                                       "[uploads]\ndir = ../../up\n[portal]\ndir =\n[trust]\nca_file = ca/root.pem\n"
                                       "[http]\nport = 8081\n");
    auto c = loadConfig({file, {{"ports.file", "run/ports.json"}}});
    REQUIRE(c);
    CHECK(c.value().store_path == folder + "/var/store.db");
    CHECK(c.value().templates_dir == folder + "/etc/vendor-templates");
    CHECK(c.value().firmware_dir == "/srv/firmware");  // absolute: as written
    CHECK(c.value().certs_dir == folder + "/etc/certs");
    CHECK(c.value().uploads_dir == parent + "/up");
    CHECK(c.value().portal_dir.empty());  // empty means none, not the folder
    CHECK(c.value().trust_ca_file == folder + "/etc/ca/root.pem");
    CHECK(c.value().ports_file == "run/ports.json");    // -D: the working directory's
    CHECK(c.value().smtp_ca_file.empty());              // default: none
    CHECK(c.value().http_port == 8081);                 // not a path: untouched

    // -D over a path the file sets: as given, relative to the working directory.
    c = loadConfig({file, {{"store.path", "here.db"}}});
    REQUIRE(c);
    CHECK(c.value().store_path == "here.db");
    // A key the file leaves out keeps its default, relative as ever.
    CHECK(loadConfig({dir.write("empty.ini", "[http]\nport = 1\n"), {}}).value().store_path == "var/provisioner.db");
    // .properties files too; ":memory:" is no path.
    c = loadConfig({dir.write("a/b.properties", "store.path = :memory:\ntemplates.dir = ..\n"), {}});
    REQUIRE(c);
    CHECK(c.value().store_path == ":memory:");
    CHECK(c.value().templates_dir == folder);
}

TEST_CASE("a configuration error found after the keys are read names its key, reason config") {
    const prov::Error e = configError("certs.dir", "cannot create /x: Permission denied");
    CHECK(e.message == "config: certs.dir: cannot create /x: Permission denied");
    CHECK(isConfigError(e));
    CHECK(e.fields.at("certs.dir") == "cannot create /x: Permission denied");
    CHECK_FALSE(isConfigError(prov::Error::invalid("x")));
}

TEST_CASE("a password in store.url is refused in a config file every user may read") {
    prov::testing::TempDir dir;
    auto withMode = [&](const std::string& name, const std::string& url, unsigned mode) {
        const std::string path = dir.write(name, "[store]\nurl = " + url + "\n");
        REQUIRE(::chmod(path.c_str(), mode) == 0);
        return path;
    };
    SECTION("user:password@ in a 0644 file") {
        const std::string path = withMode("a.ini", "postgresql://prov:s3cret@127.0.0.1/prov", 0644);
        auto c = loadConfig({path, {}});
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("store.url holds a password") != std::string::npos);
        CHECK(c.error().message.find(path) != std::string::npos);
        CHECK(c.error().message.find("0644") != std::string::npos);
        CHECK(c.error().message.find("s3cret") == std::string::npos);
    }
    SECTION("?password= in a 0604 file") {
        const std::string url = "postgresql://prov@127.0.0.1/prov?sslmode=disable&password=x";
        CHECK_FALSE(loadConfig({withMode("b.ini", url, 0604), {}}));
    }
    SECTION("readable by the owner and the service's group (the package's 0640): started") {
        auto c = loadConfig({withMode("c.ini", "postgresql://prov:s3cret@127.0.0.1/prov", 0640), {}});
        REQUIRE(c);
        CHECK(c.value().store_url == "postgresql://prov:s3cret@127.0.0.1/prov");
    }
    SECTION("no password (libpq reads ~/.pgpass or PGPASSWORD): any mode") {
        CHECK(loadConfig({withMode("d.ini", "postgresql://prov@127.0.0.1/prov", 0644), {}}));
        CHECK(loadConfig({withMode("e.ini", "postgresql://prov@[::1]:5432/prov?passwordless=1", 0644), {}}));
        CHECK(loadConfig({withMode("f.ini", "postgresql://prov:@127.0.0.1/prov?password=", 0644), {}}));
    }
}

TEST_CASE("store.lock_timeout_ms is the PostgreSQL store's wait bound, 30 s unless set") {
    CHECK(loadConfig({}).value().store_lock_timeout_ms == 30000);
    CHECK(loadConfig({"", {{"store.lock_timeout_ms", "250"}}}).value().store_lock_timeout_ms == 250);
    CHECK_FALSE(loadConfig({"", {{"store.lock_timeout_ms", "0"}}}));
}
