// Extension rules: uniqueness, device binding and slots, licences, delete
// references, registration status. See inventory.h.

#include <arpa/inet.h>

#include "provisioner/core/mac_address.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/inventory/key_fit.h"
#include "provisioner/inventory/staging.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

Error invalidFields(FieldErrors errors) {
    return Error::invalid("some fields are not valid", std::move(errors));
}

std::string macText(const std::string& mac) {
    auto m = MacAddress::parse(mac);
    return m ? m->colons() : mac;
}

bool isIp(const std::string& ip) {
    unsigned char buf[16];
    return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

// The extension named `extension`, or NotFound.
Result<Extension> existing(StoreTx& tx, const std::string& extension) {
    std::optional<Extension> cur = TRY(tx.getExtension(extension));
    if (!cur) return Error::notFound("no extension " + extension);
    return std::move(*cur);
}

}  // namespace

Extension Inventory::effective(Extension e) const {
    if (e.status == RegStatus::kUnreachable && e.status_changed_at &&
        clock_.nowSeconds() - e.status_changed_at > options_.unknown_after_seconds)
        e.status = RegStatus::kUnknown;
    return e;
}

std::string Inventory::auditJson(const Extension& e, const Extension* before) const {
    return json::stringify(json::auditView(e, before));
}

// A softphone make (vendor.json "softphone") is stored on the extension,
// which has no device: the "needs a mac" of validateExtension does not apply,
// a MAC does not belong, and the model must be one of the vendor's.
void Inventory::checkSoftphone(Extension& e, FieldErrors& errors) const {
    if (e.phone_make.empty() || !models_.isSoftphone(e.phone_make)) return;
    const std::string make = models_.findMake(e.phone_make);
    for (const char* f : {"phone_make", "phone_model"}) {
        auto it = errors.find(f);
        if (it != errors.end() && it->second.rfind("needs a mac", 0) == 0) errors.erase(it);
    }
    if (!e.mac.empty())
        errors["mac"] = make + " is a softphone: it has no device; leave mac empty";
    if (e.phone_reg != 0 && !errors.count("phone_reg")) errors["phone_reg"] = make + " is a softphone: no line";
    if (errors.count("phone_model")) return;
    const auto model = models_.findModel(e.phone_make, e.phone_model);
    if (!model) {
        errors["phone_model"] = "must be a model of " + make;
        return;
    }
    e.phone_make = model->vendor_name;  // as the catalog spells them
    e.phone_model = model->model;
}

