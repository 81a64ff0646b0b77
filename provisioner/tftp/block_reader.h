#pragma once

// The blocks of a read transfer as they go on the wire: the source's octets
// as they are (octet mode), or converted to netascii block by block. Block n
// (1-based) is `blksize` bytes, except the last, which is shorter (empty
// when the bytes on the wire are a whole number of blocks), so the block
// count always follows the converted length.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "provisioner/tftp/netascii.h"
#include "provisioner/tftp/source.h"

namespace prov::tftp {

enum class Mode { kOctet, kNetascii };

class BlockReader {
public:
    BlockReader(std::unique_ptr<Source> source, Mode mode, uint32_t blksize);

    // Appends block `block` to `out`; false on a read error or a block that
    // cannot be read again. In netascii a block's start is only known once
    // the block before it was read, so `block` must lie between the oldest
    // block not forgotten and one past the newest read (a transfer reads
    // forward and sends its window again; octet mode reads any block).
    bool read(uint64_t block, std::string& out);
    // Blocks before `block` will not be read again (they were acknowledged).
    void forgetBefore(uint64_t block);

    // While it lives, reads of blocks `first` to `first + count - 1` come
    // from one read of the source (at most 256 KiB), into a buffer of the
    // thread's (an event loop's) that no transfer keeps: a verified peer's
    // window goes out at once. Nothing is read ahead for one block (a peer
    // that has not ACKed gets one).
    class Ahead {
    public:
        explicit Ahead(const BlockReader* reader) : reader_(reader) {}
        ~Ahead();
        Ahead(const Ahead&) = delete;
        Ahead& operator=(const Ahead&) = delete;

    private:
        const BlockReader* reader_;
    };
    [[nodiscard]] Ahead readAhead(uint64_t first, uint64_t count);

private:
    // Appends up to `len` octets of the source at `offset`, from what was
    // read ahead when it holds them.
    bool readOctets(uint64_t offset, size_t len, std::string& out);
    // Where block `block` starts in the source, when known.
    bool octetOffset(uint64_t block, uint64_t& offset) const;

    std::unique_ptr<Source> source_;
    Mode mode_;
    uint32_t blksize_;
    // netascii: where blocks first_, first_ + 1, ... start; one more than the
    // blocks in flight (a window: at most 64 + 1 entries).
    uint64_t first_ = 1;
    std::vector<NetasciiPosition> starts_{NetasciiPosition{}};
};

}  // namespace prov::tftp
