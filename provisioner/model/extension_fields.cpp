// The fields of an extension (design.md, "The extension store"), in the
// order the API shows them. See fields.h for what a row says.

#include "provisioner/model/fields.h"
#include "provisioner/model/validation.h"

namespace prov {

namespace {

using F = Field<Extension>;

constexpr EnumAccess<Extension> kDeviceType{
    [](const Extension& e) { return toString(e.device_type); },
    [](Extension& e, std::string_view v) {
        auto t = parseDeviceType(v);
        if (t) e.device_type = *t;
        return t.has_value();
    },
    "SIP, IAX2, DAHDI, VIRTUAL, SIP-VIRTUAL"};

constexpr EnumAccess<Extension> kStatus{
    [](const Extension& e) { return toString(e.status); },
    [](Extension& e, std::string_view v) {
        auto s = parseRegStatus(v);
        if (s) e.status = *s;
        return s.has_value();
    },
    "OK, UNREACHABLE, UNKNOWN, UNMONITORED"};

FieldTable<Extension> build() {
    using enum Access;
    return {
        field("id", &Extension::id).setBy(kByServer).with(kNotShown),
        field("extension", &Extension::extension).with(kCsvTrim),
        field("device_type", kDeviceType).with(kCsvTrim),
        field("callerid_name", &Extension::callerid_name).text(kMaxNameLength, true),
        field("user", &Extension::user).text(kMaxNameLength),
        field("voicemail_enabled", &Extension::voicemail_enabled),
        field("voicemail_pin", &Extension::voicemail_pin).secrecyIs(Secrecy::kMasked).with(kCsvTrim),
        field("voicemail_email", &Extension::voicemail_email).with(kCsvTrim),
        field("did", &Extension::did).dialable(kMaxNumberLength),
        field("twinning_number", &Extension::twinning_number).dialable(kMaxNumberLength),
        field("external_callerid", &Extension::external_callerid).dialable(kMaxNumberLength),
        field("call_forward", &Extension::call_forward).dialable(kMaxNumberLength),
        field("class_of_service", &Extension::class_of_service).text(kMaxNameLength),
        field("phone_group", &Extension::phone_group).text(kMaxNameLength),
        field("notes", &Extension::notes).text(1000),
        field("secret", &Extension::secret).secrecyIs(Secrecy::kSecret),
        // Shown and accepted on the extension, stored on its device (the
        // CSV carries them in the device's make and model columns); a
        // softphone extension, which has no device, keeps its own (written
        // apart by the store: sqlite_tx_extensions.cpp; in the CSV, the make
        // and model of its row, which has no mac: csv_import_check.cpp).
        field("phone_make", &Extension::phone_make).joinedAs("COALESCE(d.make, e.phone_make)").noCsv()
            .text(kMaxExtensionLength),
        field("phone_model", &Extension::phone_model).joinedAs("COALESCE(d.model, e.phone_model)").noCsv()
            .text(kMaxExtensionLength),
        // The CSV's mac column is the row's device.
        field("mac", &Extension::mac).kindIs(FieldKind::kMac).noCsv().with(kNullable),
        field("phone_reg", &Extension::phone_reg).upTo(kMaxPhoneReg).with(kNullable | kCsvTrim),
        field("agent", &Extension::agent).setBy(kByPbx),
        field("status", kStatus).setBy(kByPbx),
        field("status_changed_at", &Extension::status_changed_at).kindIs(FieldKind::kTime).setBy(kByPbx)
            .noJson().with(kNullable),
        field("ip", &Extension::ip).setBy(kByPbx),
        field("port", &Extension::port).setBy(kByPbx).with(kNullable),
        field("reg_transport", &Extension::reg_transport).setBy(kByPbx),
        field("created_at", &Extension::created_at).kindIs(FieldKind::kTime).setBy(kByServer),
        field("updated_at", &Extension::updated_at).kindIs(FieldKind::kTime).setBy(kByServer),
        field("version", &Extension::version).setBy(kByServer),
    };
}

}  // namespace

const FieldTable<Extension>& extensionFields() {
    static const FieldTable<Extension> kTable = build();
    return kTable;
}

}  // namespace prov