Status Inventory::bindDevice(StoreTx& tx, Extension& e, FieldErrors& errors, const Actor& actor, bool new_bind,
                             bool keys_checked_after) {
    const std::optional<Device> found = TRY(tx.getDevice(e.mac));
    const std::vector<Extension> bound = TRY(tx.extensionsOnDevice(e.mac));
    std::vector<const Extension*> others;
    for (const Extension& o : bound) {
        if (o.id != e.id) others.push_back(&o);
    }
    Device device;
    bool new_model = !found;  // the phone's make or model is this request's
    if (found) {
        device = *found;
        const Device before = device;
        const bool make_changed = !e.phone_make.empty() && e.phone_make != device.make;
        const bool model_changed = !e.phone_model.empty() && e.phone_model != device.model;
        device.state = staging::next(device.state, staging::Input::kClaimed);
        // An extension an installer bound waits for an admin's window.
        const bool vouched = new_bind && actor.role == Role::kInstaller && device.origin != "installer";
        if (vouched) device.origin = "installer";
        const bool claimed = device.state != before.state || vouched;
        if (make_changed) device.make = e.phone_make;
        if (model_changed) device.model = e.phone_model;
        new_model = make_changed || model_changed;
        // A new model must still hold the lines already on the phone.
        if (make_changed || model_changed) {
            // What is already on the phone must be writable by the new make or model.
            const std::string unwritable =
                TRY(unwritableOnDevice(tx, models_, device.mac, device.make, device.model, e.id));
            if (!unwritable.empty()) {
                errors[make_changed ? "phone_make" : "phone_model"] = unwritable + ": change it first";
                return okStatus();
            }
            if (auto m = models_.findModel(device.make, device.model)) {
                for (const Extension* o : others) {
                    if (o->phone_reg > m->lines) {
                        errors[model_changed ? "phone_model" : "phone_make"] =
                            "a " + m->vendor_name + " " + m->model + " has " + std::to_string(m->lines) +
                            " lines but extension " + o->extension + " is on line " + std::to_string(o->phone_reg);
                        return okStatus();
                    }
                }
            }
            // And the modules on it must be ones the new model takes.
            if (!device.expansion_model.empty()) {
                FieldErrors module_errors;
                checkExpansion(models_, device, module_errors);
                for (const auto& [field, message] : module_errors) {
                    (void)field;
                    errors[model_changed ? "phone_model" : "phone_make"] =
                        "the phone's expansion modules: " + message + "; change the device's modules first";
                    return okStatus();
                }
            }
        }
        if (make_changed || model_changed || claimed) {
            TRY(tx.updateDevice(device));
            TRY(audit(tx, actor, "update", "device", device.mac, json::stringify(json::toJson(before)),
                      json::stringify(json::toJson(device))));
        }
    } else {
        device.mac = e.mac;
        device.make = e.phone_make;
        device.model = e.phone_model;
        device.state = staging::next(DeviceState::kNew, staging::Input::kClaimed);
        device.origin = actor.role == Role::kInstaller ? "installer" : "admin";
        TRY(tx.insertDevice(device));
        TRY(audit(tx, actor, "create", "device", device.mac, "", json::stringify(json::toJson(device))));
    }
    e.phone_make = device.make;
    e.phone_model = device.model;
    // A new phone, or a new model: every button on it (the extension's own,
    // brought along or kept) on one of the keys of its model and modules.
    const bool check_keys = (new_model || new_bind) && !keys_checked_after;
    if (auto keys = check_keys ? deviceKeys(models_, device) : std::nullopt) {
        std::vector<PlacedButton> placed = TRY(buttonsOnDevice(tx, device.mac, e.id));
        if (e.id != 0) {
            for (Button& b : TRY(tx.getButtons(e.id))) placed.push_back({e.extension, std::move(b)});
        }
        const std::string past = buttonsPastKeys(placed, *keys);
        if (!past.empty()) {
            errors[new_model ? "phone_model" : "mac"] = past;
            return okStatus();
        }
    }
    // Brought onto a phone, its buttons must not sit on another extension's
    // keys there (any model: one key holds one button).
    if (new_bind && !keys_checked_after && e.id != 0) {
        std::vector<PlacedButton> placed = TRY(buttonsOnDevice(tx, device.mac, e.id));
        for (Button& b : TRY(tx.getButtons(e.id))) placed.push_back({e.extension, std::move(b)});
        const std::string shared = sharedKeys(placed);
        if (!shared.empty()) {
            errors["mac"] = shared;
            return okStatus();
        }
    }
    const auto model = models_.findModel(device.make, device.model);
    if (e.phone_reg == 0) {
        int slot = 1;
        for (bool taken = true; taken; ++slot) {
            taken = false;
            for (const Extension* o : others) taken = taken || o->phone_reg == slot;
            if (!taken) break;
        }
        e.phone_reg = slot;
        if (model && slot > model->lines) {
            errors["mac"] = "every line of this " + model->vendor_name + " " + model->model + " (" +
                            std::to_string(model->lines) + ") is taken";
        }
    } else if (model && e.phone_reg > model->lines) {
        errors["phone_reg"] = "must be 1 to " + std::to_string(model->lines) + ": a " +
                              model->vendor_name + " " + model->model + " has " +
                              std::to_string(model->lines) + " lines";
    }
    for (const Extension* o : others) {
        if (o->phone_reg == e.phone_reg && !errors.count("phone_reg") && !errors.count("mac")) {
            return Error{Code::kAlreadyExists, "duplicate",
                         "line " + std::to_string(e.phone_reg) + " of " + macText(e.mac) +
                             " is taken by extension " + o->extension,
                         {{"phone_reg", "is taken on this device by extension " + o->extension}}, {}};
        }
    }
    if (e.device_type == DeviceType::kSipVirtual) {
        bool has_primary = false;
        for (const Extension* o : others) has_primary = has_primary || o->device_type != DeviceType::kSipVirtual;
        if (!has_primary)
            errors["device_type"] = "SIP-VIRTUAL is an extra extension on a device that already has one; "
                                    "bind a SIP extension to " + macText(e.mac) + " first";
    }
    return okStatus();
}

