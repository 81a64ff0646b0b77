#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"

int main(int argc, char** argv) {
    prov::app::CommandLine cl;
    std::string error;
    if (!prov::app::parseCommandLine(argc, argv, cl, error)) {
        std::cerr << "provisioner: " << error << "\n" << prov::app::usage();
        return prov::app::kExitUsage;
    }
    return prov::app::runCommand(cl);
}
