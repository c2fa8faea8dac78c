//===- FileTest.cpp - whole-file reads and all-or-nothing writes ----------===//
//
// This file checks the file access every reader and writer of the runtime
// goes through: reads of directories, missing files and files that change
// size, and that a write replaces its target only when complete, keeps the
// target's place and removes its temporary on failure, and creates files
// with the mode fopen would give them.
//
//===----------------------------------------------------------------------===//

#include "File.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

using namespace tprt;

namespace {

/// The contents of `path`, read with the standard library.
std::string contentsOf(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A writer of `text`.
std::function<bool(FILE *)> writing(const std::string &text) {
  return [text](FILE *out) {
    return std::fwrite(text.data(), 1, text.size(), out) == text.size();
  };
}

TEST(FileTest, ReadsRegularFilesOnly) {
  std::string dir = tprt_test::emptyDirectory("tprt-file-read");
  std::string path = dir + "/a.bin";
  std::ofstream(path, std::ios::binary) << std::string("x\0y", 3);
  std::string contents;
  ASSERT_EQ(readFile(path, contents), "");
  EXPECT_EQ(contents, std::string("x\0y", 3));

  EXPECT_EQ(readFile(dir, contents), dir + ": is a directory");
  EXPECT_EQ(readFile("/dev/null", contents),
            "/dev/null: is not a regular file");
  EXPECT_EQ(readFile(dir + "/absent", contents),
            dir + "/absent: cannot open: No such file or directory");
  // /proc files say they are empty and are not, like a file that grows
  // while it is read.
  EXPECT_EQ(readFile("/proc/self/status", contents),
            "/proc/self/status: the file grew beyond 0 bytes while it was "
            "read");
}

TEST(FileTest, WriteReplacesTheTargetWhenComplete) {
  std::string dir = tprt_test::emptyDirectory("tprt-file-write");
  std::string path = dir + "/out.bin";
  ASSERT_EQ(writeFileAtomically(path, writing("first")), "");
  ASSERT_EQ(writeFileAtomically(path,
                                [&](FILE *out) {
                                  // Until the rename, the target holds what it
                                  // held before.
                                  EXPECT_EQ(contentsOf(path), "first");
                                  return writing("second")(out);
                                }),
            "");
  EXPECT_EQ(contentsOf(path), "second");
  EXPECT_EQ(tprt_test::filesIn(dir), std::vector<std::string>{"out.bin"});

  // The mode of a file fopen creates, not mkstemp's owner-only one.
  struct stat status;
  ASSERT_EQ(stat(path.c_str(), &status), 0);
  mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(status.st_mode & 0777, 0666 & ~mask);
}

TEST(FileTest, FailedWriteLeavesTheTargetAndNoTemporary) {
  std::string dir = tprt_test::emptyDirectory("tprt-file-failure");
  std::string path = dir + "/out.bin";
  ASSERT_EQ(writeFileAtomically(path, writing("good")), "");

  EXPECT_EQ(writeFileAtomically(path,
                                [](FILE *) {
                                  errno = EIO;
                                  return false;
                                }),
            path + ": write failed: Input/output error");
  {
    tprt_test::FileSizeLimit limit(4096);
    EXPECT_EQ(writeFileAtomically(path, writing(std::string(1 << 16, 'x'))),
              path + ": write failed: File too large");
  }
  EXPECT_EQ(contentsOf(path), "good");
  EXPECT_EQ(tprt_test::filesIn(dir), std::vector<std::string>{"out.bin"});

  // A directory where the file should go: nothing replaces it.
  EXPECT_EQ(writeFileAtomically(dir, writing("x")),
            dir + ": cannot replace: Is a directory");
  EXPECT_EQ(writeFileAtomically(dir + "/absent/out.bin", writing("x")),
            dir + "/absent/out.bin: cannot create: No such file or directory");
  EXPECT_EQ(tprt_test::filesIn(dir), std::vector<std::string>{"out.bin"});
}

} // namespace
