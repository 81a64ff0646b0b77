#pragma once

// The front ends' contract: what every front end (HTTP, HTTPS, TFTP) turns a
// phone's request into, and what the provisioning service answers. Plain data
// that depends on nothing, so every front end and service/ share one
// definition without a cycle; no protocol types cross this line. The layers
// below service/ (identify/, policy/) take the plain fields they decide on.

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prov {

enum class Protocol { kHttp, kHttps, kTftp };
enum class Method { kGet, kHead, kPut };

struct FetchRequest {
    Protocol protocol = Protocol::kHttp;
    Method method = Method::kGet;
    std::string file;        // requested file name, decoded, without the leading '/'
    std::string user_agent;  // empty over TFTP
    std::string peer_ip;
    std::string if_none_match;
    std::string body;        // PUT uploads only
    // HTTPS: a verified factory certificate, and the MAC it proved (canonical;
    // empty when its subject names none).
    bool client_cert = false;
    std::string cert_mac;
    // HTTP(S): the Authorization header as sent (at most 4 KiB) and the
    // request target, which a Digest response covers. Empty over TFTP.
    std::string authorization;
    std::string target;
};

enum class Outcome {
    kServed,
    kNotModified,
    kStored,            // an upload was accepted
    kNotFound,
    kDenied,
    kForbidden,         // a proven phone asked for another phone's file
    kUnauthorized,      // HTTP(S): credentials needed; `challenges` say which
    kBadRequest,
    kTooLarge,
    kMethodNotAllowed,
    // The store does not answer and nothing this node keeps in memory answers
    // for it (a phone it never served): try again later. HTTP 503 with
    // Retry-After; a TFTP error packet saying so.
    kUnavailable,
    kError,
};

// What the pipeline's stat said of a static file. Whoever opens file_path
// checks the open file against it and answers "not found" when it differs:
// a file replaced between the serve check (firmware's, by stat) and the
// open is never sent in its place.
struct FileCheck {
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t inode = 0;
    int64_t device = 0;  // an inode number is only unique on its file system
};
// True when the open file `fd` is a regular file with `check`'s size, mtime,
// inode and device.
bool isCheckedFile(int fd, const FileCheck& check);
// The same, from the open file's fstat taken already.
bool isCheckedStat(const struct stat& st, const FileCheck& check);

struct FetchResponse {
    Outcome outcome = Outcome::kNotFound;
    std::string body;          // rendered bytes
    std::string file_path;     // or a static file to stream
    int64_t file_size = 0;
    std::optional<FileCheck> file_check;  // what the opened file_path must still be
    std::string content_type;
    std::string etag;          // quoted, as sent in the header
    std::string reason;        // for the log line; never shown to the phone
    std::vector<std::string> challenges;  // kUnauthorized: WWW-Authenticate values
    // Served bytes that carry nothing (a sealed file's stand-in for a MAC
    // without a key): the event says "denied".
    bool decoy = false;
};

std::string_view toString(Protocol p);

// True when `file` is a plain file name a phone may ask for: printable ASCII,
// no '/', '\\', NUL or control characters, no leading '.', at most 255 bytes.
bool isSafeFileName(const std::string& file);

}  // namespace prov
