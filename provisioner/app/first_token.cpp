#include "provisioner/app/first_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace prov::app {

std::string adminTokenPath(const std::string& store_path) {
    if (store_path == ":memory:") return "admin-token";
    const size_t slash = store_path.rfind('/');
    if (slash == std::string::npos) return "admin-token";
    return store_path.substr(0, slash + 1) + "admin-token";
}

Status writeSecretFile(const std::string& path, const std::string& bytes) {
    auto failed = [&](const char* step) {
        return Error::internal("cannot write " + path + " (" + step + "): " + std::strerror(errno));
    };
    const std::string temp = path + ".partial";
    ::unlink(temp.c_str());  // a leftover, or a link someone planted: O_EXCL below then makes a new file
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return failed("open");
    // Whatever the umask, never more than the owner.
    bool ok = ::fchmod(fd, 0600) == 0;
    for (size_t done = 0; ok && done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(temp.c_str());
        errno = saved;
        return failed("write");
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        const Error e = failed("rename");
        ::unlink(temp.c_str());
        return e;
    }
    return okStatus();
}

}  // namespace prov::app
