// Adding and removing catalog images: the checks of what an admin says of
// an image, the move into firmware.dir that never replaces a file, the row
// and its audit entry.

#include <Poco/Logger.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "provisioner/firmware/catalog.h"
#include "provisioner/firmware/manifest.h"

namespace prov::firmware {

namespace {

Poco::Logger& fwLog() { return Poco::Logger::get("provisioner"); }

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool isHex64(const std::string& s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::string baseName(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string realPath(const std::string& path) {
    char buf[PATH_MAX];
    return ::realpath(path.c_str(), buf) ? std::string(buf) : "";
}

std::string parentOf(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

Error badInput(std::string reason, std::string message, std::string field, std::string problem) {
    return Error{Code::kInvalidArgument,
                 std::move(reason),
                 std::move(message),
                 {{std::move(field), std::move(problem)}},
                 {}};
}

}  // namespace
bool isVersion(const std::string& version) {
    if (version.empty() || version.size() > 64) return false;
    return std::all_of(version.begin(), version.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '(' ||
               c == ')';
    });
}

Result<std::vector<std::string>> parseModels(const std::string& text, const VendorModels& vendor) {
    std::vector<std::string> out;
    std::vector<std::string> unknown;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        const std::string m = upper(trim(text.substr(start, comma - start)));
        start = comma + 1;
        if (m.empty()) continue;
        if (m != "*" &&
            std::find(vendor.models.begin(), vendor.models.end(), m) == vendor.models.end()) {
            unknown.push_back(m);
        } else if (std::find(out.begin(), out.end(), m) == out.end()) {
            out.push_back(m);
        }
    }
    if (!unknown.empty()) {
        std::string list;
        for (const std::string& u : unknown) list += (list.empty() ? "" : ", ") + u;
        return Error::invalid(
            "unknown models",
            {{"models", "not " + vendor.name + " models in vendor-templates: " + list}});
    }
    if (out.empty())
        return Error::invalid("no models", {{"models", "required: models, comma-separated, or *"}});
    if (out.size() > 1 && std::find(out.begin(), out.end(), "*") != out.end())
        return Error::invalid("bad models",
                              {{"models", "* stands alone (every model of the vendor)"}});
    return out;
}

Result<VendorModels> Catalog::vendorOf(const AddSpec& spec,
                                       std::map<std::string, std::string>& errors) const {
    if (spec.vendor.empty()) {
        errors["vendor"] = "required: a vendor of vendor-templates";
        return Error::invalid("no vendor");
    }
    auto v = vendors_ ? vendors_(spec.vendor) : std::nullopt;
    if (!v) {
        errors["vendor"] = "no vendor named '" + spec.vendor + "' in vendor-templates";
        return Error::invalid("unknown vendor");
    }
    return *v;
}

Status Catalog::checkSpec(const AddSpec& spec) const {
    std::map<std::string, std::string> errors;
    if (auto v = vendorOf(spec, errors)) {
        if (auto m = parseModels(spec.models, v.value()); !m)
            errors.insert(m.error().fields.begin(), m.error().fields.end());
    } else if (spec.models.empty()) {
        errors["models"] = "required: models, comma-separated, or *";
    }
    if (spec.version.empty()) {
        errors["version"] = "required: the version the phones report once running the image";
    } else if (!isVersion(spec.version) || spec.version == kFirmwareNone) {
        errors["version"] = "1 to 64 letters, digits and . _ - + ( ), not 'none'";
    }
    if (!spec.sha256.empty() && !isHex64(spec.sha256)) errors["sha256"] = "64 hexadecimal digits";
    if (spec.size && *spec.size < 0) errors["size"] = "a number of bytes, 0 or more";
    if (spec.name.empty()) {
        errors["name"] = "required: the file name phones will ask for";
    } else if (!isImageName(spec.name)) {
        errors["name"] =
            "a file name of letters, digits and . _ - + ( ), not starting with '.', not "
            "manifest.json";
    }
    if (!errors.empty())
        return Error::invalid("the firmware image is not valid", std::move(errors));
    return okStatus();
}

Result<FirmwareImage> Catalog::addReceived(IncomingFile& file, const Hashed& received,
                                           const AddSpec& spec) {
    TRY(checkSpec(spec));
    if (received.size == 0)
        return badInput("invalid_input", "the image is empty", "file", "empty: not an image");
    if (spec.size && *spec.size != received.size)
        return badInput("size_mismatch",
                        "the image is " + std::to_string(received.size) + " bytes, not " +
                            std::to_string(*spec.size),
                        "size", "the file has " + std::to_string(received.size) + " bytes");
    if (!spec.sha256.empty() && lower(spec.sha256) != received.sha256)
        return badInput("checksum_mismatch",
                        "the image's SHA-256 is not the one given: corrupt or another file",
                        "sha256", "the file's SHA-256 is " + received.sha256);
    std::map<std::string, std::string> ignored;
    const VendorModels vendor = TRY(vendorOf(spec, ignored));
    FirmwareImage image;
    image.vendor = vendor.id;
    image.version = spec.version;
    image.models = TRY(parseModels(spec.models, vendor));
    image.file = spec.name;
    image.size = received.size;
    image.sha256 = received.sha256;
    image.source = spec.source;
    image.created_by = spec.actor;
    image.verified_at = clock_.nowSeconds();
    const std::string dest = options_.dir + "/" + spec.name;
    // link() never replaces: another image (or any file) of that name stays.
    if (::link(file.path().c_str(), dest.c_str()) != 0) {
        if (errno == EEXIST)
            return Error{Code::kAlreadyExists,
                         "duplicate",
                         "firmware.dir already holds a file named " + spec.name,
                         {{"name", "taken: choose another file name"}},
                         {}};
        return Error::internal("cannot move the image to " + dest + ": " + std::strerror(errno));
    }
    ::unlink(file.path().c_str());
    file.taken();
    ::chmod(dest.c_str(), 0644);  // phones' front ends and other tools read it
    const auto stamp = stampOf(dest);
    if (!stamp) return Error::internal("the image vanished from " + dest);
    image.mtime_ns = stamp->mtime_ns;
    image.inode = stamp->inode;
    auto inserted = insert(image, spec, dest);
    if (!inserted) ::unlink(dest.c_str());
    return inserted;
}

// A file already at its name in firmware.dir, registered where it is. It
// is opened once, without following a symbolic link (which would let the
// chmod below open up any file the server can reach), and everything is
// done on that descriptor: stat, hash, stat again (a file changed while it
// was read is refused), chmod. A file with other names is refused too: the
// chmod would reach them, and the serve gate goes by name and inode.
Result<FirmwareImage> Catalog::addInPlace(const std::string& path, const AddSpec& spec) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP)
        return badInput("invalid_input", path + " is a symbolic link", "file",
                        "a symbolic link: give the file itself");
    if (fd < 0)
        return badInput("invalid_input", "cannot open " + path + ": " + std::strerror(errno),
                        "file", "not a readable regular file");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return badInput("invalid_input", path + " is not a regular file", "file",
                        "not a readable regular file");
    if (st.st_nlink != 1)
        return badInput("invalid_input", path + " has other names (hard links)", "file",
                        "has hard links: give a file of its own, or one outside firmware.dir");
    const auto before = stampFrom(st);
    const Hashed hashed = TRY(hashFd(fd, path));
    if (hashed.size == 0)
        return badInput("invalid_input", path + " is empty", "file", "empty: not an image");
    if (stampOfFd(fd) != before || hashed.size != before->size)
        return badInput("invalid_input", path + " changed while it was read", "file",
                        "changed while it was read: add it again once it is complete");
    if (spec.size && *spec.size != hashed.size)
        return badInput("size_mismatch",
                        "the image is " + std::to_string(hashed.size) + " bytes, not " +
                            std::to_string(*spec.size),
                        "size", "the file has " + std::to_string(hashed.size) + " bytes");
    if (!spec.sha256.empty() && lower(spec.sha256) != hashed.sha256)
        return badInput("checksum_mismatch",
                        "the image's SHA-256 is not the one given: corrupt or another file",
                        "sha256", "the file's SHA-256 is " + hashed.sha256);
    if (::fchmod(fd, 0644) != 0)  // phones' front ends and other tools read it
        return Error::internal("cannot chmod " + path + ": " + std::strerror(errno));
    const auto stamp = stampOfFd(fd);  // the ctime moved, not the stamp
    if (!stamp) return Error::internal("cannot stat " + path);
    std::map<std::string, std::string> ignored;
    const VendorModels vendor = TRY(vendorOf(spec, ignored));
    FirmwareImage image;
    image.vendor = vendor.id;
    image.version = spec.version;
    image.models = TRY(parseModels(spec.models, vendor));
    image.file = spec.name;
    image.size = hashed.size;
    image.sha256 = hashed.sha256;
    image.mtime_ns = stamp->mtime_ns;
    image.inode = stamp->inode;
    image.source = spec.source;
    image.created_by = spec.actor;
    image.verified_at = clock_.nowSeconds();
    return insert(image, spec, path);
}

