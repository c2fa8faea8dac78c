//===- SafetensorsCheckpoint.cpp - checkpoints as Hugging Face ships them -===//
//
// This file implements opening a checkpoint of one or several safetensors
// files (resolving a directory, parsing and checking the index against its
// shards), the checks of a checkpoint against a model's parameters, and the
// sharded writer.
//
//===----------------------------------------------------------------------===//

#include "SafetensorsCheckpoint.h"
#include "DType.h"
#include "File.h"
#include "Json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

namespace tprt {

namespace fs = std::filesystem;
using nlohmann::json;

/// "1 tensor", "3 tensors".
static std::string countTensors(size_t count) {
  return std::to_string(count) + (count == 1 ? " tensor" : " tensors");
}

/// The names of the files in `directory` that look like checkpoints, for a
/// message about a directory without the files Hugging Face looks for.
static std::vector<std::string> checkpointLikeFiles(const fs::path &directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string extension = it->path().extension().string();
    if (extension == ".safetensors" || extension == ".json")
      names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The file `path` names as a checkpoint into `file`: `path` itself, or in
/// a directory the file Hugging Face loads from it, model.safetensors first.
static std::string resolveCheckpoint(const std::string &path,
                                     std::string &file) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    file = path;
    return {};
  }
  for (const char *name : {kSingleFileName, kIndexFileName}) {
    fs::path candidate = fs::path(path) / name;
    if (fs::exists(candidate, ec)) {
      file = candidate.string();
      return {};
    }
  }
  std::string error = path + ": the directory holds neither " +
                      kSingleFileName + " nor " + kIndexFileName;
  std::vector<std::string> present = checkpointLikeFiles(path);
  for (size_t i = 0; i < present.size(); ++i)
    error += (i ? ", " : " (it holds ") + present[i];
  return present.empty() ? error : error + ": name the checkpoint's file)";
}

std::string SafetensorsCheckpoint::open(
    const std::string &path,
    std::unique_ptr<SafetensorsCheckpoint> &checkpoint) {
  std::unique_ptr<SafetensorsCheckpoint> result(new SafetensorsCheckpoint);
  std::string error = resolveCheckpoint(path, result->checkpointPath);
  if (!error.empty())
    return error;
  if (fs::path(result->checkpointPath).extension() == ".json") {
    error = result->openIndex();
  } else {
    error = SafetensorsFile::open(result->checkpointPath,
                                  result->shards.emplace_back());
    if (error.empty())
      result->meta = result->shards.front()->metadata();
  }
  if (!error.empty())
    return error;
  for (const std::unique_ptr<SafetensorsFile> &file : result->shards)
    for (const StoredTensor &tensor : file->tensors())
      result->entries.push_back({&tensor, file.get()});
  // The index and its shards agree, so no name appears twice.
  std::sort(result->entries.begin(), result->entries.end(),
            [](const CheckpointTensor &a, const CheckpointTensor &b) {
              return a.tensor->name < b.tensor->name;
            });
  checkpoint = std::move(result);
  return {};
}

/// Reads the index, opens every shard file it names and checks that each
/// holds exactly the tensors the index maps to it.
std::string SafetensorsCheckpoint::openIndex() {
  const std::string &path = checkpointPath;
  std::string error = readFile(path, indexText);
  if (!error.empty())
    return error;
  std::string malformed = path + ": malformed index: ";
  json index;
  error = parseJson(indexText.data(), indexText.size(), index);
  if (!error.empty())
    return malformed + error;
  if (!index.is_object())
    return malformed + "expected a JSON object, got " + index.type_name();
  auto weightMap = index.find("weight_map");
  if (weightMap == index.end() || !weightMap->is_object())
    return malformed +
           "no \"weight_map\" object mapping each tensor to its file";
  if (weightMap->empty())
    return malformed + "its weight_map maps no tensor";
  auto metadata = index.find("metadata");
  if (metadata != index.end()) {
    if (!metadata->is_object())
      return malformed + "\"metadata\" must be an object";
    for (const auto &[key, value] : metadata->items())
      meta[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }

  // Each file's tensors, and each tensor's file, as paths from here.
  std::map<std::string, std::vector<std::string>> tensorsOf;
  std::map<std::string, std::string> fileOf;
  fs::path directory = fs::path(path).parent_path();
  for (const auto &[name, file] : weightMap->items()) {
    if (!file.is_string() || file.get<std::string>().empty())
      return malformed + "the weight_map entry of tensor '" + name +
             "' is not a file name";
    std::string shardPath =
        (directory / file.get<std::string>()).lexically_normal().string();
    tensorsOf[shardPath].push_back(name);
    fileOf[name] = shardPath;
  }
  std::string byIndex = "the index " + path;
  for (const auto &[shardPath, names] : tensorsOf) {
    std::unique_ptr<SafetensorsFile> &shard = shards.emplace_back();
    error = SafetensorsFile::open(shardPath, shard);
    if (!error.empty())
      return error + " (" + byIndex + " maps " + countTensors(names.size()) +
             " to it, '" + names.front() + "' first)";
    for (const std::string &name : names)
      if (!shard->find(name))
        return shardPath + ": no tensor named '" + name + "', which " +
               byIndex + " maps to this file";
    for (const StoredTensor &tensor : shard->tensors()) {
      auto mapped = fileOf.find(tensor.name);
      if (mapped == fileOf.end())
        return shardPath + ": tensor '" + tensor.name +
               "' is not in the weight_map of " + byIndex;
      if (mapped->second != shardPath)
        return shardPath + ": tensor '" + tensor.name + "' is mapped by " +
               byIndex + " to " + mapped->second + ", not to this file";
    }
  }
  return {};
}

uint64_t SafetensorsCheckpoint::size() const {
  uint64_t bytes = 0;
  for (const std::unique_ptr<SafetensorsFile> &file : shards)
    bytes += file->size();
  return bytes;
}

std::string SafetensorsCheckpoint::identity() const {
  std::string text = indexText;
  for (const std::unique_ptr<SafetensorsFile> &file : shards)
    text += file->header();
  return text;
}

const CheckpointTensor *
SafetensorsCheckpoint::find(const std::string &name) const {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), name,
      [](const CheckpointTensor &entry, const std::string &key) {
        return entry.tensor->name < key;
      });
  return it != entries.end() && it->tensor->name == name ? &*it : nullptr;
}

