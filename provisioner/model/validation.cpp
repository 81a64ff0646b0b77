#include "provisioner/model/validation.h"

#include "provisioner/core/text.h"
#include "provisioner/model/fields.h"

namespace prov {

namespace {

bool isBlank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

void checkNumber(const std::string& field, const std::string& value, size_t max, FieldErrors& errors) {
    if (value.empty()) return;
    if (value.size() > max || !text::isDialable(value))
        errors[field] = "must be a dialable number: an optional leading +, then digits, * and #, "
                        "at most " + std::to_string(max) + " characters";
}

// The rules of fields.h that each concern one field.
template <typename R>
void checkFieldRules(const FieldTable<R>& table, const R& r, FieldErrors& errors) {
    for (const auto& f : table) {
        const std::string name(f.json);
        const auto max = static_cast<size_t>(f.limit);
        if (f.rule == Rule::kText) checkText(name, textOf(f, r), max, f.required, errors);
        if (f.rule == Rule::kDialable) checkNumber(name, textOf(f, r), max, errors);
    }
}

void checkSecret(const std::string& secret, FieldErrors& errors) {
    if (secret.size() < kMinSecretLength || secret.size() > kMaxSecretLength) {
        errors["secret"] = "must be 8 to 128 characters (leave it out to get a strong random one)";
        return;
    }
    for (char c : secret) {
        if (c <= 0x20 || c >= 0x7F) {
            errors["secret"] = "must be printable ASCII without spaces";
            return;
        }
    }
}

}  // namespace

void checkText(const std::string& field, const std::string& value, size_t max, bool required,
               FieldErrors& errors) {
    if (required && isBlank(value)) {
        errors[field] = "is required";
    } else if (!text::isPrintable(value)) {
        errors[field] = "must be printable text without control characters";
    } else if (text::codePoints(value) > max) {
        errors[field] = "must be at most " + std::to_string(max) + " characters";
    }
}

void validateExtension(const Extension& e, FieldErrors& errors) {
    if (e.extension.empty()) {
        errors["extension"] = "is required";
    } else if (e.extension.size() > kMaxExtensionLength || !text::isAsciiAlnum(e.extension)) {
        errors["extension"] = "must be 1 to 32 letters and digits";
    }
    checkFieldRules(extensionFields(), e, errors);

    if (!e.voicemail_pin.empty() &&
        (!text::isDigits(e.voicemail_pin) || e.voicemail_pin.size() < 4 || e.voicemail_pin.size() > 8)) {
        errors["voicemail_pin"] = "must be 4 to 8 digits";
    } else if (e.voicemail_enabled && e.voicemail_pin.empty()) {
        errors["voicemail_pin"] = "is required when voicemail is enabled (4 to 8 digits)";
    }
    if (!e.voicemail_email.empty() && !text::isEmail(e.voicemail_email))
        errors["voicemail_email"] = "must be an e-mail address such as alice@example.com";

    if (!e.call_forward.empty() && e.call_forward == e.extension)
        errors["call_forward"] = "must not forward the extension to itself";

    if (!e.secret.empty()) checkSecret(e.secret, errors);

    if (e.device_type == DeviceType::kVirtual) {
        if (!e.mac.empty()) errors["mac"] = "a VIRTUAL extension has no device";
        if (e.phone_reg != 0) errors["phone_reg"] = "a VIRTUAL extension has no device";
    } else if (e.mac.empty()) {
        if (e.phone_reg != 0) errors["phone_reg"] = "needs a mac";
        if (!e.phone_make.empty() && !errors.count("phone_make"))
            errors["phone_make"] = "needs a mac: make and model are stored on the device";
        if (!e.phone_model.empty() && !errors.count("phone_model"))
            errors["phone_model"] = "needs a mac: make and model are stored on the device";
        if (e.device_type == DeviceType::kSipVirtual)
            errors["mac"] = "a SIP-VIRTUAL extension is an extra line on a device: give its mac";
    }
    if (e.phone_reg < 0 || e.phone_reg > kMaxPhoneReg)
        errors["phone_reg"] = "must be 1 to " + std::to_string(kMaxPhoneReg);
}

void validateButtons(const std::vector<Button>& buttons, FieldErrors& errors) {
    if (buttons.size() > static_cast<size_t>(kMaxButtons)) {
        errors["buttons"] = "at most 512 buttons";
        return;
    }
    std::map<int, size_t> seen;
    for (size_t i = 0; i < buttons.size(); ++i) {
        const Button& b = buttons[i];
        const std::string at = "buttons[" + std::to_string(i) + "].";
        if (b.index < 1 || b.index > kMaxButtons) {
            errors[at + "index"] = "must be 1 to 512";
        } else if (auto [it, fresh] = seen.emplace(b.index, i); !fresh) {
            errors[at + "index"] = "duplicates buttons[" + std::to_string(it->second) + "]";
        }
        if (!isButtonType(b.type))
            errors[at + "type"] = "must be one of " + std::string(buttonTypeList());
        const bool needs_value = b.type == "blf" || b.type == "speed_dial" || b.type == "park" ||
                                 b.type == "intercom" || b.type == "pickup";
        if (needs_value && b.value.empty()) {
            errors[at + "value"] = "is required for a " + b.type + " button";
        } else if (!b.value.empty() && (b.value.size() > kMaxNumberLength ||
                                         !(text::isDialable(b.value) || text::isAsciiAlnum(b.value)))) {
            errors[at + "value"] = "must be an extension or a dialable number";
        }
        checkText(at + "label", b.label, kMaxNameLength, false, errors);
        if (b.line < 1 || b.line > 1000) errors[at + "line"] = "must be 1 to 1000";
    }
}

void validateDevice(const Device& d, FieldErrors& errors) {
    if (d.mac.size() != 12) errors["mac"] = "is required";
    checkFieldRules(deviceFields(), d, errors);
}

}  // namespace prov
