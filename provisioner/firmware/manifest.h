#pragma once

// <firmware.dir>/manifest.json: the catalog as a file beside the images, so
// that the folder describes itself (copied to another server, or a store
// rebuilt, its images come back with their checksums). A JSON array:
//
//   [{"file": "T46U-108.86.0.90.rom", "vendor": "yealink", "models": ["T46U"],
//     "version": "108.86.0.90", "size": 31457280, "sha256": "…"}]
//
// Rewritten whole (through a rename) after every add and remove; read at
// start, when an entry the store lacks is hashed and registered (source
// "manifest"), as corrupt when its hash or size differ.

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"

namespace prov::firmware {

struct ManifestEntry {
    std::string file;
    std::string vendor;
    std::vector<std::string> models;
    std::string version;
    int64_t size = 0;
    std::string sha256;
    // Why the entry cannot be taken ("" when it can): one bad entry is
    // skipped, the others are still read.
    std::string problem;
};

// The entries of `text`, each bad one with its problem; an error only when
// `text` is not a JSON array.
Result<std::vector<ManifestEntry>> parseManifest(const std::string& text);
std::string manifestText(const std::vector<FirmwareImage>& images);

// An image as the API shows it (and the audit log keeps it).
Poco::JSON::Object::Ptr imageJson(const FirmwareImage& image);
std::string imageJsonText(const FirmwareImage& image);
std::string joinedModels(const FirmwareImage& image);

}  // namespace prov::firmware