// An installer binds an extension that is on no phone to a phone fresh out of
// its box (new or unassigned), and nothing more: moving an extension off a
// phone, or onto one already set up, would hand its secrets to another phone
// and needs an admin.
Status Inventory::installerMayBind(StoreTx& tx, const Extension& e, const Extension& before) {
    auto refuse = [](std::string why) {
        return Error{Code::kPermissionDenied, "forbidden", "the installer role cannot " + why, {{"mac", why}}, {}};
    };
    if (!before.mac.empty())
        return refuse("move extension " + e.extension + " off " + macText(before.mac) + " (an admin can)");
    const std::optional<Device> target = TRY(tx.getDevice(e.mac));
    if (target && target->state != DeviceState::kNew && target->state != DeviceState::kUnassigned)
        return refuse("bind to " + macText(e.mac) + ", which is " + std::string(toString(target->state)) +
                      " (only new or unassigned devices; an admin can)");
    return okStatus();
}

Status Inventory::checkExtensionRules(StoreTx& tx, Extension& e, const std::optional<Extension>& before,
                                      const Actor& actor, bool keys_checked_after) {
    FieldErrors errors;
    validateExtension(e, errors);
    checkSoftphone(e, errors);
    if (before && e.extension != before->extension)
        errors["extension"] = "cannot be renamed; create the new extension and delete this one";
    if (!errors.empty()) return invalidFields(errors);

    if (!before) {
        const std::optional<Extension> existing = TRY(tx.getExtension(e.extension));
        if (existing)
            return Error{Code::kAlreadyExists, "duplicate", "extension " + e.extension + " already exists",
                         {{"extension", "is already taken"}}, {}};
    }
    if (actor.role == Role::kInstaller && before && e.mac != before->mac) TRY(installerMayBind(tx, e, *before));
    if (!e.mac.empty()) {
        TRY(bindDevice(tx, e, errors, actor, !before || before->mac != e.mac, keys_checked_after));
        // Values its phone's files cannot write, its buttons' too when they
        // come along onto the phone (a new one's are checked in setButtons).
        checkLineValues(models_, e.phone_make, e.phone_model, e, errors);
        // (An import row that gives the buttons is checked with those, once written: CsvImport::checkValues.)
        if (e.id != 0 && !keys_checked_after &&
            (!before || before->mac != e.mac || before->phone_make != e.phone_make || before->phone_model != e.phone_model)) {
            FieldErrors key_errors;
            checkKeyValues(models_, e.phone_make, e.phone_model, TRY(tx.getButtons(e.id)), key_errors);
            if (!key_errors.empty() && !errors.count("mac"))
                errors["mac"] = "a button of extension " + e.extension + " " + key_errors.begin()->second +
                                " (" + key_errors.begin()->first + "): change it first";
        }
        if (!errors.empty()) return invalidFields(errors);
    } else if (!models_.isSoftphone(e.phone_make)) {
        e.phone_make.clear();
        e.phone_model.clear();
    }
    // Moving the last primary extension off a phone would strand its SIP-VIRTUAL ones.
    if (before && !before->mac.empty() && before->device_type != DeviceType::kSipVirtual &&
        (e.mac != before->mac || e.device_type == DeviceType::kSipVirtual)) {
        const std::vector<Extension> left = TRY(tx.extensionsOnDevice(before->mac));
        bool primary_left = false;
        std::string stranded;
        for (const Extension& o : left) {
            if (o.id == e.id) continue;
            if (o.device_type == DeviceType::kSipVirtual) {
                stranded = o.extension;
            } else {
                primary_left = true;
            }
        }
        if (!stranded.empty() && !primary_left) {
            return invalidFields({{e.mac != before->mac ? "mac" : "device_type",
                                   "SIP-VIRTUAL extension " + stranded + " would be left alone on " +
                                       macText(before->mac) + "; move or delete it first"}});
        }
    }
    if (usesLicence(e.device_type) && (!before || !usesLicence(before->device_type))) {
        const int64_t used = TRY(tx.countLicensed());
        if (used >= options_.licence_limit) {
            return Error::conflict("license_limit_reached",
                                   "the licence allows " + std::to_string(options_.licence_limit) +
                                       " extensions and " + std::to_string(used) +
                                       " are in use; VIRTUAL and SIP-VIRTUAL extensions need none");
        }
    }
    if (e.secret.empty()) e.secret = random_.alnum(kGeneratedSecretLength);
    return okStatus();
}

