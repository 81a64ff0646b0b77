#include <catch2/catch.hpp>

#include <string>

#include "provisioner/render/provisioning_url.h"

using prov::splitProvisioningUrl;

TEST_CASE("splitProvisioningUrl: the pieces vendors take") {
    struct Case {
        const char* url;
        const char* scheme;
        const char* host;
        const char* path;
    };
    const Case cases[] = {
        {"https://prov.example.net/", "https", "prov.example.net", ""},
        {"https://prov.example.net", "https", "prov.example.net", ""},
        {"http://192.0.2.10:8080/", "http", "192.0.2.10:8080", ""},
        {"HTTP://192.0.2.10:8080", "http", "192.0.2.10:8080", ""},
        {"https://prov.example.net/p/phones/", "https", "prov.example.net", "/p/phones"},
        {"https://prov.example.net/p//phones//", "https", "prov.example.net", "/p/phones"},
        {"https://prov.example.net//", "https", "prov.example.net", ""},
        {"tftp://192.0.2.10", "tftp", "192.0.2.10", ""},
        {"http://[2001:db8::1]:8080/x", "http", "[2001:db8::1]:8080", "/x"},
        {"http://u:p@h/", "http", "u:p@h", ""},
    };
    for (const Case& c : cases) {
        INFO(c.url);
        const auto u = splitProvisioningUrl(c.url);
        REQUIRE(u);
        CHECK(u->scheme == c.scheme);
        CHECK(u->host == c.host);
        CHECK(u->path == c.path);
    }
}

TEST_CASE("splitProvisioningUrl: nothing to split") {
    for (const char* url : {"", "prov.example.net", "://x", "https://", "https:///p"}) {
        INFO(url);
        CHECK_FALSE(splitProvisioningUrl(url));
    }
}
