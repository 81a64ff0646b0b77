#include "provisioner/tftp/packet.h"

#include <cctype>

namespace prov::tftp {

namespace {

uint16_t readU16(std::string_view b, size_t at) {
    return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}

void putU16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xFF));
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Splits NUL-terminated strings; false when the last one is unterminated.
bool splitStrings(std::string_view b, std::vector<std::string_view>& out) {
    while (!b.empty()) {
        const size_t nul = b.find('\0');
        if (nul == std::string_view::npos) return false;
        out.push_back(b.substr(0, nul));
        b.remove_prefix(nul + 1);
    }
    return true;
}

ParseResult fail(std::string why) { return ParseResult{std::nullopt, std::move(why)}; }

}  // namespace

ParseResult parse(std::string_view b) {
    if (b.size() < 2) return fail("shorter than an opcode");
    const uint16_t op = readU16(b, 0);
    switch (static_cast<Opcode>(op)) {
        case Opcode::kRrq:
        case Opcode::kWrq: {
            std::vector<std::string_view> parts;
            if (!splitStrings(b.substr(2), parts)) return fail("request strings are not NUL-terminated");
            if (parts.size() < 2) return fail("request without file name and mode");
            if (parts.size() % 2 != 0) return fail("an option without a value");
            Request r;
            r.op = static_cast<Opcode>(op);
            r.file = std::string(parts[0]);
            r.mode = lower(parts[1]);
            if (r.file.empty()) return fail("empty file name");
            for (size_t i = 2; i + 1 < parts.size(); i += 2) {
                if (parts[i].empty()) return fail("empty option name");
                r.options[lower(parts[i])] = std::string(parts[i + 1]);
            }
            return ParseResult{Packet{std::move(r)}, ""};
        }
        case Opcode::kAck:
            if (b.size() != 4) return fail("ACK is not 4 bytes");
            return ParseResult{Packet{Ack{readU16(b, 2)}}, ""};
        case Opcode::kData:
            if (b.size() < 4) return fail("DATA shorter than its header");
            return ParseResult{Packet{Data{readU16(b, 2), b.substr(4)}}, ""};
        case Opcode::kError: {
            if (b.size() < 4) return fail("ERROR shorter than its header");
            ErrorPacket e{static_cast<ErrorCode>(readU16(b, 2)), ""};
            std::string_view msg = b.substr(4);
            const size_t nul = msg.find('\0');
            e.message = std::string(msg.substr(0, nul));
            return ParseResult{Packet{std::move(e)}, ""};
        }
        case Opcode::kOack:
            return fail("OACK is sent by servers only");
    }
    return fail("unknown opcode " + std::to_string(op));
}

void appendDataHeader(std::string& out, uint16_t block) {
    putU16(out, static_cast<uint16_t>(Opcode::kData));
    putU16(out, block);
}

std::string encodeData(uint16_t block, std::string_view payload) {
    std::string out;
    out.reserve(4 + payload.size());
    appendDataHeader(out, block);
    out.append(payload);
    return out;
}

std::string encodeAck(uint16_t block) {
    std::string out;
    putU16(out, static_cast<uint16_t>(Opcode::kAck));
    putU16(out, block);
    return out;
}

std::string encodeError(ErrorCode code, std::string_view message) {
    std::string out;
    putU16(out, static_cast<uint16_t>(Opcode::kError));
    putU16(out, static_cast<uint16_t>(code));
    out.append(message.substr(0, 200));
    out.push_back('\0');
    return out;
}

std::string encodeOack(const std::map<std::string, std::string>& options) {
    std::string out;
    putU16(out, static_cast<uint16_t>(Opcode::kOack));
    for (const auto& [k, v] : options) {
        out.append(k);
        out.push_back('\0');
        out.append(v);
        out.push_back('\0');
    }
    return out;
}

std::string encodeRequest(const Request& r) {
    std::string out;
    putU16(out, static_cast<uint16_t>(r.op));
    out.append(r.file);
    out.push_back('\0');
    out.append(r.mode);
    out.push_back('\0');
    for (const auto& [k, v] : r.options) {
        out.append(k);
        out.push_back('\0');
        out.append(v);
        out.push_back('\0');
    }
    return out;
}

std::string refusalFor(Outcome outcome) {
    if (outcome == Outcome::kError) return encodeError(ErrorCode::kNotDefined, "Internal error");
    if (outcome == Outcome::kUnavailable) return encodeError(ErrorCode::kNotDefined, "Server busy, try later");
    return encodeError(ErrorCode::kFileNotFound, "File not found");
}

}  // namespace prov::tftp
