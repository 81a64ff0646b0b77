#include "provisioner/model/records.h"

#include <array>
#include <cctype>
#include <utility>

namespace prov {

namespace {

template <typename E, size_t N>
std::optional<E> lookup(const std::array<std::pair<std::string_view, E>, N>& table,
                        std::string_view s) {
    for (const auto& [name, value] : table) {
        if (name == s) return value;
    }
    return std::nullopt;
}

template <typename E, size_t N>
std::string_view nameOf(const std::array<std::pair<std::string_view, E>, N>& table, E e) {
    for (const auto& [name, value] : table) {
        if (value == e) return name;
    }
    return "";
}

constexpr std::array<std::pair<std::string_view, DeviceType>, 5> kDeviceTypes{{
    {"SIP", DeviceType::kSip},
    {"IAX2", DeviceType::kIax2},
    {"DAHDI", DeviceType::kDahdi},
    {"VIRTUAL", DeviceType::kVirtual},
    {"SIP-VIRTUAL", DeviceType::kSipVirtual},
}};

constexpr std::array<std::pair<std::string_view, RegStatus>, 5> kStatuses{{
    {"", RegStatus::kBlank},
    {"OK", RegStatus::kOk},
    {"UNREACHABLE", RegStatus::kUnreachable},
    {"UNKNOWN", RegStatus::kUnknown},
    {"UNMONITORED", RegStatus::kUnmonitored},
}};

constexpr std::array<std::pair<std::string_view, Role>, 3> kRoles{{
    {"admin", Role::kAdmin},
    {"installer", Role::kInstaller},
    {"viewer", Role::kViewer},
}};

constexpr std::array<std::pair<std::string_view, DeviceState>, 6> kDeviceStates{{
    {"new", DeviceState::kNew},
    {"unassigned", DeviceState::kUnassigned},
    {"staged", DeviceState::kStaged},
    {"provisioned", DeviceState::kProvisioned},
    {"applied", DeviceState::kApplied},
    {"stale", DeviceState::kStale},
}};

constexpr std::array<std::string_view, 13> kButtonTypes{
    "line",  "blf",       "speed_dial", "park",   "voicemail", "dnd",    "transfer",
    "hold",  "conference", "forward",   "pickup", "intercom",  "none",
};

}  // namespace

std::optional<DeviceType> parseDeviceType(std::string_view s) { return lookup(kDeviceTypes, s); }
std::string_view toString(DeviceType t) { return nameOf(kDeviceTypes, t); }
bool usesLicence(DeviceType t) { return t != DeviceType::kVirtual && t != DeviceType::kSipVirtual; }
bool mayHaveDevice(DeviceType t) { return t != DeviceType::kVirtual; }

std::optional<RegStatus> parseRegStatus(std::string_view s) { return lookup(kStatuses, s); }
std::string_view toString(RegStatus s) { return nameOf(kStatuses, s); }

std::optional<Role> parseRole(std::string_view s) { return lookup(kRoles, s); }
std::string_view toString(Role r) { return nameOf(kRoles, r); }

std::string_view tokenState(const ApiToken& token, int64_t now) {
    if (token.revoked_at) return "revoked";
    if (token.expires_at && now >= token.expires_at) return "expired";
    return "active";
}

std::optional<DeviceState> parseDeviceState(std::string_view s) { return lookup(kDeviceStates, s); }
std::string_view toString(DeviceState s) { return nameOf(kDeviceStates, s); }

bool isButtonType(std::string_view s) {
    for (std::string_view t : kButtonTypes) {
        if (t == s) return true;
    }
    return false;
}

std::string_view buttonTypeList() {
    return "line, blf, speed_dial, park, voicemail, dnd, transfer, hold, conference, forward, "
           "pickup, intercom, none";
}

bool FirmwareImage::forModel(std::string_view model) const {
    for (const std::string& m : models) {
        if (m == "*" || m == model) return true;
    }
    return false;
}

bool sameFirmware(std::string_view a, std::string_view b) {
    auto trim = [](std::string_view s) {
        const auto blank = [](char c) { return c == ' ' || c == '\t'; };
        while (!s.empty() && blank(s.front())) s.remove_prefix(1);
        while (!s.empty() && blank(s.back())) s.remove_suffix(1);
        return s;
    };
    a = trim(a);
    b = trim(b);
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

}  // namespace prov
