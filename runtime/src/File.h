//===- File.h - whole-file reads and all-or-nothing writes ------*- C++ -*-===//
//
// This file declares how the runtime and the tools touch files. Reads open
// regular files only, so that a directory or a device named by mistake is an
// error naming it instead of an exception or a bus error, and notice a file
// that changes size while it is read. Every file the runtime and the tools
// write is written under a temporary name beside its target and renamed over
// the target only once every byte is written, so that a failure part way (a
// full disk, an unwritable directory) leaves the target as it stood before,
// never truncated or empty, and removes the temporary.
//
// Every failure is returned as a message naming the file, never by aborting.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_FILE_H
#define TPRT_SRC_FILE_H

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <sys/types.h>

namespace tprt {

/// Opens the regular file `path` read-only into `fd` and its size into
/// `bytes`. Returns an empty string, or why it cannot (a directory, another
/// kind of file, a missing or unreadable one); `fd` is then closed.
[[nodiscard]] std::string openRegularFile(const std::string &path, int &fd,
                                          size_t &bytes);

/// Reads up to `bytes` bytes of the open file `fd` from `offset` into
/// `buffer`, fewer only at the end of the file. Returns the count, or -1 on a
/// read error (errno says which).
ssize_t readAt(int fd, uint64_t offset, void *buffer, size_t bytes);

/// Reads the regular file `path` whole into `contents`. Returns an empty
/// string, or what is wrong, naming the file.
[[nodiscard]] std::string readFile(const std::string &path,
                                   std::string &contents);

/// Writes `path` through `write(out)`, which returns false as soon as a write
/// to `out` failed, into a temporary file in the directory of `path` that is
/// renamed over `path` when complete. On any failure the temporary is removed
/// and `path` is left as it was. Returns an empty string, or what failed,
/// naming `path`.
[[nodiscard]] std::string
writeFileAtomically(const std::string &path,
                    const std::function<bool(FILE *)> &write);

} // namespace tprt

#endif // TPRT_SRC_FILE_H
