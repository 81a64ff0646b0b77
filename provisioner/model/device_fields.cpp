// The fields of a device in the inventory, in the order the API shows them.
// See fields.h for what a row says.

#include "provisioner/model/fields.h"
#include "provisioner/model/validation.h"

namespace prov {

namespace {

constexpr EnumAccess<Device> kState{
    [](const Device& d) { return toString(d.state); },
    [](Device& d, std::string_view v) {
        auto s = parseDeviceState(v);
        if (s) d.state = *s;
        return s.has_value();
    },
    "new, unassigned, staged, provisioned, applied, stale"};

FieldTable<Device> build() {
    using enum Access;
    return {
        field("mac", &Device::mac).kindIs(FieldKind::kMac).setBy(kKey),
        // Checked against the catalog and stored as it spells them (inventory/).
        field("make", &Device::make).csvAs("make", "phone_make").text(kMaxExtensionLength).with(kCsvTrim),
        field("model", &Device::model).csvAs("model", "phone_model").text(kMaxExtensionLength).with(kCsvTrim),
        field("serial", &Device::serial).text(kMaxNameLength),
        field("label", &Device::label).csvAs("label", "site").text(kMaxNameLength),
        // Checked against the model's modules and stored as the catalog spells it (inventory/).
        field("expansion_model", &Device::expansion_model).text(kMaxNameLength).with(kCsvTrim),
        field("expansion_count", &Device::expansion_count).upTo(kMaxExpansionCount).with(kCsvTrim),
        // Staging moves it; an admin may set it through the API.
        field("state", kState).noCsv(),
        field("first_seen_at", &Device::first_seen_at).kindIs(FieldKind::kTime).setBy(kBySeen).with(kNullable),
        field("last_seen_at", &Device::last_seen_at).kindIs(FieldKind::kTime).setBy(kBySeen).with(kNullable),
        field("last_seen_ip", &Device::last_seen_ip).setBy(kBySeen),
        field("last_seen_ua", &Device::last_seen_ua).setBy(kBySeen),
        field("last_firmware", &Device::last_firmware).setBy(kBySeen),
        field("last_file", &Device::last_file).setBy(kBySeen),
        field("last_hash", &Device::last_hash).setBy(kBySeen),
        // Who put it in the inventory; the server sets it (see records.h).
        field("origin", &Device::origin).setBy(kByServer).noCsv(),
        // Firmware and resync progress (issue 14); the server moves them.
        field("firmware_target", &Device::fw_target).columnIs("fw_target").setBy(kByServer).noCsv(),
        field("firmware_status", &Device::fw_status).columnIs("fw_status").setBy(kByServer).noCsv(),
        field("resync", &Device::resync).setBy(kByServer).noCsv(),
        field("created_at", &Device::created_at).kindIs(FieldKind::kTime).setBy(kByServer),
        field("updated_at", &Device::updated_at).kindIs(FieldKind::kTime).setBy(kByServer),
        field("version", &Device::version).setBy(kByServer),
    };
}

}  // namespace

const FieldTable<Device>& deviceFields() {
    static const FieldTable<Device> kTable = build();
    return kTable;
}

}  // namespace prov