Result<FirmwareImage> Catalog::addFile(const std::string& path, AddSpec spec) {
    if (spec.name.empty()) spec.name = baseName(path);
    TRY(checkSpec(spec));
    if (!stampOf(path))
        return badInput("invalid_input", "no such file: " + path, "file",
                        "not a readable regular file");
    const bool in_place =
        baseName(path) == spec.name && realPath(parentOf(path)) == realPath(options_.dir);
    if (in_place) return addInPlace(path, spec);
    // Copied in while it is hashed: one read of the original.
    auto incoming = TRY(IncomingFile::create(options_.dir));
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return badInput("invalid_input", "cannot open " + path + ": " + std::strerror(errno),
                        "file", "not a readable regular file");
    std::vector<char> buf(1 << 20);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            return Error::internal("cannot read " + path + ": " + why);
        }
        if (n == 0) break;
        if (auto st = incoming->write(buf.data(), static_cast<size_t>(n)); !st) {
            ::close(fd);
            return st.error();
        }
    }
    ::close(fd);
    const Hashed received = TRY(incoming->finish());
    return addReceived(*incoming, received, spec);
}

Result<FirmwareImage> Catalog::insert(FirmwareImage image, const AddSpec& spec,
                                      const std::string& placed_path) {
    (void)placed_path;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        TRY(tx.insertFirmwareImage(image));
        AuditEntry a;
        a.actor = spec.actor;
        a.action = "create";
        a.entity = "firmware";
        a.entity_id = std::to_string(image.id);
        a.after = imageJsonText(image);
        a.source = spec.actor_source;
        return tx.insertAudit(a);
    }));
    {
        std::lock_guard lock(mutex_);
        Entry e;
        e.id = image.id;
        e.state = image.state;
        e.verified = FileStamp{image.size, image.mtime_ns, image.inode};
        e.checked = true;
        entries_[image.file] = e;
    }
    fwLog().information("firmware: added %s (%s %s for %s, %Ld bytes) by %s", image.file,
                        image.vendor, image.version, joinedModels(image), image.size, spec.actor);
    writeManifest();
    changed();
    return image;
}

