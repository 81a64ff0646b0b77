#pragma once

// Firmware image files on disk: what a stat says about one, hashing one as it
// is read, and an incoming file written and hashed as it arrives (an upload,
// a copy), so that an image is never held in memory.

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "provisioner/core/result.h"

namespace prov::firmware {

// What identifies the file's contents without reading them: a change of any
// means the file must be hashed again before it is served.
struct FileStamp {
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
};

// The stamp of a regular file; nullopt when it is missing or not a regular file.
std::optional<FileStamp> stampOf(const std::string& path);

struct Hashed {
    int64_t size = 0;
    std::string sha256;  // lowercase hex
};

// The stamp a stat gave; nullopt when it is not of a regular file.
std::optional<FileStamp> stampFrom(const struct stat& st);
// The stamp of an open file, by fstat; nullopt when it is not a regular file.
std::optional<FileStamp> stampOfFd(int fd);

// Reads `path` whole in 1 MiB pieces; an error when it cannot be opened or read.
Result<Hashed> hashFile(const std::string& path);
// Reads the open file `fd` from its current offset to its end; `path` is for messages.
Result<Hashed> hashFd(int fd, const std::string& path);

// A name an image may have in firmware.dir: a phone can ask for it (fetch's
// isSafeFileName), of letters, digits and . _ - + ( ) only, and not the
// manifest's.
bool isImageName(const std::string& name);

inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kIncomingDir = ".incoming";

// A file being received into <firmware.dir>/.incoming (0600, a fresh name),
// hashed as it is written; removed when destroyed unless taken().
class IncomingFile {
  public:
    static Result<std::unique_ptr<IncomingFile>> create(const std::string& firmware_dir);
    ~IncomingFile();
    IncomingFile(const IncomingFile&) = delete;
    IncomingFile& operator=(const IncomingFile&) = delete;

    Status write(const char* data, size_t length);
    // Closes it; its size and SHA-256.
    Result<Hashed> finish();
    const std::string& path() const { return path_; }
    int64_t size() const { return size_; }
    // The caller moved the file away: nothing to remove.
    void taken() { path_.clear(); }

  private:
    IncomingFile(int fd, std::string path);
    struct Hash;
    int fd_ = -1;
    std::string path_;
    int64_t size_ = 0;
    std::unique_ptr<Hash> hash_;
};

}  // namespace prov::firmware
