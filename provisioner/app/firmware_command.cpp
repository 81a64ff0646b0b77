// provisioner firmware: the firmware catalog and targets from the command
// line, for the admin at the server. The same rules as /api/v1/firmware
// (firmware/catalog.h); changes are audited as done by "cli". A running
// server sees them within a second (it watches the store's generation).
//   firmware add FILE --vendor V --models M1,M2|* --version X [--sha256 H] [--size N] [--name NAME]
//   firmware list
//   firmware remove ID
//   firmware target --vendor V --model M [--site S | --mac MAC] (--version X|none | --clear)
//   firmware targets [--vendor V]
//   firmware rollout start --vendor V --model M [--site S] --version X (--canaries MAC,.. | --percent P) --window 30m
//   firmware rollouts
//   firmware rollout show|halt|rollback ID [--reason TEXT]

#include <iomanip>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/app/services.h"
#include "provisioner/core/text.h"
#include "provisioner/core/time_format.h"
#include "provisioner/firmware/manifest.h"

namespace prov::app {

namespace {

int fwFail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

// The message and, for bad input, each field's problem, named as its flag.
int fwFail(const Error& e) {
    std::string why = e.message;
    for (const auto& [field, problem] : e.fields) why += "; --" + field + ": " + problem;
    for (const std::string& d : e.details) why += "; " + d;
    return fwFail(why, e.code == Code::kInvalidArgument ? kExitUsage : 1);
}

int add(const Invocation& in) {
    firmware::AddSpec spec;
    spec.vendor = in.flag("vendor");
    spec.models = in.flag("models");
    spec.version = in.flag("version");
    spec.sha256 = in.flag("sha256");
    spec.name = in.flag("name");
    if (in.has("size")) {
        const std::string v = in.flag("size");
        if (!text::isDigits(v) || v.size() > 15)
            return fwFail("--size must be a number of bytes (got '" + v + "')", kExitUsage);
        spec.size = std::stoll(v);
    }
    auto s = in.open(Migrate::kYes);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    auto image = s.value()->firmware->addFile(in.line.words[2], spec);
    if (!image) return fwFail(image.error());
    const FirmwareImage& i = image.value();
    std::cout << "firmware " << i.id << ": " << i.file << " (" << i.vendor << " " << i.version
              << " for " << firmware::joinedModels(i) << ", " << i.size << " bytes, sha256 "
              << i.sha256 << ")\n";
    return 0;
}

int list(const Invocation& in) {
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    auto images = s.value()->firmware->list();
    if (!images) return fwFail(images.error());
    std::cout << std::left << std::setw(5) << "ID" << std::setw(12) << "VENDOR" << std::setw(22)
              << "VERSION" << std::setw(20) << "MODELS" << std::setw(12) << "SIZE" << std::setw(10)
              << "STATE"
              << "FILE\n";
    for (const FirmwareImage& i : images.value()) {
        std::cout << std::left << std::setw(5) << i.id << std::setw(12) << i.vendor << std::setw(22)
                  << i.version << std::setw(20) << firmware::joinedModels(i) << std::setw(12)
                  << i.size << std::setw(10) << i.state << i.file << "\n";
    }
    return 0;
}

int remove(const Invocation& in) {
    const std::string id = in.line.words[2];
    if (!text::isDigits(id) || id.size() > 15)
        return fwFail("firmware remove takes an image ID (firmware list)", kExitUsage);
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    auto removed = s.value()->firmware->remove(std::stoll(id), "cli");
    if (!removed) return fwFail(removed.error());
    std::cout << "firmware " << removed.value().id << " (" << removed.value().file << ") removed\n";
    return 0;
}

int target(const Invocation& in) {
    firmware::TargetSpec spec;
    spec.vendor = in.flag("vendor");
    spec.model = in.flag("model");
    if (in.has("site") && in.has("mac"))
        return fwFail("a target is for --site or --mac, not both", kExitUsage);
    if (in.has("site")) {
        spec.scope = "site";
        spec.key = in.flag("site");
    } else if (in.has("mac")) {
        spec.scope = "device";
        spec.key = in.flag("mac");
    }
    const bool clear = in.has("clear");
    if (clear == in.has("version"))
        return fwFail("firmware target needs --version X (or none) or --clear", kExitUsage);
    spec.version = in.flag("version");
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    firmware::Catalog& catalog = *s.value()->firmware;
    const std::string where =
        spec.scope == "model" ? "every " + spec.model : spec.scope + " " + spec.key;
    if (clear) {
        auto removed = catalog.clearTarget(spec);
        if (!removed) return fwFail(removed.error());
        if (!removed.value()) return fwFail("no such target");
        std::cout << "target cleared for " << where << "\n";
        return 0;
    }
    auto set = catalog.setTarget(spec);
    if (!set) return fwFail(set.error());
    std::cout << "target " << set.value().vendor << " " << set.value().model << " " << where << ": "
              << set.value().version << "\n";
    return 0;
}

int targets(const Invocation& in) {
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    auto rows = s.value()->firmware->listTargets(in.flag("vendor"));
    if (!rows) return fwFail(rows.error());
    std::cout << std::left << std::setw(12) << "VENDOR" << std::setw(12) << "MODEL" << std::setw(8)
              << "SCOPE" << std::setw(20) << "KEY"
              << "VERSION\n";
    for (const FirmwareTarget& t : rows.value()) {
        std::cout << std::left << std::setw(12) << t.vendor << std::setw(12) << t.model
                  << std::setw(8) << t.scope << std::setw(20)
                  << (t.scope_key.empty() ? "-" : t.scope_key) << t.version << "\n";
    }
    return 0;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

int rolloutStart(const Invocation& in) {
    firmware::RolloutSpec spec;
    spec.vendor = in.flag("vendor");
    spec.model = in.flag("model");
    spec.site = in.flag("site");
    spec.version = in.flag("version");
    const std::string canaries = in.flag("canaries");
    for (size_t start = 0; start < canaries.size();) {
        size_t comma = canaries.find(',', start);
        if (comma == std::string::npos) comma = canaries.size();
        if (comma > start) spec.canaries.push_back(canaries.substr(start, comma - start));
        start = comma + 1;
    }
    if (in.has("percent")) {
        const std::string p = in.flag("percent");
        if (!text::isDigits(p) || p.size() > 3) return fwFail("--percent must be 1 to 100 (got '" + p + "')", kExitUsage);
        spec.percent = std::stoi(p);
        if (spec.percent == 0) return fwFail("--percent must be 1 to 100 (got '" + p + "')", kExitUsage);
    }
    spec.window_s = firmware::parseWindow(in.flag("window"));
    if (spec.window_s < 0)
        return fwFail("--window must be a time such as 90, 30m, 2h or 1d (got '" + in.flag("window") + "')",
                      kExitUsage);
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    auto r = s.value()->firmware->startRollout(spec);
    if (!r) return fwFail(r.error());
    std::cout << "rollout " << r.value().id << ": " << r.value().vendor << " " << r.value().model
              << (r.value().site.empty() ? "" : " at " + r.value().site) << " to " << r.value().to_version << ", "
              << r.value().canaries.size() << " canar" << (r.value().canaries.size() == 1 ? "y" : "ies") << " ("
              << joined(r.value().canaries) << "), window " << r.value().window_s << " s\n";
    return 0;
}

int rollouts(const Invocation& in) {
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    auto rows = s.value()->firmware->listRollouts();
    if (!rows) return fwFail(rows.error());
    std::cout << std::left << std::setw(5) << "ID" << std::setw(12) << "VENDOR" << std::setw(12) << "MODEL"
              << std::setw(14) << "SITE" << std::setw(22) << "VERSION" << std::setw(13) << "STATE"
              << "REASON\n";
    for (const Rollout& r : rows.value()) {
        std::cout << std::left << std::setw(5) << r.id << std::setw(12) << r.vendor << std::setw(12) << r.model
                  << std::setw(14) << (r.site.empty() ? "-" : r.site) << std::setw(22) << r.to_version
                  << std::setw(13) << r.state << r.reason << "\n";
    }
    return 0;
}

int rolloutCall(const Invocation& in, const std::string& verb) {
    const std::string id = in.line.words[3];
    if (!text::isDigits(id) || id.size() > 15)
        return fwFail("firmware rollout " + verb + " takes a rollout ID (firmware rollouts)", kExitUsage);
    auto s = in.open(Migrate::kNo);
    if (!s) return fwFail(s.error().message, exitCodeFor(s.error()));
    firmware::Catalog& catalog = *s.value()->firmware;
    const int64_t n = std::stoll(id);
    if (verb == "show") {
        auto v = catalog.viewRollout(n);
        if (!v) return fwFail(v.error());
        const Rollout& r = v.value().rollout;
        std::cout << "rollout " << r.id << ": " << r.vendor << " " << r.model
                  << (r.site.empty() ? "" : " at " + r.site) << " to " << r.to_version << ", " << r.state
                  << (r.reason.empty() ? "" : " (" + r.reason + ")") << "\n";
        std::cout << std::left << std::setw(14) << "MAC" << std::setw(8) << "RING" << std::setw(12) << "STATUS"
                  << "REPORTS\n";
        for (const auto& m : v.value().members) {
            std::cout << std::left << std::setw(14) << m.mac << std::setw(8) << (m.ring == 0 ? "canary" : "rest")
                      << std::setw(12) << (m.fw_status.empty() ? "-" : m.fw_status)
                      << (m.last_firmware.empty() ? "-" : m.last_firmware) << "\n";
        }
        return 0;
    }
    auto r = verb == "halt" ? catalog.haltRollout(n, "cli", in.flag("reason")) : catalog.rollbackRollout(n, "cli");
    if (!r) return fwFail(r.error());
    std::cout << "rollout " << r.value().id << " " << r.value().state << "\n";
    return 0;
}

}  // namespace

int runFirmware(const Invocation& in) {
    const auto& words = in.line.words;
    const std::string verb = words.size() >= 2 ? words[1] : "";
    if (verb == "add" && words.size() == 3) return add(in);
    if (verb == "list" && words.size() == 2) return list(in);
    if (verb == "remove" && words.size() == 3) return remove(in);
    if (verb == "target" && words.size() == 2) return target(in);
    if (verb == "targets" && words.size() == 2) return targets(in);
    if (verb == "rollouts" && words.size() == 2) return rollouts(in);
    if (verb == "rollout" && words.size() == 3 && words[2] == "start") return rolloutStart(in);
    if (verb == "rollout" && words.size() == 4 &&
        (words[2] == "show" || words[2] == "halt" || words[2] == "rollback"))
        return rolloutCall(in, words[2]);
    return fwFail("usage: provisioner " + usageLine(in.command), kExitUsage);
}

}  // namespace prov::app