Result<FirmwareImage> Catalog::remove(int64_t id, const std::string& actor,
                                      const std::string& actor_source) {
    FirmwareImage image;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        auto row = TRY(tx.getFirmwareImage(id));
        if (!row) return Error::notFound("no firmware image " + std::to_string(id));
        image = *row;
        // A target blocks the removal only when no other image holds its
        // version for its model: with one, the target still has an image.
        const std::vector<FirmwareImage> images = TRY(tx.listFirmwareImages());
        std::vector<std::string> users;
        for (const FirmwareTarget& t : TRY(tx.listFirmwareTargets(image.vendor))) {
            if (t.version != image.version || !image.forModel(t.model)) continue;
            const bool elsewhere =
                std::any_of(images.begin(), images.end(), [&](const FirmwareImage& other) {
                    return other.id != image.id && other.vendor == image.vendor &&
                           other.version == t.version && other.forModel(t.model);
                });
            if (!elsewhere)
                users.push_back(t.model + " " + t.scope +
                                (t.scope_key.empty() ? "" : " " + t.scope_key));
        }
        if (!users.empty()) {
            Error e = Error::conflict("firmware_in_use", "targets name version " + image.version +
                                                             ": change or remove them first");
            e.details = users;
            return e;
        }
        TRY(tx.deleteFirmwareImage(id));
        AuditEntry a;
        a.actor = actor;
        a.action = "delete";
        a.entity = "firmware";
        a.entity_id = std::to_string(id);
        a.before = imageJsonText(image);
        a.source = actor_source;
        return tx.insertAudit(a);
    }));
    {
        std::lock_guard lock(mutex_);
        entries_.erase(image.file);
    }
    ::unlink((options_.dir + "/" + image.file).c_str());
    fwLog().information("firmware: removed %s (%s %s) by %s", image.file, image.vendor,
                        image.version, actor);
    writeManifest();
    changed();
    return image;
}

}  // namespace prov::firmware