std::string
SafetensorsCheckpoint::lookup(const std::string &name,
                              const CheckpointTensor *&tensor) const {
  tensor = find(name);
  if (tensor)
    return {};
  if (!indexed()) {
    const StoredTensor *missing;
    return shards.front()->lookup(name, missing);
  }
  return checkpointPath + ": no tensor named '" + name +
         "' (the checkpoint holds " + countTensors(entries.size()) + " in " +
         std::to_string(shards.size()) + " files)";
}

/// Whether `text` ends with `suffix`.
static bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isKnownNonParameter(const std::string &name) {
  return name.rfind("optimizer.", 0) == 0 ||
         endsWith(name, ".rotary_emb.inv_freq");
}

std::string checkLoadable(const CheckpointTensor &stored,
                          const TensorDesc &param) {
  const StoredTensor &tensor = *stored.tensor;
  std::string what =
      stored.file->path() + ": tensor '" + tensor.name + "' has ";
  // Float dtypes convert, as a state dict loaded into a model does.
  if (tensor.dtype != param.dtype &&
      (floatDType(tensor.dtype) < 0 || floatDType(param.dtype) < 0))
    return what + "dtype " + tensor.dtype + " but the model expects " +
           param.dtype;
  if (tensor.shape != param.shape)
    return what + "shape " + formatShape(tensor.shape) +
           " but the model expects " + formatShape(param.shape);
  return {};
}

std::string describeUnusedTensors(
    const SafetensorsCheckpoint &checkpoint,
    const std::function<bool(const std::string &name)> &isParameter) {
  const CheckpointTensor *first = nullptr;
  size_t others = 0;
  for (const CheckpointTensor &entry : checkpoint.tensors()) {
    if (isParameter(entry.tensor->name) ||
        isKnownNonParameter(entry.tensor->name))
      continue;
    if (!first)
      first = &entry;
    else
      ++others;
  }
  if (!first)
    return {};
  std::string what = first->file->path() + ": tensor '" + first->tensor->name;
  if (others == 0)
    return what + "' is not a parameter of the model and is not loaded; is "
                  "the checkpoint another model's?";
  return what + "' and " + std::to_string(others) +
         " more of the checkpoint's tensors are not parameters of the model "
         "and are not loaded; is the checkpoint another model's?";
}

std::string parseByteSize(const std::string &text, int64_t &bytes) {
  static const std::pair<const char *, double> units[] = {
      {"kib", 1024.0},
      {"mib", 1048576.0},
      {"gib", 1073741824.0},
      {"tib", 1099511627776.0},
      {"kb", 1e3},
      {"mb", 1e6},
      {"gb", 1e9},
      {"tb", 1e12},
      {"b", 1.0}};
  std::string error = "'" + text +
                      "' is not a size such as 100MB, 5GB or 500MiB (KB, "
                      "MB, GB, TB count powers of 1000, KiB, MiB, GiB, TiB "
                      "powers of 1024)";
  std::string lower;
  for (char c : text)
    if (c != ' ')
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto &[unit, multiplier] : units) {
    if (!endsWith(lower, unit))
      continue;
    std::string number = lower.substr(0, lower.size() - std::strlen(unit));
    bool digits =
        number.find_first_of("0123456789") != std::string::npos &&
        number.find_first_not_of("0123456789.") == std::string::npos &&
        std::count(number.begin(), number.end(), '.') <= 1;
    if (!digits)
      return error;
    // Truncated to whole bytes, as Hugging Face's int(value * multiplier).
    double value =
        std::floor(std::strtod(number.c_str(), nullptr) * multiplier);
    if (value < 1)
      return "'" + text + "' is less than a byte";
    if (value >= 9.2e18)
      return "'" + text + "' is more bytes than a file may hold";
    bytes = static_cast<int64_t>(value);
    return {};
  }
  return error;
}

