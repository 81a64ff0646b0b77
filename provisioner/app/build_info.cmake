# Writes OUTPUT, the definitions of app/build_info.h, from VERSION and
# `git describe` of SOURCE_DIR. Run at every build (app/CMakeLists.txt); the
# file is rewritten only when its text changes, so an unchanged revision
# rebuilds nothing.
set(revision "")
if(EXISTS "${SOURCE_DIR}/.git")
  find_program(GIT git)
  if(GIT)
    execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" describe --always --dirty --tags
                    OUTPUT_VARIABLE revision ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      set(revision "")
    endif()
  endif()
endif()
# Only characters a describe prints: nothing to escape in a C++ string.
string(REGEX REPLACE "[^A-Za-z0-9._+-]" "" revision "${revision}")
set(text "// Written by provisioner/app/build_info.cmake at build time.
#include \"provisioner/app/build_info.h\"

namespace prov::app {

std::string_view buildVersion() { return \"${VERSION}\"; }
std::string_view buildRevision() { return \"${revision}\"; }

}  // namespace prov::app
")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
