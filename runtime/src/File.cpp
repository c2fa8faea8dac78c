//===- File.cpp - whole-file reads and all-or-nothing writes --------------===//
//
// This file implements the runtime's file access on POSIX calls, whose
// failures are return values with an errno, rather than on iostreams, which
// throw from deep inside a read of a directory.
//
//===----------------------------------------------------------------------===//

#include "File.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tprt {

std::string openRegularFile(const std::string &path, int &fd, size_t &bytes) {
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return path + ": cannot open: " + std::strerror(errno);
  struct stat status;
  std::string error;
  if (fstat(fd, &status) != 0)
    error = path + ": cannot stat: " + std::strerror(errno);
  else if (S_ISDIR(status.st_mode))
    error = path + ": is a directory";
  else if (!S_ISREG(status.st_mode))
    error = path + ": is not a regular file";
  if (!error.empty()) {
    ::close(fd);
    return error;
  }
  bytes = static_cast<size_t>(status.st_size);
  return {};
}

ssize_t readAt(int fd, uint64_t offset, void *buffer, size_t bytes) {
  size_t done = 0;
  while (done < bytes) {
    ssize_t got = ::pread(fd, static_cast<char *>(buffer) + done, bytes - done,
                          static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return -1;
    if (got == 0)
      break;
    done += static_cast<size_t>(got);
  }
  return static_cast<ssize_t>(done);
}

std::string readFile(const std::string &path, std::string &contents) {
  int fd;
  size_t bytes;
  std::string error = openRegularFile(path, fd, bytes);
  if (!error.empty())
    return error;
  // One byte more than the size, to notice a file that is still growing.
  contents.resize(bytes + 1);
  ssize_t got = readAt(fd, 0, contents.data(), bytes + 1);
  if (got < 0)
    error = path + ": cannot read: " + std::strerror(errno);
  else if (static_cast<size_t>(got) < bytes)
    error = path + ": the file shrank from " + std::to_string(bytes) + " to " +
            std::to_string(got) + " bytes while it was read";
  else if (static_cast<size_t>(got) > bytes)
    error = path + ": the file grew beyond " + std::to_string(bytes) +
            " bytes while it was read";
  ::close(fd);
  contents.resize(bytes);
  return error;
}

std::string writeFileAtomically(const std::string &path,
                                const std::function<bool(FILE *)> &write) {
  // Beside the target, so that the rename stays on one file system and
  // replaces the target in one step.
  std::string temporary = path + ".tmp-XXXXXX";
  int fd = mkstemp(temporary.data());
  if (fd < 0)
    return path + ": cannot create: " + std::strerror(errno);
  // mkstemp makes the file private to its owner; give it the mode a file
  // created by fopen would have.
  mode_t mask = umask(0);
  umask(mask);
  FILE *out = fchmod(fd, 0666 & ~mask) == 0 ? fdopen(fd, "wb") : nullptr;
  if (!out) {
    std::string error = path + ": cannot create: " + std::strerror(errno);
    ::close(fd);
    ::unlink(temporary.c_str());
    return error;
  }
  bool written = write(out);
  int writeErrno = errno;
  if (std::fclose(out) != 0 && written) {
    written = false;
    writeErrno = errno;
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return path + ": write failed: " + std::strerror(writeErrno);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string error = path + ": cannot replace: " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return error;
  }
  return {};
}

} // namespace tprt
