#include "provisioner/firmware/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "provisioner/fetch/fetch.h"
#include "provisioner/tls/crypto.h"

namespace prov::firmware {

namespace {

constexpr size_t kPiece = 1 << 20;

std::string why() { return std::strerror(errno); }

}  // namespace

std::optional<FileStamp> stampFrom(const struct stat& st) {
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    FileStamp s;
    s.size = static_cast<int64_t>(st.st_size);
    s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.inode = static_cast<int64_t>(st.st_ino);
    return s;
}

std::optional<FileStamp> stampOf(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return stampFrom(st);
}

std::optional<FileStamp> stampOfFd(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return std::nullopt;
    return stampFrom(st);
}

Result<Hashed> hashFd(int fd, const std::string& path) {
    tls::Sha256Stream hash;
    std::vector<char> buf(kPiece);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::internal("cannot read " + path + ": " + why());
        if (n == 0) break;
        hash.update(buf.data(), static_cast<size_t>(n));
    }
    return Hashed{static_cast<int64_t>(hash.bytes()), hash.hexDigest()};
}

Result<Hashed> hashFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::internal("cannot open " + path + ": " + why());
    auto hashed = hashFd(fd, path);
    ::close(fd);
    return hashed;
}

bool isImageName(const std::string& name) {
    if (!isSafeFileName(name) || name == kManifestName) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '+' ||
                        c == '(' || c == ')';
        if (!ok) return false;
    }
    return true;
}

struct IncomingFile::Hash {
    tls::Sha256Stream stream;
};

IncomingFile::IncomingFile(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), hash_(std::make_unique<Hash>()) {}

Result<std::unique_ptr<IncomingFile>> IncomingFile::create(const std::string& firmware_dir) {
    const std::string dir = firmware_dir + "/" + kIncomingDir;
    if (::mkdir(firmware_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return Error::internal("cannot create " + firmware_dir + ": " + why());
    // Only the server's user reads what is still arriving.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Error::internal("cannot create " + dir + ": " + why());
    std::string path = dir + "/image-XXXXXX";
    std::vector<char> name(path.begin(), path.end());
    name.push_back('\0');
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);  // 0600
    if (fd < 0) return Error::internal("cannot create a file in " + dir + ": " + why());
    return std::unique_ptr<IncomingFile>(new IncomingFile(fd, name.data()));
}

IncomingFile::~IncomingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
}

Status IncomingFile::write(const char* data, size_t length) {
    hash_->stream.update(data, length);
    size_ += static_cast<int64_t>(length);
    while (length > 0) {
        const ssize_t n = ::write(fd_, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::internal("cannot write " + path_ + ": " + why());
        data += n;
        length -= static_cast<size_t>(n);
    }
    return okStatus();
}

Result<Hashed> IncomingFile::finish() {
    if (fd_ >= 0 && ::close(std::exchange(fd_, -1)) != 0)
        return Error::internal("cannot write " + path_ + ": " + why());
    return Hashed{size_, hash_->stream.hexDigest()};
}

}  // namespace prov::firmware
