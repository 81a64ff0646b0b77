#include "provisioner/firmware/manifest.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "provisioner/core/time_format.h"
#include "provisioner/firmware/catalog.h"

namespace prov::firmware {

namespace {

std::string textOf(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    return o->has(key) && o->get(key).isString() ? o->getValue<std::string>(key) : "";
}

// Throws Poco's exceptions on values of the wrong type (caught per entry).
ManifestEntry entryOf(const Poco::JSON::Object::Ptr& o) {
    ManifestEntry e;
    e.file = textOf(o, "file");
    e.vendor = textOf(o, "vendor");
    e.version = textOf(o, "version");
    e.sha256 = textOf(o, "sha256");
    const bool has_size = o->has("size") && o->get("size").isInteger();
    if (has_size) e.size = o->getValue<int64_t>("size");
    if (const auto models = o->getArray("models")) {
        for (size_t m = 0; m < models->size(); ++m) {
            const Poco::Dynamic::Var v = models->get(static_cast<unsigned>(m));
            if (!v.isString()) {
                e.problem = "models must be strings";
                return e;
            }
            e.models.push_back(v.extract<std::string>());
        }
    }
    if (e.file.empty() || e.vendor.empty() || e.version.empty() || e.sha256.empty() ||
        e.models.empty() || !has_size)
        e.problem = "needs file, vendor, models, version, size and sha256";
    else if (e.size <= 0)
        e.problem = "size must be a number of bytes, 1 or more";
    return e;
}

}  // namespace

Result<std::vector<ManifestEntry>> parseManifest(const std::string& text) {
    Poco::JSON::Array::Ptr list;
    try {
        Poco::JSON::Parser parser;
        list = parser.parse(text).extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception& e) {
        return Error::invalid("not a JSON array of images: " + e.displayText());
    } catch (const std::exception& e) {
        return Error::invalid(std::string("not a JSON array of images: ") + e.what());
    }
    if (!list) return Error::invalid("not a JSON array of images");
    std::vector<ManifestEntry> out;
    for (size_t i = 0; i < list->size(); ++i) {
        ManifestEntry e;
        try {
            const auto o = list->getObject(static_cast<unsigned>(i));
            if (o)
                e = entryOf(o);
            else
                e.problem = "not an object";
        } catch (const Poco::Exception& x) {
            e.problem = "a value of the wrong type: " + x.displayText();
        } catch (const std::exception& x) {
            e.problem = std::string("a value of the wrong type: ") + x.what();
        }
        if (!e.problem.empty()) e.problem = "entry " + std::to_string(i + 1) + ": " + e.problem;
        out.push_back(std::move(e));
    }
    return out;
}

std::string manifestText(const std::vector<FirmwareImage>& images) {
    Poco::JSON::Array list;
    for (const FirmwareImage& i : images) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("file", i.file);
        o->set("vendor", i.vendor);
        Poco::JSON::Array::Ptr models = new Poco::JSON::Array;
        for (const std::string& m : i.models) models->add(m);
        o->set("models", models);
        o->set("version", i.version);
        o->set("size", i.size);
        o->set("sha256", i.sha256);
        list.add(o);
    }
    std::ostringstream out;
    list.stringify(out, 2);
    out << "\n";
    return out.str();
}

Poco::JSON::Object::Ptr imageJson(const FirmwareImage& i) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", i.id);
    o->set("file", i.file);
    o->set("vendor", i.vendor);
    Poco::JSON::Array::Ptr models = new Poco::JSON::Array;
    for (const std::string& m : i.models) models->add(m);
    o->set("models", models);
    o->set("version", i.version);
    o->set("size", i.size);
    o->set("sha256", i.sha256);
    o->set("state", i.state);
    o->set("source", i.source);
    o->set("verified_at",
           i.verified_at ? Poco::Dynamic::Var(formatUtc(i.verified_at)) : Poco::Dynamic::Var());
    o->set("created_at", formatUtc(i.created_at));
    o->set("created_by", i.created_by);
    return o;
}

std::string imageJsonText(const FirmwareImage& image) {
    std::ostringstream out;
    imageJson(image)->stringify(out);
    return out.str();
}

std::string joinedModels(const FirmwareImage& image) {
    std::string out;
    for (const std::string& m : image.models) out += (out.empty() ? "" : ",") + m;
    return out;
}

