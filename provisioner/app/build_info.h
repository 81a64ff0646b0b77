#pragma once

// Which build this binary is: the project's version (CMakeLists.txt) and,
// when it was built from a git checkout, `git describe --always --dirty` of
// that checkout at build time. The values are written by build_info.cmake
// at each build, into a source file of the build folder.

#include <string_view>

namespace prov::app {

std::string_view buildVersion();
// "" when the sources were not a git checkout (a source tarball).
std::string_view buildRevision();

}  // namespace prov::app
