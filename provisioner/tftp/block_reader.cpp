#include "provisioner/tftp/block_reader.h"

#include <algorithm>

namespace prov::tftp {

namespace {

// What BlockReader::readAhead read: one per thread, so its size is bounded
// per event loop, whatever the number of transfers.
struct AheadBuffer {
    const BlockReader* owner = nullptr;  // null: holds nothing
    uint64_t offset = 0;
    bool to_end = false;  // the read stopped at the end of the source
    std::string bytes;
};
thread_local AheadBuffer t_ahead;

constexpr uint64_t kMaxAhead = 256 * 1024;

}  // namespace

BlockReader::Ahead::~Ahead() {
    if (reader_ && t_ahead.owner == reader_) t_ahead.owner = nullptr;
}

bool BlockReader::octetOffset(uint64_t block, uint64_t& offset) const {
    if (block == 0) return false;
    if (mode_ == Mode::kOctet) {
        offset = (block - 1) * blksize_;
        return true;
    }
    if (block < first_ || block - first_ >= starts_.size()) return false;
    offset = starts_[static_cast<size_t>(block - first_)].octet;
    return true;
}

BlockReader::Ahead BlockReader::readAhead(uint64_t first, uint64_t count) {
    uint64_t offset = 0;
    if (count < 2 || !octetOffset(first, offset)) return Ahead(nullptr);
    // A window of n blocks converts at most n x blksize octets (netascii only
    // grows), so this covers it, up to the cap.
    const uint64_t len = std::min<uint64_t>(count * blksize_, kMaxAhead);
    t_ahead.owner = nullptr;
    t_ahead.bytes.clear();
    if (!source_->read(offset, static_cast<size_t>(len), t_ahead.bytes)) return Ahead(nullptr);
    t_ahead.owner = this;
    t_ahead.offset = offset;
    t_ahead.to_end = t_ahead.bytes.size() < len;
    return Ahead(this);
}

bool BlockReader::readOctets(uint64_t offset, size_t len, std::string& out) {
    const AheadBuffer& a = t_ahead;
    if (a.owner == this && offset >= a.offset) {
        const uint64_t end = a.offset + a.bytes.size();
        if (offset + len <= end || (a.to_end && offset <= end)) {
            const size_t from = static_cast<size_t>(offset - a.offset);
            out.append(a.bytes, from, std::min(len, a.bytes.size() - from));
            return true;
        }
    }
    return source_->read(offset, len, out);
}

BlockReader::BlockReader(std::unique_ptr<Source> source, Mode mode, uint32_t blksize)
    : source_(std::move(source)), mode_(mode), blksize_(blksize) {}

bool BlockReader::read(uint64_t block, std::string& out) {
    uint64_t offset = 0;
    if (!octetOffset(block, offset)) return false;
    if (mode_ == Mode::kOctet) return readOctets(offset, blksize_, out);
    const size_t at = static_cast<size_t>(block - first_);
    // The octets this block converts: at most blksize of them (each gives one
    // byte or two). One buffer per thread (an event loop), reused by every
    // transfer it runs, so a transfer holds no buffer of its own.
    thread_local std::string octets;
    octets.clear();
    if (!readOctets(offset, blksize_, octets)) return false;
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
