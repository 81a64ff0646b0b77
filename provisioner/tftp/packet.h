#pragma once

// TFTP packets as bytes (RFC 1350, 2347 options). Parsing is total: any
// input gives a packet or a reason, never a crash.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "provisioner/fetch/fetch.h"

namespace prov::tftp {

enum class Opcode : uint16_t { kRrq = 1, kWrq = 2, kData = 3, kAck = 4, kError = 5, kOack = 6 };

enum class ErrorCode : uint16_t {
    kNotDefined = 0,
    kFileNotFound = 1,
    kAccessViolation = 2,
    kDiskFull = 3,
    kIllegalOperation = 4,
    kUnknownTid = 5,
    kFileExists = 6,
    kNoSuchUser = 7,
    kOptionRefused = 8,
};

struct Request {
    Opcode op = Opcode::kRrq;  // RRQ or WRQ
    std::string file;
    std::string mode;  // lowercased
    std::map<std::string, std::string> options;  // names lowercased, in no particular order
};

struct Ack {
    uint16_t block = 0;
};

struct ErrorPacket {
    ErrorCode code = ErrorCode::kNotDefined;
    std::string message;
};

struct Data {
    uint16_t block = 0;
    std::string_view payload;
};

using Packet = std::variant<Request, Ack, ErrorPacket, Data>;

struct ParseResult {
    std::optional<Packet> packet;
    std::string problem;  // why it is not a packet, when it is not
};

ParseResult parse(std::string_view bytes);

std::string encodeData(uint16_t block, std::string_view payload);
// The 4 bytes of a DATA header, appended to `out` (whose buffer is kept).
void appendDataHeader(std::string& out, uint16_t block);
std::string encodeAck(uint16_t block);
std::string encodeError(ErrorCode code, std::string_view message);
// The ERROR packet a fetch that was not served is answered with: unknown
// and denied alike "File not found"; try later (the store away) "Server
// busy, try later"; a failure "Internal error".
std::string refusalFor(Outcome outcome);
std::string encodeOack(const std::map<std::string, std::string>& options);
std::string encodeRequest(const Request& request);

}  // namespace prov::tftp
