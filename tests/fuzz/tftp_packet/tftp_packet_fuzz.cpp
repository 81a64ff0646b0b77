// The TFTP packet parser (provisioner/tftp/packet.h): one UDP datagram from
// anyone, no handshake. What it accepts, encoded again, parses back the same.

#include "fuzz_check.h"
#include "provisioner/tftp/packet.h"

using namespace prov::tftp;

namespace {

// A datagram is at most 64 KiB; the server reads at most that.
constexpr size_t kMaxDatagram = 65535;

std::string encode(const Packet& p) {
    if (const auto* r = std::get_if<Request>(&p)) return encodeRequest(*r);
    if (const auto* a = std::get_if<Ack>(&p)) return encodeAck(a->block);
    if (const auto* e = std::get_if<ErrorPacket>(&p)) return encodeError(e->code, e->message);
    const auto& d = std::get<Data>(p);
    return encodeData(d.block, d.payload);
}

void checkSame(const Packet& a, const Packet& b) {
    FUZZ_CHECK(a.index() == b.index());
    if (const auto* r = std::get_if<Request>(&a)) {
        const auto& s = std::get<Request>(b);
        FUZZ_CHECK(r->op == s.op && r->file == s.file && r->mode == s.mode &&
                   r->options == s.options);
    } else if (const auto* k = std::get_if<Ack>(&a)) {
        FUZZ_CHECK(k->block == std::get<Ack>(b).block);
    } else if (const auto* e = std::get_if<ErrorPacket>(&a)) {
        const auto& f = std::get<ErrorPacket>(b);
        // encodeError keeps the first 200 bytes of the message.
        FUZZ_CHECK(e->code == f.code && e->message.substr(0, 200) == f.message);
    } else {
        const auto& d = std::get<Data>(a);
        const auto& g = std::get<Data>(b);
        FUZZ_CHECK(d.block == g.block && d.payload == g.payload);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > kMaxDatagram) return 0;
    const ParseResult r = parse(prov::fuzz::bytes(data, size));
    FUZZ_CHECK(r.packet.has_value() == r.problem.empty());
    if (!r.packet) return 0;
    if (const auto* req = std::get_if<Request>(&*r.packet)) {
        FUZZ_CHECK(!req->file.empty());
        FUZZ_CHECK(req->op == Opcode::kRrq || req->op == Opcode::kWrq);
    }
    const std::string again = encode(*r.packet);
    const ParseResult back = parse(again);
    FUZZ_CHECK(back.packet.has_value());
    checkSame(*r.packet, *back.packet);
    return 0;
}
