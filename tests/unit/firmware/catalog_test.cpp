// The firmware catalog on a real store and folder: adding (good, corrupt,
// wrong size, bad fields, a taken name), the serve gate after the file
// changes, verification at start, the manifest, removal.

#include "provisioner/firmware/catalog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "provisioner/firmware/manifest.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"
#include "temp_dir.h"

using namespace prov;
using firmware::Gate;
using prov::testing::TempDir;

namespace {

firmware::VendorLookup vendors() {
    return [](const std::string& make) -> std::optional<firmware::VendorModels> {
        if (make == "yealink" || make == "Yealink")
            return firmware::VendorModels{"yealink", "Yealink", {"T46U", "T48U"}, false};
        return std::nullopt;
    };
}

struct World {
    FakeClock clock;
    TempDir tmp;
    std::string dir = tmp.path() + "/fw";
    std::unique_ptr<SqliteStore> store;
    World() {
        std::filesystem::create_directories(dir);
        auto s = SqliteStore::open(tmp.path() + "/store.db", clock);
        REQUIRE(s);
        REQUIRE(s.value()->migrate());
        store = std::move(s).value();
    }
    std::unique_ptr<firmware::Catalog> catalog(bool catalog_only = false) {
        firmware::CatalogOptions o;
        o.dir = dir;
        o.catalog_only = catalog_only;
        return std::make_unique<firmware::Catalog>(*store, vendors(), clock, o);
    }
    // A file outside firmware.dir, as an admin would download it.
    std::string source(const std::string& name, const std::string& bytes) const {
        return tmp.write("dl/" + name, bytes);
    }
};

std::string image(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>((i * 31 + 7) & 0xff));
    return s;
}

std::string sha(const std::string& s) { return tls::Sha256Hasher().sha256Hex(s); }

firmware::AddSpec spec(const std::string& version = "108.86.0.90") {
    firmware::AddSpec s;
    s.vendor = "yealink";
    s.models = "t46u, T48U";
    s.version = version;
    return s;
}

firmware::FileStamp stamp(const std::string& path) {
    auto s = firmware::stampOf(path);
    REQUIRE(s);
    return *s;
}

bool incomingEmpty(const std::string& dir) {
    const std::string in = dir + "/.incoming";
    return !std::filesystem::exists(in) || std::filesystem::is_empty(in);
}

}  // namespace