Result<Extension> Inventory::createExtension(Extension e, const Actor& actor) {
    TRY(writeTx([&](StoreTx& tx) -> Status {
        TRY(checkExtensionRules(tx, e, std::nullopt, actor));
        TRY(tx.insertExtension(e));
        TRY(configChanged(tx, e.mac));
        return audit(tx, actor, "create", "extension", e.extension, "", auditJson(e, nullptr));
    }));
    return effective(e);
}

Result<Extension> Inventory::getExtension(const std::string& extension) {
    std::optional<Extension> found;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        found = TRY(tx.getExtension(extension));
        return okStatus();
    }));
    if (!found) return Error::notFound("no extension " + extension);
    return effective(*found);
}

Result<Listing<Extension>> Inventory::listExtensions(const ExtensionFilter& filter, Page page) {
    Listing<Extension> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listExtensions(filter, page));
        return okStatus();
    }));
    for (auto& e : out.items) e = effective(e);
    return out;
}

Result<Extension> Inventory::editExtension(const std::string& extension, const ExtensionEdit& edit,
                                           const Actor& actor) {
    Extension next;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        const Extension before = TRY(existing(tx, extension));
        next = before;
        FieldErrors errors;
        std::optional<int64_t> version;
        edit(next, errors, version);
        if (!errors.empty()) {
            // Report the value rules too, so the caller sees every bad field at once.
            FieldErrors more;
            validateExtension(next, more);
            errors.merge(more);
            return invalidFields(errors);
        }
        if (version && *version != before.version) {
            return Error::conflict("version_conflict",
                                   "extension " + extension + " is at version " +
                                       std::to_string(before.version) + ", not " +
                                       std::to_string(*version) + ": reload it and apply your change again");
        }
        next.id = before.id;
        next.version = before.version;
        // Moving to another phone without naming a line takes its first free line.
        if (next.mac != before.mac && next.phone_reg == before.phone_reg) next.phone_reg = 0;
        if (next.mac.empty() && next.device_type != DeviceType::kVirtual) next.phone_reg = 0;
        TRY(checkExtensionRules(tx, next, before, actor));
        TRY(tx.updateExtension(next));
        TRY(configChanged(tx, before.mac));
        TRY(configChanged(tx, next.mac));
        return audit(tx, actor, "update", "extension", extension, auditJson(before, nullptr),
                     auditJson(next, &before));
    }));
    return effective(next);
}

// What still uses `e`: what the delete refusal lists, in its words.
Result<std::vector<std::string>> Inventory::referencesTo(StoreTx& tx, const Extension& e) {
    std::vector<std::string> refs;
    if (!e.call_forward.empty()) refs.push_back("call forward is set to " + e.call_forward);
    if (e.voicemail_enabled) refs.push_back("voicemail is enabled");
    for (const auto& f : TRY(tx.forwardersTo(e.extension))) refs.push_back("extension " + f + " forwards to it");
    for (const auto& w : TRY(tx.blfWatchersOf(e.extension)))
        refs.push_back("extension " + w + " watches it with a BLF button");
    if (!e.phone_group.empty()) refs.push_back("member of phone group " + e.phone_group);
    if (!e.mac.empty()) refs.push_back("bound to phone " + macText(e.mac) + " line " + std::to_string(e.phone_reg));
    return refs;
}

Result<std::vector<std::string>> Inventory::extensionReferences(const std::string& extension) {
    std::vector<std::string> refs;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        const Extension e = TRY(existing(tx, extension));
        refs = TRY(referencesTo(tx, e));
        return okStatus();
    }));
    return refs;
}

Status Inventory::deleteExtension(const std::string& extension, bool force, const Actor& actor) {
    return writeTx([&](StoreTx& tx) -> Status {
        const Extension e = TRY(existing(tx, extension));
        const std::vector<std::string> refs = TRY(referencesTo(tx, e));
        if (!refs.empty() && !force) {
            return Error{Code::kConflict, "extension_in_use",
                         "extension " + extension + " is still in use; delete with ?force=true to confirm",
                         {}, refs};
        }
        TRY(tx.deleteExtension(e.id));
        TRY(configChanged(tx, e.mac));
        return audit(tx, actor, force ? "delete_forced" : "delete", "extension", extension,
                     auditJson(e, nullptr), "");
    });
}

