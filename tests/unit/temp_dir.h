#pragma once

// A fresh directory under /tmp, removed with everything in it at scope exit.
// For tests that need a small vendor-templates tree on disk.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace prov::testing {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/prov-unit-test.XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

    // Writes `text` to path()/relative, creating folders; returns the full path.
    std::string write(const std::string& relative, const std::string& text) const {
        const std::filesystem::path full = std::filesystem::path(path_) / relative;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream out(full, std::ios::binary);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + full.string());
        return full.string();
    }

private:
    std::string path_;
};

}  // namespace prov::testing