TEST_CASE("a good image is copied in 0644, listed, written to the manifest and served") {
    World w;
    auto catalog = w.catalog();
    const std::string bytes = image(3 << 20);
    const std::string src = w.source("T46U-108.86.0.90.rom", bytes);
    firmware::AddSpec s = spec();
    s.sha256 = sha(bytes);
    s.size = static_cast<int64_t>(bytes.size());
    auto added = catalog->addFile(src, s);
    REQUIRE(added);
    const FirmwareImage& i = added.value();
    CHECK(i.file == "T46U-108.86.0.90.rom");
    CHECK(i.models == std::vector<std::string>{"T46U", "T48U"});
    CHECK(i.sha256 == sha(bytes));
    CHECK(i.size == static_cast<int64_t>(bytes.size()));
    CHECK(std::filesystem::exists(src));  // the admin's copy stays
    const std::string placed = w.dir + "/T46U-108.86.0.90.rom";
    struct stat st {};
    REQUIRE(::stat(placed.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    CHECK(incomingEmpty(w.dir));
    CHECK(catalog->gate("T46U-108.86.0.90.rom", stamp(placed)) == Gate::kServe);
    std::ifstream m(w.dir + "/manifest.json");
    std::stringstream text;
    text << m.rdbuf();
    auto entries = firmware::parseManifest(text.str());
    REQUIRE(entries);
    REQUIRE(entries.value().size() == 1);
    CHECK(entries.value()[0].sha256 == sha(bytes));
    CHECK(entries.value()[0].models == std::vector<std::string>{"T46U", "T48U"});
}

TEST_CASE("a corrupt image, or one of the wrong size, is refused and leaves nothing behind") {
    World w;
    auto catalog = w.catalog();
    const std::string bytes = image(100000);
    const std::string src = w.source("fw.rom", bytes);
    SECTION("SHA-256 mismatch") {
        firmware::AddSpec s = spec();
        s.sha256 = sha(bytes + "x");
        auto r = catalog->addFile(src, s);
        REQUIRE_FALSE(r);
        CHECK(r.error().reason == "checksum_mismatch");
        CHECK(r.error().fields.count("sha256") == 1);
    }
    SECTION("size mismatch") {
        firmware::AddSpec s = spec();
        s.size = 99999;
        auto r = catalog->addFile(src, s);
        REQUIRE_FALSE(r);
        CHECK(r.error().reason == "size_mismatch");
        CHECK(r.error().fields.count("size") == 1);
    }
    CHECK_FALSE(std::filesystem::exists(w.dir + "/fw.rom"));
    CHECK(incomingEmpty(w.dir));
    CHECK(catalog->list().value().empty());
}

TEST_CASE("every bad field of an add is named") {
    World w;
    auto catalog = w.catalog();
    firmware::AddSpec s;
    s.vendor = "acme";
    s.version = "none";
    s.sha256 = "xyz";
    s.name = "../x";
    auto r = catalog->checkSpec(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("vendor") == 1);
    CHECK(r.error().fields.count("models") == 1);
    CHECK(r.error().fields.count("version") == 1);
    CHECK(r.error().fields.count("sha256") == 1);
    CHECK(r.error().fields.count("name") == 1);
    s = spec();
    s.models = "T46U,X99";
    s.name = "ok.rom";
    r = catalog->checkSpec(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.at("models").find("X99") != std::string::npos);
    s.models = "*,T46U";
    CHECK_FALSE(catalog->checkSpec(s));
    s.models = "*";
    CHECK(catalog->checkSpec(s));
}

TEST_CASE("an image never replaces a file of the same name") {
    World w;
    auto catalog = w.catalog();
    const std::string other = "someone else's file";
    w.tmp.write("fw/fw.rom", other);
    auto r = catalog->addFile(w.source("fw.rom", image(1000)), spec());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::kAlreadyExists);
    std::ifstream in(w.dir + "/fw.rom");
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(kept == other);
    CHECK(incomingEmpty(w.dir));
}

TEST_CASE("a file already in firmware.dir is registered where it is") {
    World w;
    auto catalog = w.catalog();
    const std::string bytes = image(5000);
    const std::string path = w.tmp.write("fw/in-place.rom", bytes);
    auto r = catalog->addFile(path, spec());
    REQUIRE(r);
    CHECK(r.value().sha256 == sha(bytes));
    CHECK(catalog->gate("in-place.rom", stamp(path)) == Gate::kServe);
}

TEST_CASE("a link in firmware.dir is not registered where it is, nor its target opened up") {
    World w;
    auto catalog = w.catalog();
    const std::string secret = w.tmp.write("secret.key", "not for phones");
    REQUIRE(::chmod(secret.c_str(), 0600) == 0);
    SECTION("a symbolic link") {
        REQUIRE(::symlink(secret.c_str(), (w.dir + "/link.rom").c_str()) == 0);
        auto r = catalog->addFile(w.dir + "/link.rom", spec());
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("file") == 1);
    }
    SECTION("a hard link") {
        REQUIRE(::link(secret.c_str(), (w.dir + "/link.rom").c_str()) == 0);
        auto r = catalog->addFile(w.dir + "/link.rom", spec());
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("file") == 1);
    }
    struct stat st {};
    REQUIRE(::stat(secret.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(catalog->list().value().empty());
}

TEST_CASE("an empty image is refused") {
    World w;
    auto catalog = w.catalog();
    auto copied = catalog->addFile(w.source("empty.rom", ""), spec());
    REQUIRE_FALSE(copied);
    CHECK(copied.error().fields.count("file") == 1);
    auto in_place = catalog->addFile(w.tmp.write("fw/empty.rom", ""), spec());
    REQUIRE_FALSE(in_place);
    CHECK(in_place.error().fields.count("file") == 1);
    CHECK(catalog->list().value().empty());
    CHECK(incomingEmpty(w.dir));
}

TEST_CASE("an image truncated or changed after it was added is refused until hashed again") {
    World w;
    auto catalog = w.catalog();
    const std::string bytes = image(200000);
    REQUIRE(catalog->addFile(w.source("fw.rom", bytes), spec()));
    const std::string placed = w.dir + "/fw.rom";
    REQUIRE(::truncate(placed.c_str(), 100000) == 0);
    CHECK(catalog->gate("fw.rom", stamp(placed)) == Gate::kRefuse);
    // Refused again without a hash, then found corrupt when hashed.
    CHECK(catalog->gate("fw.rom", stamp(placed)) == Gate::kRefuse);
    REQUIRE(catalog->verifyAll());
    CHECK(catalog->list().value()[0].state == "corrupt");
    CHECK(catalog->gate("fw.rom", stamp(placed)) == Gate::kRefuse);
    // Put back as it was: its hash checks out again.
    { std::ofstream(placed, std::ios::binary | std::ios::trunc) << bytes; }
    CHECK(catalog->gate("fw.rom", stamp(placed)) == Gate::kRefuse);
    REQUIRE(catalog->verifyAll());
    CHECK(catalog->list().value()[0].state == "ok");
    CHECK(catalog->gate("fw.rom", stamp(placed)) == Gate::kServe);
}

TEST_CASE("another name for a catalog image is checked as the image is") {
    World w;
    auto catalog = w.catalog(false);
    const std::string bytes = image(200000);
    REQUIRE(catalog->addFile(w.source("fw.rom", bytes), spec()));
    const std::string placed = w.dir + "/fw.rom";
    REQUIRE(::symlink("fw.rom", (w.dir + "/alias.rom").c_str()) == 0);
    REQUIRE(::link(placed.c_str(), (w.dir + "/hard.rom").c_str()) == 0);
    CHECK(catalog->gate("alias.rom", stamp(w.dir + "/alias.rom"), "fw.rom") == Gate::kServe);
    CHECK(catalog->gate("hard.rom", stamp(w.dir + "/hard.rom"), "hard.rom") == Gate::kServe);
    REQUIRE(::truncate(placed.c_str(), 100000) == 0);
    // By the name the link resolves to, and by inode (a hard link).
    CHECK(catalog->gate("alias.rom", stamp(w.dir + "/alias.rom"), "fw.rom") == Gate::kRefuse);
    CHECK(catalog->gate("hard.rom", stamp(w.dir + "/hard.rom"), "hard.rom") == Gate::kRefuse);
    // Replaced through a rename (a new inode): the link still resolves to the image's name.
    { std::ofstream(placed, std::ios::binary | std::ios::trunc) << bytes; }
    REQUIRE(catalog->verifyAll());
    CHECK(catalog->gate("alias.rom", stamp(w.dir + "/alias.rom"), "fw.rom") == Gate::kServe);
    w.tmp.write("fw/.new", bytes + "x");
    REQUIRE(::rename((w.dir + "/.new").c_str(), placed.c_str()) == 0);
    CHECK(catalog->gate("alias.rom", stamp(w.dir + "/alias.rom"), "fw.rom") == Gate::kRefuse);
    // A file that is no image's is served as any file.
    const std::string other = w.tmp.write("fw/ringtone.wav", "RIFF");
    CHECK(catalog->gate("ringtone.wav", stamp(other), "ringtone.wav") == Gate::kNotListed);
}

TEST_CASE("a config offers an image only while the gate would serve it") {
    World w;
    int changes = 0;
    firmware::CatalogOptions o;
    o.dir = w.dir;
    o.on_change = [&] { ++changes; };
    firmware::Catalog catalog(*w.store, vendors(), w.clock, o);
    REQUIRE(catalog.start(false));
    const std::string bytes = image(200000);
    REQUIRE(catalog.addFile(w.source("fw.rom", bytes), spec()));
    firmware::TargetSpec t;
    t.vendor = "yealink";
    t.model = "T46U";
    t.version = "108.86.0.90";
    REQUIRE(catalog.setTarget(t));
    auto offered = [&] {
        std::optional<firmware::FirmwareDirective> d;
        REQUIRE(w.store->read([&](StoreTx& tx) -> Status {
            d = TRY(
                firmware::directiveFor(tx, "yealink", "T46U", "", "001565000001",
                                       [&](const std::string& f) { return catalog.servable(f); }));
            return okStatus();
        }));
        return d.has_value();
    };
    CHECK(offered());
    // Changed on disk: the store still says ok, but the gate refuses it
    // until it is hashed again, and so the config must not offer it.
    const std::string placed = w.dir + "/fw.rom";
    REQUIRE(::truncate(placed.c_str(), 100000) == 0);
    int before = changes;
    REQUIRE(catalog.gate("fw.rom", stamp(placed)) == Gate::kRefuse);
    CHECK(changes > before);
    CHECK_FALSE(offered());
    // Put back and hashed: offered again, and the renders are told.
    { std::ofstream(placed, std::ios::binary | std::ios::trunc) << bytes; }
    before = changes;
    REQUIRE(catalog.verifyAll());
    CHECK(changes > before);
    CHECK(offered());
}

TEST_CASE("poll notices a changed image by its stat alone") {
    World w;
    auto catalog = w.catalog();
    REQUIRE(catalog->addFile(w.source("fw.rom", image(1000)), spec()));
    { std::ofstream(w.dir + "/fw.rom", std::ios::binary | std::ios::app) << "tail"; }
    w.clock.advance(31);
    catalog->poll();
    CHECK(catalog->list().value()[0].state == "verifying");
}

TEST_CASE("at start every image is hashed before it is served") {
    World w;
    const std::string bytes = image(50000);
    {
        auto first = w.catalog();
        REQUIRE(first->addFile(w.source("a.rom", bytes), spec("1.0")));
        REQUIRE(first->addFile(w.source("b.rom", bytes), spec("2.0")));
    }
    // Changed while no server ran, with its stamp put back as recorded.
    const std::string b = w.dir + "/b.rom";
    const auto recorded = stamp(b);
    { std::fstream(b, std::ios::binary | std::ios::in | std::ios::out).put('\x55'); }
    timespec times[2] = {{0, UTIME_OMIT},
                         {recorded.mtime_ns / 1'000'000'000, recorded.mtime_ns % 1'000'000'000}};
    REQUIRE(::utimensat(AT_FDCWD, b.c_str(), times, 0) == 0);
    REQUIRE(stamp(b) == recorded);
    auto second = w.catalog();
    REQUIRE(second->start(false));
    CHECK(second->gate("a.rom", stamp(w.dir + "/a.rom")) == Gate::kServe);
    CHECK(second->gate("b.rom", stamp(b)) == Gate::kRefuse);
    CHECK(second->get(2).value().state == "corrupt");
}

TEST_CASE("start removes what a crash left in .incoming, once it is an hour old") {
    World w;
    const std::string old_file = w.tmp.write("fw/.incoming/image-old123", "half an upload");
    const std::string new_file = w.tmp.write("fw/.incoming/image-new123", "an upload under way");
    const std::string other = w.tmp.write("fw/.incoming/notes.txt", "not ours");
    auto age = [&](const std::string& path, int64_t seconds) {
        const timespec t{static_cast<time_t>(w.clock.nowSeconds() - seconds), 0};
        const timespec times[2] = {t, t};
        REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
    };
    age(old_file, firmware::kIncomingMaxAgeSeconds + 60);
    age(new_file, 60);
    age(other, firmware::kIncomingMaxAgeSeconds + 60);
    REQUIRE(w.catalog()->start(false));
    CHECK_FALSE(std::filesystem::exists(old_file));
    CHECK(std::filesystem::exists(new_file));
    CHECK(std::filesystem::exists(other));
}

TEST_CASE("catalog_only refuses files the catalog does not list") {
    World w;
    const std::string path = w.tmp.write("fw/ringtone.wav", "RIFF");
    CHECK(w.catalog(false)->gate("ringtone.wav", stamp(path)) == Gate::kNotListed);
    CHECK(w.catalog(true)->gate("ringtone.wav", stamp(path)) == Gate::kRefuse);
}

TEST_CASE("a manifest brings its images into an empty store, as far as their hashes hold") {
    World w;
    const std::string good = image(4000);
    w.tmp.write("fw/good.rom", good);
    w.tmp.write("fw/bad.rom", image(4000));
    w.tmp.write("fw/manifest.json",
                "[{\"file\":\"good.rom\",\"vendor\":\"Yealink\",\"models\":[\"T46U\"],\"version\":"
                "\"1.0\",\"size\":4000,"
                "\"sha256\":\"" +
                    sha(good) +
                    "\"},"
                    "{\"file\":\"bad.rom\",\"vendor\":\"yealink\",\"models\":[\"T48U\"],"
                    "\"version\":\"1.1\",\"size\":4000,"
                    "\"sha256\":\"" +
                    std::string(64, '0') +
                    "\"},"
                    "{\"file\":\"absent.rom\",\"vendor\":\"yealink\",\"models\":[\"T48U\"],"
                    "\"version\":\"1.2\",\"size\":1,"
                    "\"sha256\":\"" +
                    std::string(64, '0') + "\"}]");
    auto catalog = w.catalog();
    REQUIRE(catalog->start(false));
    const auto images = catalog->list().value();
    REQUIRE(images.size() == 2);
    CHECK(images[0].file == "good.rom");
    CHECK(images[0].source == "manifest");
    CHECK(images[0].state == "ok");
    CHECK(images[1].state == "corrupt");
    CHECK(catalog->gate("good.rom", stamp(w.dir + "/good.rom")) == Gate::kServe);
    CHECK(catalog->gate("bad.rom", stamp(w.dir + "/bad.rom")) == Gate::kRefuse);
}

TEST_CASE("a bad manifest entry is skipped: the others are taken and the catalog starts") {
    World w;
    const std::string good = image(4000);
    w.tmp.write("fw/good.rom", good);
    w.tmp.write("fw/neg.rom", image(10));
    w.tmp.write("fw/str.rom", image(10));
    w.tmp.write("fw/num.rom", image(10));
    const std::string zeros = std::string(64, '0');
    const std::string manifest =
        "[{\"file\":\"neg.rom\",\"vendor\":\"yealink\",\"models\":[\"T46U\"],"
        "\"version\":\"1.0\",\"size\":-5,\"sha256\":\"" +
        zeros +
        "\"},"
        "{\"file\":\"str.rom\",\"vendor\":\"yealink\",\"models\":[\"T46U\"],"
        "\"version\":\"1.1\",\"size\":\"ten\",\"sha256\":\"" +
        zeros +
        "\"},"
        "{\"file\":\"num.rom\",\"vendor\":\"yealink\",\"models\":[46],"
        "\"version\":\"1.2\",\"size\":10,\"sha256\":\"" +
        zeros +
        "\"},"
        "7,"
        "{\"file\":\"good.rom\",\"vendor\":\"yealink\",\"models\":[\"T46U\"],"
        "\"version\":\"2.0\",\"size\":4000,\"sha256\":\"" +
        sha(good) + "\"}]";
    w.tmp.write("fw/manifest.json", manifest);
    auto entries = firmware::parseManifest(manifest);
    REQUIRE(entries);
    REQUIRE(entries.value().size() == 5);
    CHECK(entries.value()[0].problem.find("size") != std::string::npos);
    CHECK_FALSE(entries.value()[1].problem.empty());
    CHECK_FALSE(entries.value()[2].problem.empty());
    CHECK_FALSE(entries.value()[3].problem.empty());
    CHECK(entries.value()[4].problem.empty());
    auto catalog = w.catalog();
    REQUIRE(catalog->start(false));
    const auto images = catalog->list().value();
    REQUIRE(images.size() == 1);
    CHECK(images[0].file == "good.rom");
    CHECK(images[0].state == "ok");
}

TEST_CASE("an image a target names may go while another image holds its version") {
    World w;
    auto catalog = w.catalog();
    firmware::AddSpec one = spec();
    one.models = "T48U";
    const FirmwareImage a = catalog->addFile(w.source("a.rom", image(1000)), one).value();
    firmware::AddSpec every = spec();
    every.models = "*";
    const FirmwareImage b = catalog->addFile(w.source("b.rom", image(2000)), every).value();
    firmware::TargetSpec t;
    t.vendor = "yealink";
    t.model = "T48U";
    t.version = a.version;
    REQUIRE(catalog->setTarget(t));
    REQUIRE(catalog->remove(a.id, "cli"));  // b still holds the version for T48U
    auto refused = catalog->remove(b.id, "cli");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().reason == "firmware_in_use");
}

