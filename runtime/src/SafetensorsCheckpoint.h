//===- SafetensorsCheckpoint.h - checkpoints as Hugging Face ships them -*-===//
//
// This file declares checkpoints of one safetensors file or of several, as
// Hugging Face's save_pretrained writes them: shard files
// `model-00001-of-00003.safetensors`, ... and an index,
// `model.safetensors.index.json`:
//
//   {"metadata": {"total_size": BYTES},
//    "weight_map": {"tensor name": "model-00001-of-00003.safetensors", ...}}
//
// whose file names are relative to the index's directory. A checkpoint is
// named by its safetensors file, its index, or the directory holding either
// (`model.safetensors` first, as Hugging Face looks). Every file is opened
// once, up front, its header validated as any safetensors file's
// (SafetensorsFile), so that the whole checkpoint is checked before any
// compute; tensors are then read with pread from the file that holds them,
// and from no other. The index and its shards must agree exactly: each
// tensor the index maps is in its file, and each tensor of a shard is one
// the index maps to it, since a shard re-saved without its index (or the
// reverse) would otherwise load stale weights silently.
//
// The writer splits as Hugging Face's split_torch_state_dict_into_shards
// does: tensors in order, a new shard when the next tensor would take the
// current one past the limit, a tensor larger than the limit in a shard of
// its own.
//
// Every failure is returned as a message naming the file and the tensor.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_SAFETENSORSCHECKPOINT_H
#define TPRT_SRC_SAFETENSORSCHECKPOINT_H

#include "Safetensors.h"

namespace tprt {

/// Hugging Face's names for a checkpoint of one file and for the index of a
/// checkpoint of several, in the model's directory.
inline constexpr const char *kSingleFileName = "model.safetensors";
inline constexpr const char *kIndexFileName = "model.safetensors.index.json";

/// A tensor of a checkpoint, and the file that holds it.
struct CheckpointTensor {
  const StoredTensor *tensor;
  const SafetensorsFile *file;
};

/// A checkpoint of one or several safetensors files, open for reading, every
/// header validated and the index consistent with its shards.
class SafetensorsCheckpoint {
public:
  /// Opens the checkpoint `path` names (a safetensors file, an index ending
  /// in .json, or a directory holding model.safetensors or
  /// model.safetensors.index.json) into `checkpoint`. Returns an empty
  /// string, or what is wrong, naming the file (and the tensor).
  [[nodiscard]] static std::string
  open(const std::string &path,
       std::unique_ptr<SafetensorsCheckpoint> &checkpoint);

  /// The file that names the checkpoint: its safetensors file or its index.
  const std::string &path() const { return checkpointPath; }
  /// Whether the checkpoint is an index of shard files.
  bool indexed() const { return !indexText.empty(); }
  /// Its files: the one file, or the index's shards in name order.
  const std::vector<std::unique_ptr<SafetensorsFile>> &files() const {
    return shards;
  }
  /// Every tensor, ordered by name.
  const std::vector<CheckpointTensor> &tensors() const { return entries; }
  /// The one file's __metadata__, or the index's "metadata" (values that
  /// are not strings, such as total_size, as JSON text).
  const std::map<std::string, std::string> &metadata() const { return meta; }
  /// The bytes of all its files, when they were opened.
  uint64_t size() const;
  /// What identifies the checkpoint without reading its tensors: the index
  /// and every file's header.
  std::string identity() const;

  /// The tensor called `name`, or null.
  const CheckpointTensor *find(const std::string &name) const;
  /// Like find, but a missing tensor is an error naming the checkpoint.
  [[nodiscard]] std::string lookup(const std::string &name,
                                   const CheckpointTensor *&tensor) const;

private:
  SafetensorsCheckpoint() = default;
  std::string openIndex();

  std::string checkpointPath;
  std::string indexText;
  std::vector<std::unique_ptr<SafetensorsFile>> shards;
  std::vector<CheckpointTensor> entries;
  std::map<std::string, std::string> meta;
};

/// Whether the checkpoint tensor `name` needs no parameter of the model to
/// load into: the rotary inverse frequencies (`*.rotary_emb.inv_freq`)
/// older Hugging Face checkpoints hold, buffers recomputed from the config;
/// and the optimizer state and step count (`optimizer.*`) a training
/// checkpoint holds beside the weights.
bool isKnownNonParameter(const std::string &name);

/// Checks that `stored` loads into the parameter `param`: the same shape,
/// and the same dtype or two float dtypes (converted on load). Returns an
/// empty string, or the mismatch, naming the file and the tensor.
[[nodiscard]] std::string checkLoadable(const CheckpointTensor &stored,
                                        const TensorDesc &param);

/// Describes the tensors of `checkpoint` that are neither a parameter of the
/// model (`isParameter`) nor a known non-parameter. Loading skips them, as
/// from_pretrained does, and warns: a checkpoint holding more than the model
/// may be another model's (of more layers, say). Returns an empty string
/// where there are none, else a message naming the first, its file and how
/// many more there are.
[[nodiscard]] std::string describeUnusedTensors(
    const SafetensorsCheckpoint &checkpoint,
    const std::function<bool(const std::string &name)> &isParameter);

/// Parses a shard size as Hugging Face's max_shard_size does: a number and
/// a unit, B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers
/// of 1024), in any case: "100MB" is 100,000,000 bytes, "1.5GiB" 1.5 * 2^30.
/// Returns an empty string, or what is wrong.
[[nodiscard]] std::string parseByteSize(const std::string &text,
                                        int64_t &bytes);

/// Writes `tensors` into `directory` (created if missing) as
/// save_pretrained does: model.safetensors where their bytes fit in
/// `maxShardBytes`, else shard files of at most `maxShardBytes` bytes of
/// tensor data each (a larger tensor in a file of its own) and, last,
/// model.safetensors.index.json, its weight_map sorted. Each file is written
/// through writeSafetensors with `metadata`, asking `fill` for the bytes of
/// tensor i of `tensors`. Then the files of an earlier checkpoint in the
/// directory that would make it ambiguous are removed: an index or shards
/// beside a new model.safetensors, a model.safetensors or shards not
/// written now beside a new index. The files written are appended to
/// `written`.
[[nodiscard]] std::string writeShardedSafetensors(
    const std::string &directory, const std::vector<TensorDesc> &tensors,
    const TensorFill &fill, const std::map<std::string, std::string> &metadata,
    int64_t maxShardBytes, std::vector<std::string> &written);

} // namespace tprt

#endif // TPRT_SRC_SAFETENSORSCHECKPOINT_H
