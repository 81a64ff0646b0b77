#include "provisioner/fetch/fetch.h"

#include <sys/stat.h>

namespace prov {

std::string_view toString(Protocol p) {
    switch (p) {
        case Protocol::kHttp: return "http";
        case Protocol::kHttps: return "https";
        case Protocol::kTftp: return "tftp";
    }
    return "";
}

bool isSafeFileName(const std::string& file) {
    if (file.empty() || file.size() > 255 || file[0] == '.') return false;
    for (char c : file) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || c == '/' || c == '\\' || c == '%' || c == '"' || c == '<' || c == '>')
            return false;
    }
    return true;
}

bool isCheckedFile(int fd, const FileCheck& check) {
    struct stat st{};
    return ::fstat(fd, &st) == 0 && isCheckedStat(st, check);
}

bool isCheckedStat(const struct stat& st, const FileCheck& check) {
    if (!S_ISREG(st.st_mode)) return false;
    return static_cast<int64_t>(st.st_size) == check.size &&
           static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec == check.mtime_ns &&
           static_cast<int64_t>(st.st_ino) == check.inode && static_cast<int64_t>(st.st_dev) == check.device;
}

}  // namespace prov
