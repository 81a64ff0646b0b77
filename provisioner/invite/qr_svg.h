#pragma once

// A QR code (libqrencode, error correction M) as an inline SVG element:
// one path of the dark modules in a viewBox with the standard 4-module
// quiet zone. "" when the text does not fit a QR code.

#include <string>

namespace prov::invite {

std::string qrSvg(const std::string& text, const std::string& label);

}  // namespace prov::invite
