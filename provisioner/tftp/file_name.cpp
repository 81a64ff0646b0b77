#include "provisioner/tftp/file_name.h"

#include "provisioner/core/text.h"

namespace prov::tftp {

std::string fileFromName(std::string_view name) {
    // Some phones ask for "/name" (the root is the only folder there is), and
    // a server setting ending in '/' joined with the phone's own '/' gives
    // "//name".
    std::string file = text::collapseSlashes(name);
    if (file.size() > 1 && file[0] == '/') file.erase(0, 1);
    return file;
}

}  // namespace prov::tftp
