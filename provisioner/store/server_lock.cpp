#include "provisioner/store/server_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace prov {

// Why flock(2) on a file of its own, not a lock on the database file:
// - SQLite locks the database with fcntl(2) (POSIX) locks, which belong to
//   the process and the file: closing any other descriptor of the database
//   in this process would silently drop SQLite's locks, and a byte range of
//   ours would have to stay clear of the bytes SQLite locks.
// - flock(2) locks belong to the open file description and on Linux are
//   independent of fcntl locks, so they cannot disturb SQLite's; on NFS
//   Linux emulates flock with fcntl locks, which is harmless on a separate
//   file but would not be on the database itself.
// - SQLite's own exclusive locking mode would shut out the other commands,
//   which must keep working while the server runs.
// The lock goes with the descriptor: a server killed with SIGKILL leaves no
// stale lock. The file is never removed: removing it while another process
// has it open lets two processes hold locks on two different files.

Result<std::unique_ptr<ServerLock>> ServerLock::take(const std::string& store_path) {
    const std::string path = store_path + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Error::invalid("store: cannot open the lock " + path + ": " + std::strerror(errno));
    // One made before with a wider mode (by hand, or restored from a copy).
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) (void)::fchmod(fd, st.st_mode & 0700);
    int rc;
    do {
        rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int why = errno;
        char buf[24] = {0};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        if (why != EWOULDBLOCK)
            return Error::invalid("store: cannot lock " + path + ": " + std::strerror(why));
        std::string pid;
        for (ssize_t i = 0; i < n && std::isdigit(static_cast<unsigned char>(buf[i])); ++i)
            pid += buf[i];
        return Error{Code::kUnavailable,
                     "in_use",
                     "the store " + store_path + " is in use by another provisioner serve" +
                         (pid.empty() ? "" : " (process " + pid + ")") + "; one server per store",
                     {},
                     {}};
    }
    // The holder's process id, for the next one's refusal; best effort.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    return std::unique_ptr<ServerLock>(new ServerLock(path, fd));
}

ServerLock::~ServerLock() { ::close(fd_); }

}  // namespace prov
