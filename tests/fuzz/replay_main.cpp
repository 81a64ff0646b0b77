// A main for the fuzz targets where libFuzzer is not there (the gcc builds):
// runs LLVMFuzzerTestOneInput once on every file named, or in a folder named,
// so ctest replays each target's corpus and regression inputs in the normal
// and the ASan build. The fuzzing itself is tests/fuzz/run.sh, under clang.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const auto& entry : fs::directory_iterator(arg)) {
                if (entry.is_regular_file()) files.push_back(entry.path());
            }
        } else if (fs::is_regular_file(arg, ec)) {
            files.push_back(arg);
        } else if (arg.filename() != "regressions") {
            // A target without regression inputs has no such folder (git
            // keeps no empty ones); anything else missing is a mistake.
            std::cerr << "replay: no such file or folder: " << arg << "\n";
            return 2;
        }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
        std::ifstream in(file, std::ios::binary);
        const std::string data{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
        if (!in.good() && !in.eof()) {
            std::cerr << "replay: cannot read " << file << "\n";
            return 2;
        }
        std::cerr << "replay: " << file.string() << "\n";
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    }
    std::cerr << "replay: " << files.size() << " inputs, no failure\n";
    return files.empty() ? 1 : 0;
}