void Catalog::writeManifest() {
    std::lock_guard lock(manifest_mutex_);
    auto images = list();
    if (!images) {
        Poco::Logger::get("provisioner")
            .error("firmware: cannot write the manifest: %s", images.error().message);
        return;
    }
    const std::string path = options_.dir + "/" + kManifestName;
    // A fresh name each time (mkostemp: O_EXCL, 0600): the server and a CLI
    // add may write at once, and a name planted there is never followed.
    std::string name = options_.dir + "/.manifest.json.XXXXXX";
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    auto& log = Poco::Logger::get("provisioner");
    if (fd < 0) {
        log.error("firmware: cannot write the manifest in %s: %s", options_.dir,
                  std::string(std::strerror(errno)));
        return;
    }
    const std::string text = manifestText(images.value());
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    const bool written = done == text.size() && ::fchmod(fd, 0644) == 0;
    if (::close(fd) != 0 || !written) {
        log.error("firmware: cannot write %s", name);
        ::unlink(name.c_str());
        return;
    }
    if (::rename(name.c_str(), path.c_str()) != 0) {
        log.error("firmware: cannot replace %s", path);
        ::unlink(name.c_str());
    }
}

// Entries the store lacks are hashed here, before the server takes phones:
// a manifest copied in with its images is trusted only as far as its hashes.
Status Catalog::importManifest() {
    const std::string path = options_.dir + "/" + kManifestName;
    std::ifstream in(path);
    if (!in) return okStatus();
    std::stringstream text;
    text << in.rdbuf();
    auto entries = parseManifest(text.str());
    auto& log = Poco::Logger::get("provisioner");
    if (!entries) {
        log.error("firmware: %s ignored: %s", path, entries.error().message);
        return okStatus();
    }
    bool added = false;
    for (const ManifestEntry& e : entries.value()) {
        if (!e.problem.empty()) {
            log.error("firmware: %s: %s ignored", path, e.problem);
            continue;
        }
        {
            std::lock_guard lock(mutex_);
            if (entries_.count(e.file)) continue;
        }
        AddSpec spec;
        spec.vendor = e.vendor;
        for (const std::string& m : e.models) spec.models += (spec.models.empty() ? "" : ",") + m;
        spec.version = e.version;
        spec.name = e.file;
        spec.source = "manifest";
        spec.actor = "manifest";
        spec.sha256 = e.sha256;
        if (auto st = checkSpec(spec); !st) {
            std::string why = st.error().message;
            for (const auto& [f, p] : st.error().fields) why += "; " + f + ": " + p;
            log.error("firmware: manifest entry %s ignored: %s", e.file, why);
            continue;
        }
        const std::string file = options_.dir + "/" + e.file;
        const auto stamp = stampOf(file);
        if (!stamp) {
            log.warning("firmware: manifest entry %s ignored: no such file in %s", e.file,
                        options_.dir);
            continue;
        }
        auto hashed = hashFile(file);
        std::map<std::string, std::string> ignored;
        const auto vendor = vendorOf(spec, ignored);  // checkSpec found it
        const auto models = vendor ? parseModels(spec.models, vendor.value())
                                   : Result<std::vector<std::string>>(vendor.error());
        if (!models) {
            log.error("firmware: manifest entry %s ignored: %s", e.file, models.error().message);
            continue;
        }
        FirmwareImage image;
        image.vendor = vendor.value().id;
        image.version = e.version;
        image.models = models.value();
        image.file = e.file;
        image.size = e.size;
        image.sha256 = e.sha256;
        for (char& c : image.sha256)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        image.mtime_ns = stamp->mtime_ns;
        image.inode = stamp->inode;
        image.source = "manifest";
        image.created_by = "manifest";
        image.verified_at = clock_.nowSeconds();
        const bool good =
            hashed && hashed.value().size == e.size && hashed.value().sha256 == image.sha256;
        image.state = good ? "ok" : "corrupt";
        if (!good)
            log.error("firmware: manifest entry %s does not match its file: registered as corrupt",
                      e.file);
        // One entry the store will not take (a version and name taken by
        // another image) is skipped: the server still starts.
        if (auto st =
                store_.write([&](StoreTx& tx) -> Status { return tx.insertFirmwareImage(image); });
            !st) {
            log.error("firmware: manifest entry %s ignored: %s", e.file, st.error().message);
            continue;
        }
        std::lock_guard lock(mutex_);
        Entry en;
        en.id = image.id;
        en.state = image.state;
        en.verified = *stamp;
        en.checked = true;
        entries_[image.file] = en;
        added = true;
    }
    if (added) changed();
    return okStatus();
}

}  // namespace prov::firmware
