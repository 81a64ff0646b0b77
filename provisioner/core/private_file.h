#pragma once

// Files and folders readable by their owner alone, whatever the umask: the
// store's neighbours, exports with SIP passwords, keys, phones' uploads.
//
//   TRY(makePrivateDirectories("var/uploads/0015654aa937"));   // missing ones 0700
//   TRY(writePrivateFile("export.csv", bytes));                // 0600, whole or not at all
//   auto url = TRY(readSecretLine("store-url.txt", "--to-file"));  // refused when 0644

#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov {

// Creates `path` and its missing parents, each 0700; folders that exist
// are left as they are (their modes are the operator's).
Status makePrivateDirectories(const std::string& path);

// Whether a file written must be on disk when the write returns.
enum class FileSync {
    kNone,     // the kernel writes it back when it will
    kDurable,  // the file fsync'd before its rename, its folder after
};

// Writes `bytes` to `path`, 0600, through "<path>.partial" renamed into
// place: a reader never sees half a file, and a file that was there (of any
// mode) is replaced by the new one. An error names `path`.
Status writePrivateFile(const std::string& path, std::string_view bytes, FileSync sync = FileSync::kNone);

// The first line of the secret file at `path` (a password, a URL holding
// one), without its line end. A file its group or others may read is
// refused before it is read (InvalidArgument: "<flag> PATH is readable by
// others (mode 0644): chmod 600 it"): the secret is as good as theirs
// already. The mode is the open file's, so it cannot be swapped after the
// check. At most 64 KiB is read. Errors name `flag` and `path`.
Result<std::string> readSecretLine(const std::string& path, const std::string& flag);

}  // namespace prov
