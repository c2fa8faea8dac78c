//===- SafetensorsIndexFuzzer.cpp - fuzz the checkpoint index reader ------===//
//
// This file fuzzes the reader of a checkpoint's index
// (model.safetensors.index.json): the input is the index, beside two valid
// shard files made once per process (tensors a and b in
// model-00001-of-00002.safetensors, c in model-00002-of-00002.safetensors).
// The checkpoint is either refused with a message or every tensor the index
// maps can be read whole from its shard.
//
//===----------------------------------------------------------------------===//

#include "SafetensorsCheckpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

/// A directory holding the two shard files, removed at exit.
static std::string makeShards() {
  char name[] = "/tmp/tp-fuzz-index-XXXXXX";
  // A harness that cannot make its files is broken, not the code under test.
  if (!mkdtemp(name))
    std::abort();
  static std::string dir = name;
  std::atexit([] { std::filesystem::remove_all(dir); });
  std::vector<tprt::TensorDesc> tensors = {
      {"a", "F32", {2}}, {"b", "BF16", {3}}, {"c", "I64", {1}}};
  std::vector<std::string> written;
  std::string error = tprt::writeShardedSafetensors(
      dir, tensors,
      [&](size_t i, int64_t, int64_t count, char *bytes) {
        std::fill(bytes, bytes + count * tprt::dtypeBytes(tensors[i].dtype), 1);
      },
      {}, 14, written);
  if (!error.empty() || written.size() != 3)
    std::abort();
  return dir;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string dir = makeShards();
  std::string index = dir + "/" + tprt::kIndexFileName;
  FILE *out = std::fopen(index.c_str(), "wb");
  if (!out || std::fwrite(data, 1, size, out) != size || std::fclose(out))
    std::abort();
  std::unique_ptr<tprt::SafetensorsCheckpoint> checkpoint;
  if (!tprt::SafetensorsCheckpoint::open(dir, checkpoint).empty())
    return 0;
  std::vector<char> block;
  for (const tprt::CheckpointTensor &entry : checkpoint->tensors()) {
    // The reader checked that each tensor's bytes lie in its file.
    block.resize(tprt::elementCount(entry.tensor->shape) *
                 tprt::dtypeBytes(entry.tensor->dtype));
    if (!entry.file->read(*entry.tensor, block.data()).empty())
      __builtin_trap(); // a validated tensor must be readable
  }
  return 0;
}
