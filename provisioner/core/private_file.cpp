#include "provisioner/core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace prov {

namespace {

Error failed(const std::string& what, const std::string& path) {
    return Error::internal("cannot " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status makePrivateDirectories(const std::string& path) {
    if (path.empty()) return okStatus();
    // Every prefix ending before a '/', then the whole path: mkdir one level
    // at a time, so each folder made gets 0700 (mkdir -p would give the
    // parents the umask's mode).
    for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        const std::string prefix = path.substr(0, end);
        if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return failed("create", prefix);
        if (end == std::string::npos) break;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return failed("create", path);
    }
    return okStatus();
}

Status writePrivateFile(const std::string& path, std::string_view bytes, FileSync sync) {
    const std::string temp = path + ".partial";
    // O_EXCL after the unlink: the file written is one made here with 0600,
    // never a leftover (or a link someone placed) with a wider mode.
    ::unlink(temp.c_str());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return failed("write", path);
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int saved = errno;
            ::close(fd);
            ::unlink(temp.c_str());
            errno = saved;
            return failed("write", path);
        }
        done += static_cast<size_t>(n);
    }
    // Durable: the bytes reach the disk before the name does, so a crash
    // leaves the old file or the whole new one, never an empty one.
    const bool synced = sync == FileSync::kNone || ::fsync(fd) == 0;
    if (::close(fd) != 0 || !synced || std::rename(temp.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        errno = saved;
        return failed("write", path);
    }
    if (sync == FileSync::kDurable) {
        // The rename itself is an entry of the folder: kept by its fsync.
        const size_t slash = path.rfind('/');
        const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
        const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) return failed("sync the folder of", path);
        const bool ok = ::fsync(dir) == 0;
        const int saved = errno;
        ::close(dir);
        errno = saved;
        if (!ok) return failed("sync the folder of", path);
    }
    return okStatus();
}

Result<std::string> readSecretLine(const std::string& path, const std::string& flag) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Error::invalid("cannot read " + flag + " " + path);
    struct stat st {};
    std::string bytes;
    Status problem = okStatus();
    if (::fstat(fd, &st) != 0) {
        problem = Error::invalid("cannot read " + flag + " " + path);
    } else if (st.st_mode & (S_IRGRP | S_IROTH)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        problem = Error::invalid(flag + " " + path + " is readable by " +
                                 ((st.st_mode & S_IROTH) ? "others" : "its group") + " (mode " + mode +
                                 "): chmod 600 it");
    } else {
        // The first line is all that is wanted.
        char buf[4096];
        ssize_t n = 0;
        while (bytes.size() < 65536 && bytes.find('\n') == std::string::npos &&
               (n = ::read(fd, buf, sizeof buf)) > 0)
            bytes.append(buf, static_cast<size_t>(n));
        if (n < 0) problem = Error::invalid("cannot read " + flag + " " + path);
    }
    ::close(fd);
    TRY(problem);
    if (const size_t nl = bytes.find('\n'); nl != std::string::npos) bytes.resize(nl);
    if (!bytes.empty() && bytes.back() == '\r') bytes.pop_back();
    return bytes;
}

}  // namespace prov