Result<Extension> Inventory::setRegistration(const std::string& extension, const Registration& reg,
                                             const Actor& actor) {
    FieldErrors errors;
    auto status = parseRegStatus(reg.status);
    if (!status) errors["status"] = "must be one of OK, UNREACHABLE, UNKNOWN, UNMONITORED or empty";
    if (!reg.ip.empty() && !isIp(reg.ip)) errors["ip"] = "must be an IPv4 or IPv6 address";
    if (reg.port < 0 || reg.port > 65535) errors["port"] = "must be 1 to 65535";
    checkText("agent", reg.agent, kMaxNameLength, false, errors);
    if (!reg.transport.empty() && reg.transport != "udp" && reg.transport != "tcp" && reg.transport != "tls")
        errors["transport"] = "must be udp, tcp, tls or empty";
    if (!errors.empty()) return invalidFields(errors);
    Extension next;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        const Extension before = TRY(existing(tx, extension));
        next = before;
        if (*status != before.status || !before.status_changed_at) next.status_changed_at = clock_.nowSeconds();
        next.status = *status;
        next.ip = reg.ip;
        next.port = reg.port;
        next.agent = reg.agent;
        next.reg_transport = reg.transport;
        TRY(tx.updateRegistration(next));
        // A phone the resync push could not reach (no line registered, or
        // every try failed) that is still stale: a line of it just came up.
        if (*status == RegStatus::kOk && !next.ip.empty() && next.port > 0 && !next.mac.empty())
            TRY(tx.queueRegistered(next.mac, clock_.nowSeconds()));
        return audit(tx, actor, "update", "registration", extension, auditJson(before, nullptr),
                     auditJson(next, &before));
    }));
    return effective(next);
}

Result<std::vector<Button>> Inventory::getButtons(const std::string& extension) {
    std::vector<Button> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        const Extension cur = TRY(existing(tx, extension));
        out = TRY(tx.getButtons(cur.id));
        return okStatus();
    }));
    return out;
}

Result<std::vector<Button>> Inventory::setButtons(const std::string& extension,
                                                  std::vector<Button> buttons, const Actor& actor) {
    FieldErrors errors;
    validateButtons(buttons, errors);
    if (!errors.empty()) return invalidFields(errors);
    TRY(writeTx([&](StoreTx& tx) -> Status {
        const Extension cur = TRY(existing(tx, extension));
        // On a phone of a known model, every button on one of its keys
        // (named by its place in the request, so checked before sorting).
        if (!cur.mac.empty()) {
            const std::optional<Device> device = TRY(tx.getDevice(cur.mac));
            const std::optional<DeviceKeys> keys = device ? deviceKeys(models_, *device) : std::nullopt;
            if (keys) checkButtonsFit(buttons, *keys, errors);
            if (device) checkKeyValues(models_, device->make, device->model, buttons, errors);
            // Nor on a key another extension on the phone holds.
            std::map<int, PlacedButton> taken;
            for (PlacedButton& p : TRY(buttonsOnDevice(tx, cur.mac, cur.id))) taken.emplace(p.button.index, p);
            for (size_t i = 0; i < buttons.size(); ++i) {
                const std::string at = "buttons[" + std::to_string(i) + "].index";
                auto other = taken.find(buttons[i].index);
                if (other == taken.end() || errors.count(at)) continue;
                errors[at] = "key " + std::to_string(buttons[i].index) + " holds extension " +
                             other->second.extension + "'s " + other->second.button.type + " on the same phone";
            }
            if (!errors.empty()) return invalidFields(errors);
        }
        std::sort(buttons.begin(), buttons.end(), [](const Button& a, const Button& b) { return a.index < b.index; });
        const std::vector<Button> before = TRY(tx.getButtons(cur.id));
        TRY(tx.replaceButtons(cur.id, buttons));
        TRY(configChanged(tx, cur.mac));
        return audit(tx, actor, "update", "buttons", extension,
                     json::stringify(json::toJson(before)), json::stringify(json::toJson(buttons)));
    }));
    return buttons;
}

}  // namespace prov
