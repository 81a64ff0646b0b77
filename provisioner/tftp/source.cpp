#include "provisioner/tftp/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace prov::tftp {

bool MemorySource::read(uint64_t offset, size_t len, std::string& out) {
    if (offset < data_.size()) out.append(data_, offset, std::min<uint64_t>(len, data_.size() - offset));
    return true;
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path, const std::optional<FileCheck>& check) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Error::notFound(path + ": " + std::strerror(errno));
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error::notFound(path + " is not a regular file");
    }
    if (check && !isCheckedStat(st, *check)) {
        ::close(fd);
        return Error::notFound(path + " changed since it was checked");
    }
    return std::unique_ptr<FileSource>(new FileSource(fd, static_cast<uint64_t>(st.st_size)));
}

FileSource::~FileSource() { ::close(fd_); }

// One pread of what is asked (a block, at most 64 KiB, or a window of them,
// at most 256 KiB: block_reader.h), on the event loop: phones of a site
// fetch the same few images, which sit in the page cache, so this is a
// copy, not a wait on the disk. Nothing is kept here between calls: this
// used to keep 256 KiB read ahead for each transfer, which a flood of
// transfers that never get past block 1 turned into memory (300 of them:
// 75 MiB), and zero-filled that much for every 4 KiB config.
bool FileSource::read(uint64_t offset, size_t len, std::string& out) {
    const size_t start = out.size();
    out.resize(start + len);
    size_t got = 0;
    while (got < len) {
        const ssize_t n = ::pread(fd_, out.data() + start + got, len - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            out.resize(start);
            return false;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(start + got);
    return true;
}

}  // namespace prov::tftp
