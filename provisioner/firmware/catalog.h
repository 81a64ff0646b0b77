#pragma once

// The firmware catalog (issue 14): images in firmware.dir, each with its
// vendor, models, version, size and SHA-256, in the store (migration 12)
// and in <firmware.dir>/manifest.json.
//
// An image is hashed when it is added, by this process when it starts, and
// again whenever its size, mtime or inode differ from what was verified,
// never per fetch. gate() is the serve check the provisioning service runs
// before it hands a file of firmware.dir to a phone: a listed image that is
// corrupt, missing, not yet verified or changed since is refused (and queued
// to be hashed again), so a phone never gets a truncated or altered image.
//
//   firmware::Catalog catalog(store, vendors, clock, options);
//   TRY(catalog.start());                                // manifest, then verify in the background
//   auto image = TRY(catalog.addFile("/tmp/fw.rom", spec));   // CLI
//   if (catalog.gate("fw.rom", stamp) == Gate::kRefuse) ...   // service

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/firmware/image_file.h"
#include "provisioner/firmware/rollouts.h"
#include "provisioner/firmware/targets.h"
#include "provisioner/model/records.h"
#include "provisioner/store/store.h"

namespace prov::firmware {

// A vendor of vendor-templates as the catalog checks it: its folder name,
// display name and models (uppercase).
struct VendorModels {
    std::string id;
    std::string name;
    std::vector<std::string> models;
    // Its firmware keys go in a file every MAC-shaped name gets alike
    // (Polycom's master file): only a model's target can reach its phones.
    bool model_wide_only = false;
};
// The vendor `make` names (id or display name, any case), or nullopt.
using VendorLookup = std::function<std::optional<VendorModels>(const std::string& make)>;

// How old a file in <firmware.dir>/.incoming must be before start() takes
// it for one a crash left behind.
inline constexpr int64_t kIncomingMaxAgeSeconds = 3600;
// How often poll() moves rollouts on (a canary's fetch is seen within it).
inline constexpr int64_t kRolloutTickSeconds = 5;
// How long an image that changed while it was hashed waits before the next try.
inline constexpr int64_t kRehashDelaySeconds = 5;

struct CatalogOptions {
    std::string dir = "firmware";
    // Files of firmware.dir the catalog does not list are refused too.
    // (Off, a link to an image is still checked as the image is: gate().)
    bool catalog_only = false;
    // How often poll() stats every image (it hashes only the changed ones).
    int64_t rescan_seconds = 30;
    // Called after a change that alters configs (the render cache's generation).
    std::function<void()> on_change;
    // Whether this node leads the fleet (Store::leads): only the leader moves
    // rollouts on in poll(). Unset: always.
    std::function<bool()> leads;
};

// What an admin says of an image being added.
struct AddSpec {
    std::string vendor;           // id or display name
    std::string models;           // "T46U,T48U", or "*" for every model of the vendor
    std::string version;          // as the phone reports it once running the image
    std::string sha256;           // expected, hex; "" = not checked against one
    std::optional<int64_t> size;  // expected; nullopt = not checked
    std::string name;             // file name in firmware.dir
    std::string source = "cli";   // cli, upload, manifest
    std::string actor = "cli";    // for created_by and the audit log
    std::string actor_source;     // the API client's address; "" from the command line
};

enum class Gate {
    kServe,      // a listed image, verified, unchanged since
    kRefuse,     // listed and not fit to serve, or unlisted while catalog_only
    kNotListed,  // not in the catalog and catalog_only is off: served as any file
};

class Catalog {
  public:
    Catalog(Store& store, VendorLookup vendors, const Clock& clock, CatalogOptions options);
    ~Catalog();
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    // Removes files left in <dir>/.incoming over kIncomingMaxAgeSeconds old
    // (an upload cut off by a crash), loads the images, registers manifest
    // entries the store lacks, and
    // starts hashing every image in a thread of its own (`background`),
    // or right here. Until an image is hashed by this process it is refused.
    Status start(bool background = true);
    // Stops the verifying thread (also done by the destructor).
    void stop();

    // Registers a file that arrived in <dir>/.incoming: checks the spec and
    // the received size and hash against it, moves the file to its name
    // (0644; never over another file) and stores the row.
    Result<FirmwareImage> addReceived(IncomingFile& file, const Hashed& received,
                                      const AddSpec& spec);
    // The same for a file anywhere (the CLI): one already at the root of the
    // firmware.dir under spec.name is registered where it is; any other is
    // copied in (the original stays).
    Result<FirmwareImage> addFile(const std::string& path, AddSpec spec);
    // Checks `spec` alone (before an upload is read): every bad field named.
    Status checkSpec(const AddSpec& spec) const;

