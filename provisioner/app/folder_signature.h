#pragma once

// A signature of every file under a folder (paths, sizes, modification
// times): when it changes, something in the folder changed. serve polls
// vendor-templates/ with it.

#include <string>

namespace prov::app {

// "" for a folder that cannot be read; a subfolder that cannot be read ends the walk.
std::string folderSignature(const std::string& dir);

}  // namespace prov::app