/// Whether `name` is a shard file name of save_pretrained's:
/// model-<i>-of-<n>.safetensors, each number of at least 5 digits.
static bool isShardFileName(const std::string &name) {
  // The end of the number at `at`, or npos where there is none.
  auto number = [&](size_t at) {
    size_t end = name.find_first_not_of("0123456789", at);
    return end != std::string::npos && end >= at + 5 ? end : std::string::npos;
  };
  const std::string prefix = "model-", middle = "-of-";
  if (name.rfind(prefix, 0) != 0)
    return false;
  size_t at = number(prefix.size());
  if (at == std::string::npos || name.compare(at, middle.size(), middle) != 0)
    return false;
  at = number(at + middle.size());
  return at != std::string::npos && name.substr(at) == ".safetensors";
}

/// The tensors of each shard, as indices into `tensors`, split as
/// split_torch_state_dict_into_shards does.
static std::vector<std::vector<size_t>>
splitIntoShards(const std::vector<TensorDesc> &tensors, int64_t maxShardBytes) {
  std::vector<std::vector<size_t>> shards;
  std::vector<size_t> current;
  int64_t currentBytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    // An invalid shape is the writer's to report.
    int64_t bytes = std::max<int64_t>(0, elementCount(tensors[i].shape)) *
                    dtypeBytes(tensors[i].dtype);
    if (bytes > maxShardBytes) {
      shards.push_back({i});
      continue;
    }
    if (currentBytes + bytes > maxShardBytes) {
      shards.push_back(std::move(current));
      current.clear();
      currentBytes = 0;
    }
    current.push_back(i);
    currentBytes += bytes;
  }
  if (!current.empty() || shards.empty())
    shards.push_back(std::move(current));
  return shards;
}

/// Removes the files of save_pretrained's names in `directory` that are not
/// in `keep`: what remains of an earlier checkpoint written there.
static std::string removeStaleFiles(const fs::path &directory,
                                    const std::set<std::string> &keep) {
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool checkpointFile = name == kSingleFileName || name == kIndexFileName ||
                          isShardFileName(name);
    if (checkpointFile && !keep.count(name) && !fs::remove(it->path(), ec))
      break;
  }
  if (ec)
    return directory.string() +
           ": cannot remove the files of the checkpoint written there "
           "before: " +
           ec.message();
  return {};
}

std::string writeShardedSafetensors(
    const std::string &directory, const std::vector<TensorDesc> &tensors,
    const TensorFill &fill, const std::map<std::string, std::string> &metadata,
    int64_t maxShardBytes, std::vector<std::string> &written) {
  std::error_code ec, unused;
  fs::create_directory(directory, ec);
  if (!fs::is_directory(directory, unused))
    return directory + ": cannot create the directory: " +
           (fs::exists(directory, unused) ? "a file of that name is in the way"
                                          : ec.message());
  std::set<std::string> names;
  for (const TensorDesc &tensor : tensors)
    if (!names.insert(tensor.name).second)
      return directory + ": tensor '" + tensor.name + "' is given twice";

  std::vector<std::vector<size_t>> split =
      splitIntoShards(tensors, maxShardBytes);
  std::set<std::string> keep;
  json index = {{"metadata", {{"total_size", 0}}},
                {"weight_map", json::object()}};
  int64_t totalBytes = 0;
  for (size_t s = 0; s < split.size(); ++s) {
    std::string name = kSingleFileName;
    if (split.size() > 1) {
      char shardName[64];
      std::snprintf(shardName, sizeof shardName,
                    "model-%05zu-of-%05zu.safetensors", s + 1, split.size());
      name = shardName;
    }
    std::vector<TensorDesc> shard;
    for (size_t i : split[s]) {
      shard.push_back(tensors[i]);
      index["weight_map"][tensors[i].name] = name;
      totalBytes +=
          elementCount(tensors[i].shape) * dtypeBytes(tensors[i].dtype);
    }
    std::string path = (fs::path(directory) / name).string();
    std::string error = writeSafetensors(
        path, shard,
        [&](size_t i, int64_t first, int64_t count, char *bytes) {
          fill(split[s][i], first, count, bytes);
        },
        metadata);
    if (!error.empty())
      return error;
    written.push_back(path);
    keep.insert(name);
  }
  if (split.size() > 1) {
    // Last: the index makes the shards a checkpoint.
    index["metadata"]["total_size"] = totalBytes;
    std::string text = index.dump(2) + "\n";
    std::string path = (fs::path(directory) / kIndexFileName).string();
    std::string error = writeFileAtomically(path, [&](FILE *out) {
      return std::fwrite(text.data(), 1, text.size(), out) == text.size();
    });
    if (!error.empty())
      return error;
    written.push_back(path);
    keep.insert(kIndexFileName);
  }
  return removeStaleFiles(directory, keep);
}

} // namespace tprt