    Result<std::vector<FirmwareImage>> list() const;
    Result<FirmwareImage> get(int64_t id) const;
    // Removes the row and the file; refused while a target names its version.
    Result<FirmwareImage> remove(int64_t id, const std::string& actor,
                                 const std::string& actor_source = "");

    // Targets (targets.cpp). Setting one marks the devices it reaches stale
    // in the same transaction; the version must be "none" or one the catalog
    // holds for the model. Every bad field is named.
    Result<FirmwareTarget> setTarget(const TargetSpec& spec);
    // False when there was no such target (spec.version is not looked at).
    Result<bool> clearTarget(const TargetSpec& spec);
    // Of one vendor (id or name), or every one when "".
    Result<std::vector<FirmwareTarget>> listTargets(const std::string& vendor) const;

    // Rollouts (rollouts.h, rollouts.cpp). Every bad field is named; one
    // under way for the same scope is a conflict.
    Result<Rollout> startRollout(const RolloutSpec& spec);
    // Only one in its canary stage; `reason` says why (the API's caller).
    Result<Rollout> haltRollout(int64_t id, const std::string& actor, const std::string& reason,
                                const std::string& actor_source = "");
    Result<Rollout> rollbackRollout(int64_t id, const std::string& actor, const std::string& actor_source = "");
    Result<std::vector<Rollout>> listRollouts() const;
    Result<RolloutView> viewRollout(int64_t id) const;
    // Moves every rollout in its canary stage on (complete, or halted); how
    // many moved. The server calls it from poll().
    Result<int> tickRollouts();

    // The serve check for file `name` of firmware.dir, whose stat gave
    // `stamp`; `real_name` is what the path resolves to, relative to the
    // real firmware.dir (links followed). An image is found by either name
    // or by its inode, so a link to it is checked as the image is. Never
    // hashes; a refused image that changed is queued.
    Gate gate(const std::string& name, const FileStamp& stamp, const std::string& real_name = "");

    // Whether gate() would pass image `file` as last verified: hashed by
    // this process, unchanged since as far as it knows, and ok. Before
    // start() (a command-line preview) true: the stored state decides.
    bool servable(const std::string& file) const;

    // Called every second by the server: reloads the rows when another
    // process changed them, and every rescan_seconds stats each image.
    void poll();
    // Hashes every image now, in this thread (tests, `firmware verify`).
    Status verifyAll();
    const std::string& dir() const { return options_.dir; }

  private:
    struct Entry {
        int64_t id = 0;
        FileStamp verified;     // the stamp the hash was checked at
        std::string state;      // as stored
        bool checked = false;   // hashed by this process since it started or the file changed
        bool servable() const;  // what gate() passes when the stamp is unchanged
    };

    void sweepIncoming();
    Status load(bool trust_store);
    Status verifyOne(int64_t id);
    void queue(int64_t id);
    void worker();
    Status importManifest();
    void writeManifest();
    Result<VendorModels> vendorOf(const AddSpec& spec,
                                  std::map<std::string, std::string>& errors) const;
    Result<FirmwareImage> addInPlace(const std::string& path, const AddSpec& spec);
    Result<FirmwareImage> insert(FirmwareImage image, const AddSpec& spec,
                                 const std::string& placed_path);
    void changed() const;
    Result<FirmwareTarget> checkTarget(const TargetSpec& spec, bool with_version) const;
    Status markReached(StoreTx& tx, const VendorModels& vendor, const FirmwareTarget& t);
    // The devices whose config offers `image` (their target names its
    // version) marked stale: it became servable, or stopped being.
    Status markOffering(const FirmwareImage& image);
    enum class Move { kComplete, kHalt };
    Status moveRollout(StoreTx& tx, Rollout& r, Move move, const std::string& reason, const std::string& actor,
                       const std::string& actor_source);
    int64_t last_tick_ = 0;

    Store& store_;
    VendorLookup vendors_;
    const Clock& clock_;
    CatalogOptions options_;

    mutable std::mutex mutex_;
    std::map<std::string, Entry> entries_;  // by file name
    int64_t generation_ = -1;
    bool started_ = false;
    int64_t last_rescan_ = 0;
    std::set<int64_t> pending_;
    // Images that changed while being hashed (a copy still being written),
    // and when poll() queues them again: not hashed over and over meanwhile.
    std::map<int64_t, int64_t> delayed_;
    bool stopping_ = false;
    std::condition_variable wake_;
    std::thread thread_;
    std::mutex manifest_mutex_;
};

// The models of an add as stored: uppercase, checked against the vendor's,
// or {"*"}. Errors name the models not found.
Result<std::vector<std::string>> parseModels(const std::string& text, const VendorModels& vendor);
// A version as phones report it: 1 to 64 of letters, digits and . _ - + ( ).
bool isVersion(const std::string& version);

}  // namespace prov::firmware
