#include "provisioner/tftp/netascii.h"

namespace prov::tftp {

NetasciiPosition encodeNetascii(std::string_view octets, NetasciiPosition at, size_t len, std::string& out) {
    size_t room = len;
    if (at.carry && room > 0) {
        out.push_back(*at.carry);
        at.carry.reset();
        --room;
    }
    size_t used = 0;
    while (room > 0 && used < octets.size()) {
        const char c = octets[used++];
        if (c != '\n' && c != '\r') {
            out.push_back(c);
            --room;
            continue;
        }
        out.push_back('\r');
        --room;
        const char second = c == '\n' ? '\n' : '\0';
        if (room == 0) {
            at.carry = second;  // the block is full: the pair goes on in the next one
            break;
        }
        out.push_back(second);
        --room;
    }
    at.octet += used;
    return at;
}

}  // namespace prov::tftp
