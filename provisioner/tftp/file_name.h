#pragma once

#include <string>
#include <string_view>

namespace prov::tftp {

// The file a read request names, as the provisioning service takes it:
// repeated slashes count as one and one leading slash is dropped ("/x.cfg"
// and "//x.cfg" are "x.cfg"). Nothing else is changed or decided here: a name
// that still holds a '/', a backslash, a leading '.' or a NUL is refused by
// the service (isSafeFileName), as any other name it does not serve.
std::string fileFromName(std::string_view name);

}  // namespace prov::tftp
