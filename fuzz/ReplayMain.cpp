//===- ReplayMain.cpp - run a fuzz target over files ----------------------===//
//
// This file is the main of a fuzz target built without libFuzzer: it runs
// LLVMFuzzerTestOneInput on every file named on the command line, or in the
// directories named there, so that ctest replays the checked-in corpus in
// every build and each fixed crash stays fixed.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                         bytes.size());
}

int main(int argc, char **argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path path(argv[i]);
    if (!std::filesystem::is_directory(path)) {
      replay(path);
      ++count;
      continue;
    }
    for (const auto &entry : std::filesystem::directory_iterator(path))
      if (entry.is_regular_file()) {
        replay(entry.path());
        ++count;
      }
  }
  std::printf("replayed %zu inputs\n", count);
  return count ? 0 : 1;
}
