#include "provisioner/invite/qr_svg.h"

#include <qrencode.h>

#include <memory>

#include "provisioner/invite/html.h"

namespace prov::invite {

std::string qrSvg(const std::string& text, const std::string& label) {
    std::unique_ptr<QRcode, void (*)(QRcode*)> code(
        QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), QRcode_free);
    if (!code) return "";
    const int width = code->width;
    const int size = width + 8;
    std::string path;
    for (int y = 0; y < width; ++y) {
        for (int x = 0; x < width; ++x) {
            if (code->data[y * width + x] & 1)
                path += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
        }
    }
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" +
           escapeHtml(label) + "\" viewBox=\"0 0 " + std::to_string(size) + " " +
           std::to_string(size) +
           "\" width=\"256\" height=\"256\" shape-rendering=\"crispEdges\"><rect width=\"100%\" "
           "height=\"100%\" "
           "fill=\"#fff\"/><path fill=\"#000\" d=\"" +
           path + "\"/></svg>";
}

}  // namespace prov::invite
