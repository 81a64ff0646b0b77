// The request identifier (provisioner/identify/request_identifier.h) over the
// real vendor catalog (vendor-templates/): a file name and a User-Agent, both
// chosen by the client, through the catalog's regular expressions and path
// patterns.
//
// Input: the file name, a line feed, the User-Agent, a line feed, and the
// make the store would report for the MAC (each part may be missing).

#include <cstdlib>
#include <memory>

#include "fuzz_check.h"
#include "provisioner/identify/request_identifier.h"

using namespace prov;

namespace {

std::unique_ptr<VendorCatalog> catalog;

std::string_view nextLine(std::string_view& rest) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    return line;
}

bool isCanonicalMac(const std::string& mac) {
    if (mac.size() != 12) return false;
    for (char c : mac) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* dir = std::getenv("PROVISIONER_TEMPLATES_DIR");
    auto loaded = VendorCatalog::load(dir ? dir : TEMPLATES_DIR);
    if (!loaded) {
        std::fprintf(stderr, "identify fuzz: the vendor catalog does not load: %s\n",
                     loaded.error().message.c_str());
        std::abort();
    }
    catalog = std::make_unique<VendorCatalog>(std::move(loaded).value());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view rest = prov::fuzz::bytes(data, size);
    const std::string file(nextLine(rest));
    const std::string user_agent(nextLine(rest));
    const std::string make(rest);
    const MakeLookup make_of = [&](const std::string& mac) {
        FUZZ_CHECK(isCanonicalMac(mac));
        return make;
    };

    const Result<DeviceIdentity> first = identify(*catalog, file, user_agent, make_of);
    if (first) {
        const DeviceIdentity& id = first.value();
        FUZZ_CHECK(id.vendor != nullptr && id.route != nullptr);
        FUZZ_CHECK(id.route >= id.vendor->files.data() &&
                   id.route < id.vendor->files.data() + id.vendor->files.size());
        FUZZ_CHECK(id.mac.empty() || isCanonicalMac(id.mac));
        FUZZ_CHECK(id.file == file);
    } else {
        FUZZ_CHECK(first.error().code == Code::kNotFound ||
                   first.error().code == Code::kPermissionDenied);
    }

    // The catalog remembers answers: asking again gives the same one.
    const Result<DeviceIdentity> again = identify(*catalog, file, user_agent, make_of);
    FUZZ_CHECK(static_cast<bool>(again) == static_cast<bool>(first));
    if (again) {
        FUZZ_CHECK(again.value().vendor == first.value().vendor &&
                   again.value().route == first.value().route);
        FUZZ_CHECK(again.value().mac == first.value().mac &&
                   again.value().model == first.value().model &&
                   again.value().firmware == first.value().firmware);
    } else {
        FUZZ_CHECK(again.error().code == first.error().code);
    }
    return 0;
}
