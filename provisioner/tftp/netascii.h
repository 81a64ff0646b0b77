#pragma once

// netascii (RFC 764, as RFC 1350 asks: LF -> CR LF, CR -> CR NUL) converted
// as it is sent, one block at a time, so that no transfer ever holds a
// converted copy of its file. A block is cut where it is full, even between
// the two bytes of a pair: the second byte then opens the next block.
//
//   NetasciiPosition at;                      // the start of the file
//   std::string block;
//   at = encodeNetascii(octets_from(at.octet), at, 512, block);
//   // block holds 512 bytes, or fewer when the octets ran out (the last block)

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prov::tftp {

// Where a block of netascii starts in its source.
struct NetasciiPosition {
    uint64_t octet = 0;         // the next octet of the source to convert
    std::optional<char> carry;  // the '\n' or '\0' of a pair whose CR ended the previous block

    bool operator==(const NetasciiPosition&) const = default;
};

// Appends to `out` the netascii that starts at `at`, until `len` bytes are
// appended or `octets` (the source from at.octet on) runs out; returns the
// position after them. Each octet gives at least one byte, so `len` octets
// are always enough to fill `len` bytes: fewer bytes than `len` means the
// source ended.
NetasciiPosition encodeNetascii(std::string_view octets, NetasciiPosition at, size_t len, std::string& out);

}  // namespace prov::tftp
