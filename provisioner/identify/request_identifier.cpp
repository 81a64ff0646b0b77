#include "provisioner/identify/request_identifier.h"

#include "provisioner/core/mac_address.h"

namespace prov {

namespace {

const RouteMatch* choose(const VendorCatalog& catalog, const std::vector<RouteMatch>& matches,
                         const std::optional<UaMatch>& ua, const MakeLookup& make_of, bool& guessed) {
    guessed = false;
    if (matches.empty()) return nullptr;
    if (ua) {
        for (const RouteMatch& m : matches) {
            if (m.vendor == ua->vendor) return &m;
        }
        return nullptr;  // the phone said who it is, and that vendor has no such file
    }
    if (matches.size() == 1) return &matches[0];
    // Several vendors use this name (<mac>.cfg) and the request has no
    // User-Agent (TFTP): the make the store records for the MAC, which an
    // admin set, else the vendor whose MAC prefix it has. The store is asked
    // for every such name, known MAC or not, so both cost the same read.
    for (const RouteMatch& m : matches) {
        if (m.captures.mac.empty()) continue;
        auto mac = MacAddress::parse(m.captures.mac);
        if (!mac) break;
        if (const VendorSpec* made = catalog.findVendor(make_of(mac->canonical()))) {
            for (const RouteMatch& cand : matches)
                if (cand.vendor == made) return &cand;
        }
        const std::string oui = mac->canonical().substr(0, 6);
        for (const RouteMatch& cand : matches) {
            for (const std::string& o : cand.vendor->ouis)
                if (o == oui) return &cand;
        }
        break;
    }
    guessed = true;
    return &matches[0];  // the most specific name
}

}  // namespace

Result<DeviceIdentity> identify(const VendorCatalog& catalog, const std::string& file,
                                const std::string& user_agent, const MakeLookup& make_of) {
    const std::optional<UaMatch> ua = catalog.identifyUserAgent(user_agent);
    const std::vector<RouteMatch> matches = catalog.matchFile(file);
    bool guessed = false;
    const RouteMatch* m = choose(catalog, matches, ua, make_of, guessed);
    if (!m) return Error::notFound("no vendor serves " + file);

    DeviceIdentity id;
    id.vendor = m->vendor;
    id.route = m->route;
    id.captures = m->captures;
    id.file = file;
    id.vendor_guessed = guessed;
    if (!m->captures.mac.empty()) id.mac = MacAddress::parse(m->captures.mac)->canonical();
    id.model = ua && !ua->model.empty() ? ua->model : m->captures.model;
    id.firmware = ua ? ua->firmware : "";
    if (ua && !ua->mac.empty() && !id.mac.empty()) {
        auto ua_mac = MacAddress::parse(ua->mac);
        if (!ua_mac || ua_mac->canonical() != id.mac) {
            return Error{Code::kPermissionDenied, "mac_mismatch",
                         "User-Agent MAC " + ua->mac + " is not the MAC in " + file, {}, {}};
        }
    }
    return id;
}

}  // namespace prov
