#include "provisioner/tftp/block_reader.h"

#include <algorithm>

namespace prov::tftp {

BlockReader::BlockReader(std::unique_ptr<Source> source, Mode mode, uint32_t blksize)
    : source_(std::move(source)), mode_(mode), blksize_(blksize) {}

bool BlockReader::read(uint64_t block, std::string& out) {
    if (block == 0) return false;
    if (mode_ == Mode::kOctet) return source_->read((block - 1) * blksize_, blksize_, out);
    if (block < first_ || block - first_ >= starts_.size()) return false;
    const size_t at = static_cast<size_t>(block - first_);
    // The octets this block converts: at most blksize of them (each gives one
    // byte or two). One buffer per thread (an event loop), reused by every
    // transfer it runs, so a transfer holds no buffer of its own.
    thread_local std::string octets;
    octets.clear();
    if (!source_->read(starts_[at].octet, blksize_, octets)) return false;
    const NetasciiPosition next = encodeNetascii(octets, starts_[at], blksize_, out);
    if (at + 1 == starts_.size()) starts_.push_back(next);
    return true;
}

void BlockReader::forgetBefore(uint64_t block) {
    if (block <= first_) return;
    // Keep at least the newest start: the next block to read begins there.
    const uint64_t drop = std::min<uint64_t>(block - first_, starts_.size() - 1);
    starts_.erase(starts_.begin(), starts_.begin() + static_cast<std::ptrdiff_t>(drop));
    first_ += drop;
}

}  // namespace prov::tftp
