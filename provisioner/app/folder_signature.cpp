#include "provisioner/app/folder_signature.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Exception.h>

#include <vector>

namespace prov::app {

std::string folderSignature(const std::string& dir) {
    std::string sig;
    try {
        std::vector<std::string> stack{dir};
        while (!stack.empty()) {
            const std::string d = stack.back();
            stack.pop_back();
            for (Poco::DirectoryIterator it(d), end; it != end; ++it) {
                if (it->isDirectory()) {
                    stack.push_back(it->path());
                } else {
                    sig += it->path() + ":" + std::to_string(it->getSize()) + ":" +
                           std::to_string(it->getLastModified().epochMicroseconds()) + ";";
                }
            }
        }
    } catch (const Poco::Exception&) {
    }
    return sig;
}

}  // namespace prov::app