TEST_CASE("the manifest is written through a fresh name, never through one planted there") {
    World w;
    const std::string outside = w.tmp.write("outside.txt", "keep me");
    REQUIRE(::symlink(outside.c_str(), (w.dir + "/.manifest.json.tmp").c_str()) == 0);
    auto catalog = w.catalog();
    REQUIRE(catalog->addFile(w.source("fw.rom", image(1000)), spec()));
    std::ifstream in(outside);
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(kept == "keep me");
    auto entries = firmware::parseManifest([&] {
        std::ifstream m(w.dir + "/manifest.json");
        std::stringstream text;
        text << m.rdbuf();
        return text.str();
    }());
    REQUIRE(entries);
    CHECK(entries.value().size() == 1);
    struct stat st {};
    REQUIRE(::lstat((w.dir + "/manifest.json").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("an image is removed with its file, but not while a target names its version") {
    World w;
    auto catalog = w.catalog();
    const FirmwareImage i = catalog->addFile(w.source("fw.rom", image(1000)), spec()).value();
    firmware::TargetSpec t;
    t.vendor = "yealink";
    t.model = "T48U";
    t.version = i.version;
    REQUIRE(catalog->setTarget(t));
    auto refused = catalog->remove(i.id, "cli");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().reason == "firmware_in_use");
    CHECK(std::filesystem::exists(w.dir + "/fw.rom"));
    REQUIRE(catalog->clearTarget(t).value());
    REQUIRE(catalog->remove(i.id, "cli"));
    CHECK_FALSE(std::filesystem::exists(w.dir + "/fw.rom"));
    CHECK(catalog->list().value().empty());
    CHECK(catalog->gate("fw.rom", firmware::FileStamp{}) == Gate::kNotListed);
}

TEST_CASE("an image found corrupt, or fit again, marks the devices whose config offers it stale") {
    World w;
    auto catalog = w.catalog();
    REQUIRE(catalog->start(false));
    const std::string bytes = image(200000);
    REQUIRE(catalog->addFile(w.source("fw.rom", bytes), spec()));
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        for (const auto& [mac, model] : {std::pair<std::string, std::string>{"001565000001", "T46U"},
                                         {"001565000002", "T48U"}}) {
            Device d;
            d.mac = mac;
            d.make = "Yealink";
            d.model = model;
            d.state = DeviceState::kApplied;
            TRY(tx.insertDevice(d));
        }
        return okStatus();
    }));
    firmware::TargetSpec t;
    t.vendor = "yealink";
    t.model = "T46U";
    t.version = "108.86.0.90";
    REQUIRE(catalog->setTarget(t));
    auto state = [&](const std::string& mac) {
        std::optional<Device> d;
        REQUIRE(w.store->read([&](StoreTx& tx) -> Status {
            d = TRY(tx.getDevice(mac));
            return okStatus();
        }));
        return d->state;
    };
    auto settle = [&](const std::string& mac) {
        REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
            std::optional<Device> d = TRY(tx.getDevice(mac));
            d->state = DeviceState::kApplied;
            return tx.updateDevice(*d);
        }));
    };
    settle("001565000001");
    const std::string placed = w.dir + "/fw.rom";
    REQUIRE(::truncate(placed.c_str(), 100000) == 0);
    REQUIRE(catalog->verifyAll());
    CHECK(state("001565000001") == DeviceState::kStale);
    CHECK(state("001565000002") == DeviceState::kApplied);  // no target names it
    settle("001565000001");
    { std::ofstream(placed, std::ios::binary | std::ios::trunc) << bytes; }
    REQUIRE(catalog->verifyAll());
    CHECK(state("001565000001") == DeviceState::kStale);
}
