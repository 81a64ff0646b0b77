#include "provisioner/render/xml_check.h"

#include <tinyxml2.h>

namespace prov {

Status checkXml(const std::string& document) {
    tinyxml2::XMLDocument doc;
    if (doc.Parse(document.data(), document.size()) != tinyxml2::XML_SUCCESS) {
        return Error::internal(std::string("rendered XML is not well-formed: ") + doc.ErrorStr());
    }
    if (!doc.RootElement()) return Error::internal("rendered XML has no root element");
    return okStatus();
}

}  // namespace prov
