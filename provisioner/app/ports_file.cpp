#include "provisioner/app/ports_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
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
        if (!out) return Error::internal("cannot write " + path + ": " + std::strerror(errno));
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0)
        return Error::internal("cannot move " + temp + " to " + path + ": " + std::strerror(errno));
    return okStatus();
}

}  // namespace prov::app
