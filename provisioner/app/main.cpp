#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"

int main(int argc, char** argv) {
    prov::app::CommandLine cl;
    std::string error;
    if (!prov::app::parseCommandLine(argc, argv, cl, error)) {
        // One line naming what is wrong; the whole list only when no command was given.
        std::cerr << "provisioner: " << error << "\n";
        if (cl.words.empty() && error.rfind("no command", 0) == 0) std::cerr << prov::app::usage();
        return prov::app::kExitUsage;
    }
    return prov::app::runCommand(cl);
}
