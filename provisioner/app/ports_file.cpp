#include "provisioner/app/ports_file.h"

#include <cstdio>
#include <fstream>

namespace prov::app {

Status writePortsFile(const std::string& path, const BoundPorts& ports) {
    const std::string temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << "{";
        for (size_t i = 0; i < ports.size(); ++i)
            out << (i ? ", " : "") << "\"" << ports[i].first << "\": " << ports[i].second;
        out << "}\n";
        if (!out) return Error::internal("cannot write ports.file " + path);
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0)
        return Error::internal("cannot write ports.file " + path);
    return okStatus();
}

}  // namespace prov::app
