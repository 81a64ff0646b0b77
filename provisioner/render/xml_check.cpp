#include "provisioner/render/xml_check.h"

#include <tinyxml2.h>

#include <cctype>
#include <cstring>
#include <utility>

namespace prov {

namespace {

// tinyxml2 passes a bare '&' and unknown entities through as text; a phone's
// parser may not, so every '&' must start one of XML's five entities or a
// character reference.
bool ampersandsAreEntities(const std::string& doc) {
    static const char* kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    // Only a '<' (a CDATA section or comment may start there) or a '&' can
    // matter: jump from one to the next.
    for (size_t i = doc.find_first_of("<&"); i < doc.size(); i = doc.find_first_of("<&", i + 1)) {
        // CDATA sections and comments hold raw text: skip each whole.
        bool skipped = false;
        for (auto [open, close] : {std::pair{"<![CDATA[", "]]>"}, std::pair{"<!--", "-->"}}) {
            if (doc.compare(i, std::strlen(open), open) == 0) {
                const size_t end = doc.find(close, i + std::strlen(open));
                if (end == std::string::npos) return false;
                i = end + std::strlen(close) - 1;  // the loop looks on past the close
                skipped = true;
                break;
            }
        }
        if (skipped || doc[i] != '&') continue;
        bool ok = false;
        for (const char* e : kEntities) ok = ok || doc.compare(i, std::strlen(e), e) == 0;
        if (!ok && doc.compare(i, 2, "&#") == 0) {
            size_t j = i + 2;
            const bool hex = j < doc.size() && doc[j] == 'x';
            if (hex) ++j;
            const size_t start = j;
            while (j < doc.size() && (hex ? std::isxdigit(static_cast<unsigned char>(doc[j]))
                                          : std::isdigit(static_cast<unsigned char>(doc[j]))))
                ++j;
            ok = j > start && j < doc.size() && doc[j] == ';';
        }
        if (!ok) return false;
    }
    return true;
}

}  // namespace

Status checkXml(const std::string& document) {
    tinyxml2::XMLDocument doc;
    if (doc.Parse(document.data(), document.size()) != tinyxml2::XML_SUCCESS) {
        return Error::internal(std::string("rendered XML is not well-formed: ") + doc.ErrorStr());
    }
    int roots = 0;
    for (auto* e = doc.FirstChildElement(); e; e = e->NextSiblingElement()) ++roots;
    for (auto* n = doc.FirstChild(); n; n = n->NextSibling()) {
        if (n->ToText()) return Error::internal("rendered XML is not well-formed: text outside the root element");
    }
    if (roots != 1) {
        return Error::internal("rendered XML is not well-formed: it has " + std::to_string(roots) +
                               " root elements");
    }
    if (!ampersandsAreEntities(document))
        return Error::internal("rendered XML is not well-formed: an '&' starts no entity");
    return okStatus();
}

}  // namespace prov
