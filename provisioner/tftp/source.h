#pragma once

// What a read transfer sends, as octets with random access: rendered bytes
// in memory, or a static file read a block at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "provisioner/core/result.h"
#include "provisioner/fetch/fetch.h"

namespace prov::tftp {

class Source {
public:
    virtual ~Source() = default;
    virtual uint64_t size() const = 0;
    // Appends up to `len` bytes at `offset` to `out` (fewer only at the end);
    // false on an I/O error.
    virtual bool read(uint64_t offset, size_t len, std::string& out) = 0;
};

class MemorySource final : public Source {
public:
    explicit MemorySource(std::string data) : data_(std::move(data)) {}
    uint64_t size() const override { return data_.size(); }
    bool read(uint64_t offset, size_t len, std::string& out) override;

private:
    std::string data_;
};

// A file on disk, read with one pread per call: nothing is read whole, and
// nothing is kept between calls (BlockReader reads a window ahead, in a
// buffer per loop).
class FileSource final : public Source {
public:
    // With `check`, a file that is no longer what it says (replaced since
    // the pipeline's serve check) is not found.
    static Result<std::unique_ptr<FileSource>> open(const std::string& path,
                                                    const std::optional<FileCheck>& check = std::nullopt);
    ~FileSource() override;
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    uint64_t size() const override { return size_; }
    bool read(uint64_t offset, size_t len, std::string& out) override;

private:
    FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
    int fd_;
    uint64_t size_;
};

}  // namespace prov::tftp
