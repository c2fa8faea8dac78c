//===- Main.cpp - the main of every compiled model ------------------------===//
//
// This file implements `main` for the executables tp-compile produces: it is
// linked with the generated object, which defines `tp_model_manifest` and
// `tp_model_forward`. Each rank checks the job against the manifest's mesh,
// loads its slice of the weights (from a safetensors checkpoint, or random)
// and of the inputs (from .npy files, or random from a seed), runs the
// forward step (or benchmarks it), and rank 0 assembles and writes the
// global outputs. Inputs and outputs are always global tensors, so the same
// files serve a model compiled for any mesh. Before any of that, every rank
// opens its checkpoint and reads its input files, and the ranks check that
// they agree on the model, the weights, the inputs and the step count
// (Agreement.h): each rank has its own command line. The arena and the
// parameters live in the backend's device memory (Backend.h): host memory
// filled in place on cpu, GPU memory filled through pinned staging copies on
// cuda.
//
// A training step (a manifest with "training") runs --steps times on the
// same inputs, each step numbered for the optimizer (tprt_step_number), and
// rank 0 prints each step's loss, output 0. Its optimizer state starts at
// zero, but for the f32 master copies of 16-bit parameters, which start as
// their parameters widened; --save writes every parameter and state tensor
// in its global shape, with the step count, to one safetensors file
// (Checkpoint.h), which --resume continues from on any mesh.
//
// With --verify, rank 0 first runs the model unsharded (tp_unsharded_forward,
// which tp-compile compiles into the executable beside the rank's program)
// alone, on its own one-rank context, from the same weights and inputs read
// whole, and keeps its outputs; after the sharded run, every output is
// gathered to rank 0 and compared with them (Compare.h), and every rank
// exits non-zero when one is beyond the tolerance. A training step compares
// the loss of its first two steps: the first checks the forward pass, the
// second the gradients and the update of the first.
//
//===----------------------------------------------------------------------===//

#include "Agreement.h"
#include "Backend.h"
#include "Checkpoint.h"
#include "Compare.h"
#include "Context.h"
#include "DType.h"
#include "File.h"
#include "Manifest.h"
#include "Npy.h"
#include "Random.h"
#include "SafetensorsCheckpoint.h"
#include "Tensor.h"
#include "tp/Version.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sys/resource.h>

using namespace tprt;

namespace {
/// The command line.
struct Options {
  std::string weights;
  bool randomWeights = false;
  uint64_t weightSeed = 0;
  std::vector<std::string> inputs, outputs;
  uint64_t seed = 0;
  uint64_t benchSteps = 0;
  /// Training steps only: --steps (0 where not given: one step), --save and
  /// --resume.
  uint64_t steps = 0;
  std::string save, resume;
  /// --verify, and its tolerance for every output where --verify-rtol gives
  /// one (else by dtype).
  bool verify = false;
  std::optional<double> verifyRtol;
  bool report = false;
  bool help = false;
  bool version = false;

  /// The training steps to run (but for --bench).
  uint64_t stepCount() const { return steps ? steps : 1; }
};

/// The files a run reads, opened (the checkpoint) and read (the inputs)
/// before anything is done with them, so that the ranks compare them first.
struct Sources {
  /// The --weights or --resume checkpoint: one file or an index of shards.
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  /// The bytes of each --input file.
  std::vector<std::string> inputs;
};

/// A zeroed buffer of the backend's device memory.
class DeviceBuffer {
public:
  DeviceBuffer(tprt_context &ctx, int64_t bytes, const char *what)
      : ctx(ctx), data(backend().allocate(ctx, bytes, what)) {}
  ~DeviceBuffer() { backend().release(ctx, data); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;

  tprt_context &ctx;
  char *data;
};

/// The most bytes of the cuda backend's pinned staging buffer: what loading
/// holds in host memory beside the plan, with the reader's conversion
/// buffers (SafetensorsFile::readBlock).
const int64_t kStagingBytes = int64_t(16) << 20;

/// Fills device memory through host memory: in place where the backend's
/// memory is host memory, else a chunk at a time through one pinned staging
/// buffer of at most kStagingBytes, kept across regions, so that filling
/// the parameters needs no host memory of their size.
class Stager {
public:
  explicit Stager(tprt_context &ctx) : ctx(ctx) {}
  ~Stager() {
    if (buffer)
      backend().releaseHost(ctx, buffer);
  }
  Stager(const Stager &) = delete;
  Stager &operator=(const Stager &) = delete;

  /// Writes `count` elements of `elementBytes` bytes to device memory at
  /// `region`; `produce(host, first, n)` writes elements [first, first + n)
  /// to the host memory at `host`.
  void fill(char *region, int64_t count, int64_t elementBytes,
            const std::function<void(char *host, int64_t first, int64_t n)>
                &produce) {
    if (backend().hostMemory) {
      produce(region, 0, count);
      return;
    }
    int64_t chunk = std::max<int64_t>(1, kStagingBytes / elementBytes);
    for (int64_t first = 0; first < count; first += chunk) {
      int64_t n = std::min(chunk, count - first);
      char *host = reserve(n * elementBytes);
      produce(host, first, n);
      backend().copyToDevice(ctx, region + first * elementBytes, host,
                             n * elementBytes);
    }
  }

private:
  /// The staging buffer, grown to at least `bytes`.
  char *reserve(int64_t bytes) {
    if (bytes > capacity) {
      if (buffer)
        backend().releaseHost(ctx, buffer);
      buffer = backend().allocateHost(ctx, bytes);
      capacity = bytes;
    }
    return buffer;
  }

  tprt_context &ctx;
  char *buffer = nullptr;
  int64_t capacity = 0;
};

/// What loading the weights read, for --bench.
struct LoadStats {
  double bytes = 0, seconds = 0;
};
} // namespace

/// The `bytes` of device memory at `device`, readable on the host: the
/// memory itself where the backend's memory is host memory, else a copy of
/// it in `copy`.
static const char *onHost(tprt_context &ctx, const char *device, int64_t bytes,
                          std::vector<char> &copy) {
  if (backend().hostMemory)
    return device;
  copy.resize(bytes);
  backend().copyToHost(ctx, copy.data(), device, bytes);
  return copy.data();
}

/// The numpy dtypes an .npy file for a tensor of `dtype` may hold.
static std::string npyTypesFor(const std::string &dtype) {
  if (dtype == "I64")
    return "int64";
  if (dtype == "F16")
    return "float16 or float32";
  if (dtype == "BF16")
    return "float32 (rounded to bfloat16)";
  return dtype == "F32" ? "float32" : dtype;
}

/// The elements of a float `tensor` of `dtype`, as f32.
static std::vector<float> toFloats(const std::vector<char> &tensor,
                                   const std::string &dtype) {
  int32_t code = floatDType(dtype);
  std::vector<float> values(tensor.size() / floatDTypeBytes(code));
  widen(code, tensor.data(), values.data(), values.size());
  return values;
}

/// Joins the names of `tensors` for the help text.
static std::string names(const std::vector<ManifestTensor> &tensors) {
  std::string text;
  for (const ManifestTensor &tensor : tensors)
    text += (text.empty() ? "" : ", ") + tensor.name;
  return text;
}

/// The help of a training step's options.
static void printTrainingHelp(const Training &training) {
  std::printf(R"(
This executable is a training step (tp-compile --train): %s loss, %s with
lr %g and weight decay %g. Each step runs forward, backward and the update
on the same inputs, and rank 0 prints "step S: loss L". Its options:
  --steps N              run N steps (default 1)
  --resume PATH          instead of --weights: continue from a checkpoint
                         written by --save (parameters, optimizer state and
                         the step count), saved on any mesh; as --weights,
                         one file, an index of shards or their directory
  --save FILE            after the steps, write every parameter and the
                         optimizer state in its global shape, with the step
                         count, to FILE (safetensors), replacing it whole
  --bench N              time N steps instead (after a warm-up step; both
                         update the parameters and count as steps)
  --verify               compare the loss of the first two steps (of the
                         only one with --steps 1) with those of the
                         unsharded step: the first checks the forward pass,
                         the second the gradients and the update before it
Optimizer state starts at zero under --weights and --random-weights, but
for the f32 master copy of an f16 or bf16 parameter, which starts as the
parameter.
--output is for forward executables: a training step writes no outputs.
)",
              training.loss.c_str(), training.optimizer.c_str(), training.lr,
              training.weightDecay);
}

static void printHelp(const char *program, const Manifest &manifest) {
  std::string mesh = formatMesh(manifest.axisNames, manifest.axisSizes);
  std::printf(
      R"(usage: mpirun -np %lld %s (--weights PATH | --random-weights SEED%s) [options]

Runs the compiled model, one process per rank of its mesh %s.

options:
  --weights PATH         safetensors checkpoint with every parameter in its
                         global shape: one file, a Hugging Face index
                         (model.safetensors.index.json) of shard files, or
                         the directory holding model.safetensors or the
                         index; each rank reads only its slice, from the
                         files that hold it (f32, f16 and bf16 tensors are
                         converted to the model's dtype, rounded to nearest
                         even); tensors the model does not declare are
                         not loaded, with a warning but for Hugging Face's
                         *.rotary_emb.inv_freq buffers and optimizer.* state
  --random-weights SEED  deterministic random parameters instead
  --input FILE.npy       one per model input, in order (%s), global shapes;
                         float32 files may feed f16 and bf16 inputs
  --seed N               deterministic random inputs when no --input is given
                         (default 0)
  --output FILE.npy      one per model output, in order (%s); rank 0 writes
                         the global tensor (bf16 ones as float32)
  --bench N              one warm-up step, then N timed steps: time, GFLOP/s
                         and memory per rank
  --verify               check the sharded run against the model run
                         unsharded: rank 0 first runs the unsharded program
                         compiled in beside the sharded one (not with
                         tp-compile --no-verify) on the same weights and
                         inputs, reading them whole, so it needs the memory
                         of the whole model; then each output of the sharded
                         run is gathered and compared: rank 0 prints its max
                         absolute and max relative error, max|a - b| /
                         max|b| (b unsharded), and every rank exits non-zero
                         where one is beyond the tolerance: 1e-5 for f32,
                         5e-3 for f16, 2e-2 for bf16. Not with --bench
  --verify-rtol R        the tolerance of --verify for every output instead
  --report               print the compile-time per-rank report and exit
  --help                 print this help and exit
  --version              print the version of tp-mlir that compiled it

Options but --input and --output are given once. Every rank must be given
the same model, weights, inputs and --bench (and --steps, --save, --resume):
the ranks check this first.
)",
      static_cast<long long>(manifest.rankCount()), program,
      manifest.training ? " | --resume PATH" : "", mesh.c_str(),
      names(manifest.inputs).c_str(), names(manifest.outputs).c_str());
  if (manifest.training)
    printTrainingHelp(*manifest.training);
}

/// `text` as the unsigned value of `option`.
static uint64_t parseNumber(const std::string &option,
                            const std::string &text) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || text[0] == '-')
    fail(nullptr,
         option + " expects a non-negative integer, got '" + text + "'");
  return value;
}

/// `text` as the tolerance of `option`: a finite number >= 0.
static double parseTolerance(const std::string &option,
                             const std::string &text) {
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || errno || !std::isfinite(value) || value < 0)
    fail(nullptr, option + " expects a finite number >= 0, got '" + text + "'");
  return value;
}

static Options parseOptions(int argc, char **argv) {
  Options options;
  // The value of each option given so far but --input and --output, which
  // are given once per model input and output: given twice, one value would
  // silently win.
  std::map<std::string, std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string option = argv[i], value;
    size_t equals = option.find('=');
    bool inlineValue =
        option.rfind("--", 0) == 0 && equals != std::string::npos;
    if (inlineValue) {
      value = option.substr(equals + 1);
      option.resize(equals);
    }
    if (option == "--help" || option == "-h") {
      options.help = true;
      continue;
    }
    if (option == "--version") {
      options.version = true;
      continue;
    }
    if (option == "--report") {
      options.report = true;
      continue;
    }
    if (option == "--verify") {
      options.verify = true;
      continue;
    }
    static const char *const valued[] = {
        "--weights", "--random-weights", "--input", "--seed",
        "--output",  "--bench",          "--steps", "--save",
        "--resume",  "--verify-rtol"};
    if (std::find_if(std::begin(valued), std::end(valued), [&](const char *o) {
          return option == o;
        }) == std::end(valued))
      fail(nullptr, "unknown option '" + option + "' (see --help)");
    if (!inlineValue) {
      if (i + 1 == argc)
        fail(nullptr, option + " needs a value");
      value = argv[++i];
    }
    if (value.empty())
      fail(nullptr, option + " needs a value");
    if (option != "--input" && option != "--output") {
      auto [previous, first] = given.emplace(option, value);
      if (!first)
        fail(nullptr, option + " is given twice ('" + previous->second +
                          "' and '" + value + "'); give it once");
    }
    if (option == "--weights")
      options.weights = value;
    else if (option == "--random-weights") {
      options.randomWeights = true;
      options.weightSeed = parseNumber(option, value);
    } else if (option == "--input")
      options.inputs.push_back(value);
    else if (option == "--seed")
      options.seed = parseNumber(option, value);
    else if (option == "--output")
      options.outputs.push_back(value);
    else if (option == "--bench")
      options.benchSteps = parseNumber(option, value);
    else if (option == "--steps") {
      options.steps = parseNumber(option, value);
      if (options.steps == 0)
        fail(nullptr, "--steps expects at least 1 step, got '" + value + "'");
    } else if (option == "--save")
      options.save = value;
    else if (option == "--verify-rtol")
      options.verifyRtol = parseTolerance(option, value);
    else
      options.resume = value;
  }
  return options;
}

/// Checks the options that depend on the model.
static void checkOptions(const tprt_context &ctx, const Options &options,
                         const Manifest &manifest) {
  if (!manifest.training) {
    const std::pair<const char *, bool> trainingOptions[] = {
        {"--steps", options.steps != 0},
        {"--save", !options.save.empty()},
        {"--resume", !options.resume.empty()}};
    for (const auto &[option, given] : trainingOptions)
      if (given)
        fail(&ctx, std::string(option) +
                       " needs an executable compiled with tp-compile --train");
    if (options.weights.empty() == !options.randomWeights)
      fail(&ctx,
           "give exactly one of --weights FILE and --random-weights SEED");
  } else {
    if (int(!options.weights.empty()) + int(options.randomWeights) +
            int(!options.resume.empty()) !=
        1)
      fail(&ctx, "give exactly one of --weights FILE, --random-weights SEED "
                 "and --resume FILE");
    if (!options.outputs.empty())
      fail(&ctx, "--output is for forward executables: a training step "
                 "prints the loss of each step, and --save FILE writes its "
                 "parameters");
    if (options.steps && options.benchSteps)
      fail(&ctx, "--steps and --bench both say how many steps to run; give "
                 "one");
  }
  if (!options.inputs.empty() &&
      options.inputs.size() != manifest.inputs.size())
    fail(&ctx, "the model has " + std::to_string(manifest.inputs.size()) +
                   " inputs (" + names(manifest.inputs) + ") but " +
                   std::to_string(options.inputs.size()) +
                   " --input files were given");
  if (!options.outputs.empty() &&
      options.outputs.size() != manifest.outputs.size())
    fail(&ctx, "the model has " + std::to_string(manifest.outputs.size()) +
                   " outputs (" + names(manifest.outputs) + ") but " +
                   std::to_string(options.outputs.size()) +
                   " --output files were given");
  if (options.verifyRtol && !options.verify)
    fail(&ctx, "--verify-rtol is the tolerance of --verify; give --verify "
               "too");
  if (options.verify && options.benchSteps)
    fail(&ctx, "--verify and --bench go in separate runs: the unsharded run "
               "holds the whole model on rank 0, which --bench would count");
  if (options.verify && manifest.rankCount() > 1 && !tp_unsharded_manifest)
    fail(&ctx, "--verify needs the unsharded program, which this executable "
               "was compiled without (tp-compile --no-verify); compile the "
               "model again without --no-verify");
}

/// Opens the checkpoint and reads the input files the options name.
static Sources openSources(const tprt_context &ctx, const Options &options) {
  Sources sources;
  if (!options.weights.empty()) {
    std::string error =
        SafetensorsCheckpoint::open(options.weights, sources.checkpoint);
    if (!error.empty())
      fail(&ctx, "cannot load weights: " + error);
  }
  if (!options.resume.empty()) {
    std::string error =
        SafetensorsCheckpoint::open(options.resume, sources.checkpoint);
    if (!error.empty())
      fail(&ctx, "cannot resume: " + error);
  }
  for (const std::string &path : options.inputs) {
    std::string error = readFile(path, sources.inputs.emplace_back());
    if (!error.empty())
      fail(&ctx, "cannot load input: " + error);
  }
  return sources;
}

/// Fails on every rank unless all run the same model on the same weights and
/// inputs, for as many steps: the model first, since the checks after it
/// depend on it.
static void checkRanksRunOneJob(const tprt_context &ctx, const char *program,
                                const Manifest &manifest,
                                const Options &options,
                                const Sources &sources) {
  size_t manifestBytes = std::strlen(tp_model_manifest);
  checkRanksAgree(
      ctx, fileFingerprint("executable '" + std::string(program) + "'",
                           manifestBytes, {tp_model_manifest, manifestBytes}));
  if (const SafetensorsCheckpoint *checkpoint = sources.checkpoint.get()) {
    size_t files = checkpoint->files().size();
    std::string bytes =
        std::to_string(checkpoint->size()) + " bytes" +
        (checkpoint->indexed() ? " in " + std::to_string(files) + " files"
                               : std::string());
    checkRanksAgree(ctx, fileFingerprint("checkpoint '" + checkpoint->path() +
                                             "' (" + bytes + ")",
                                         checkpoint->size(),
                                         checkpoint->identity()));
  } else
    checkRanksAgree(ctx,
                    settingFingerprint("--random-weights " +
                                       std::to_string(options.weightSeed)));
  for (size_t i = 0; i < manifest.inputs.size(); ++i) {
    std::string input = "input '" + manifest.inputs[i].name + "' ";
    if (sources.inputs.empty()) {
      checkRanksAgree(ctx, settingFingerprint(input + "of --seed " +
                                              std::to_string(options.seed)));
      continue;
    }
    const std::string &contents = sources.inputs[i];
    checkRanksAgree(
        ctx, fileFingerprint(input + "from '" + options.inputs[i] + "' (" +
                                 std::to_string(contents.size()) + " bytes)",
                             contents.size(), contents));
  }
  checkRanksAgree(ctx, settingFingerprint(
                           options.benchSteps
                               ? "--bench " + std::to_string(options.benchSteps)
                               : std::string("no --bench")));
  // Rank 0 compares for all: the others only take part in the gathers.
  std::string verify = options.verify ? "--verify" : "no --verify";
  if (options.verifyRtol) {
    char rtol[40];
    std::snprintf(rtol, sizeof rtol, " --verify-rtol %.17g",
                  *options.verifyRtol);
    verify += rtol;
  }
  checkRanksAgree(ctx, settingFingerprint(verify));
  if (!manifest.training)
    return;
  // The checkpoint is compared above; whether it is resumed from is not.
  checkRanksAgree(ctx, settingFingerprint(options.resume.empty()
                                              ? std::string("no --resume")
                                              : "--resume"));
  checkRanksAgree(ctx, settingFingerprint("--steps " +
                                          std::to_string(options.stepCount())));
  checkRanksAgree(ctx,
                  settingFingerprint(options.save.empty()
                                         ? std::string("no --save")
                                         : "--save '" + options.save + "'"));
}

/// Warns, on rank 0, of the tensors of `checkpoint` that are not parameters
/// of the model and are not loaded. Once per job: both the sharded and
/// --verify's unsharded run load from the checkpoint.
static void warnOfUnusedTensors(const tprt_context &ctx,
                                const Manifest &manifest,
                                const SafetensorsCheckpoint &checkpoint) {
  std::set<std::string> names;
  for (const ManifestTensor &param : manifest.parameters)
    names.insert(param.name);
  std::string unused = describeUnusedTensors(
      checkpoint, [&](const std::string &name) { return names.count(name); });
  if (!unused.empty() && ctx.rank == 0)
    std::fprintf(stderr, "tprt: warning: %s\n", unused.c_str());
}

/// Reads this rank's slice of every parameter from `checkpoint` into
/// `params`: the optimizer state too with `withState` (--resume); otherwise
/// it is left as allocated, zero. Each slice is read from the file that
/// holds its tensor, straight into the parameters where they are host
/// memory and the dtypes agree, so that loading needs no memory beyond the
/// plan. Returns what was read.
static LoadStats loadWeights(tprt_context &ctx, const Manifest &manifest,
                             const SafetensorsCheckpoint &checkpoint,
                             char *params, bool withState) {
  double begin = MPI_Wtime();
  LoadStats stats;
  Stager stager(ctx);
  for (const ManifestTensor &param : manifest.parameters) {
    if (param.state && !withState)
      continue;
    const CheckpointTensor *stored;
    std::string error = checkpoint.lookup(param.name, stored);
    if (!error.empty())
      fail(&ctx, error + ", but the model needs it");
    error = checkLoadable(*stored, {param.name, param.dtype, param.shape});
    if (!error.empty())
      fail(&ctx, error);
    std::vector<int64_t> start = blockStart(manifest, param, ctx.coordinates);
    int64_t count = elementCount(param.localShape);
    stager.fill(params + param.offset, count, dtypeBytes(param.dtype),
                [&](char *host, int64_t first, int64_t n) {
                  std::string error = stored->file->readBlock(
                      *stored->tensor, start, param.localShape, first, n,
                      param.dtype, host);
                  if (!error.empty())
                    fail(&ctx, error);
                });
    stats.bytes += double(count) * double(dtypeBytes(stored->tensor->dtype));
  }
  stats.seconds = MPI_Wtime() - begin;
  return stats;
}

/// Fills this rank's slice of every parameter but the optimizer state (left
/// as allocated, zero) with random values.
static void randomWeights(tprt_context &ctx, const Manifest &manifest,
                          uint64_t seed, char *params) {
  Stager stager(ctx);
  for (const ManifestTensor &param : manifest.parameters) {
    if (param.state)
      continue;
    std::vector<int64_t> start = blockStart(manifest, param, ctx.coordinates);
    int32_t dtype = floatDType(param.dtype);
    stager.fill(
        params + param.offset, elementCount(param.localShape),
        floatDTypeBytes(dtype), [&](char *host, int64_t first, int64_t n) {
          fillRandomBlockFloats(tensorSeed(seed, param.name), param.shape,
                                start, param.localShape, first, n,
                                parameterScale(param.shape), dtype, host);
        });
  }
}

/// Sets every master copy (an optimizer state tensor with master_of) to its
/// parameter's block widened to f32, as a training run from weights alone
/// (--weights, --random-weights) starts it. Where the parameters are device
/// memory, the blocks go through the host.
static void initializeMasterCopies(tprt_context &ctx, const Manifest &manifest,
                                   char *params) {
  Stager stager(ctx);
  std::vector<char> copy;
  for (const ManifestTensor &master : manifest.parameters) {
    if (master.masterOf.empty())
      continue;
    // The manifest's reader checked that it exists, 16-bit, laid out alike.
    const ManifestTensor &param = *manifest.findParameter(master.masterOf);
    int32_t dtype = floatDType(param.dtype);
    int64_t paramBytes = floatDTypeBytes(dtype);
    stager.fill(params + master.offset, elementCount(master.localShape),
                sizeof(float), [&](char *host, int64_t first, int64_t n) {
                  const char *block =
                      onHost(ctx, params + param.offset + first * paramBytes,
                             n * paramBytes, copy);
                  widen(dtype, block, reinterpret_cast<float *>(host), n);
                });
  }
}

/// Fills this rank's parameters, as `manifest` lays them out, from the
/// checkpoint or the seed the options name, and sets the master copies of
/// 16-bit parameters unless resumed. Returns what was read.
static LoadStats loadParameters(tprt_context &ctx, const Manifest &manifest,
                                const Options &options, const Sources &sources,
                                char *params) {
  LoadStats load;
  if (options.randomWeights)
    randomWeights(ctx, manifest, options.weightSeed, params);
  else
    load = loadWeights(ctx, manifest, *sources.checkpoint, params,
                       /*withState=*/!options.resume.empty());
  // A checkpoint resumed from holds the master copies.
  if (options.resume.empty())
    initializeMasterCopies(ctx, manifest, params);
  return load;
}

/// This rank's block of every input, from the .npy files or the seed.
static std::vector<std::vector<char>> loadInputs(const tprt_context &ctx,
                                                 const Manifest &manifest,
                                                 const Options &options,
                                                 const Sources &sources) {
  std::vector<std::vector<char>> blocks;
  for (size_t i = 0; i < manifest.inputs.size(); ++i) {
    const ManifestTensor &input = manifest.inputs[i];
    std::vector<char> &block = blocks.emplace_back(input.localBytes());
    std::vector<int64_t> start = blockStart(manifest, input, ctx.coordinates);
    if (options.inputs.empty()) {
      uint64_t seed = tensorSeed(options.seed, input.name);
      if (input.dtype == "I64")
        fillRandomIntegers(seed, input.shape, start, input.localShape,
                           input.idBound,
                           reinterpret_cast<int64_t *>(block.data()));
      else
        fillRandomFloats(seed, input.shape, start, input.localShape, 1.0f,
                         floatDType(input.dtype), block.data());
      continue;
    }
    const std::string &path = options.inputs[i];
    NpyArray array;
    std::string error = parseNpy(path, sources.inputs[i], array);
    if (!error.empty())
      fail(&ctx, error);
    std::string what = path + ": input '" + input.name + "' ";
    // numpy has no bf16: float32 files feed 16-bit inputs, rounded here.
    int32_t dtype = floatDType(input.dtype);
    bool rounded = array.dtype == "F32" && floatDTypeBytes(dtype) == 2;
    if (array.dtype != input.dtype && !rounded)
      fail(&ctx, what + "must be " + npyTypesFor(input.dtype) +
                     " but the file holds " + npyTypesFor(array.dtype));
    if (array.shape != input.shape)
      fail(&ctx, what + "has shape " + formatShape(array.shape) +
                     " but the model expects " + formatShape(input.shape));
    if (!rounded) {
      extractBlock(array.data.data(), array.shape, dtypeBytes(input.dtype),
                   start, input.localShape, block.data());
      continue;
    }
    std::vector<float> values(elementCount(input.localShape));
    extractBlock(array.data.data(), array.shape, sizeof(float), start,
                 input.localShape, values.data());
    narrow(dtype, values.data(), block.data(), values.size());
  }
  return blocks;
}

/// `bytes` in MiB for the benchmark's memory lines.
static double mebibytes(double bytes) { return bytes / (1024.0 * 1024.0); }

/// A compiled step: tp_model_forward, or tp_unsharded_forward.
using StepFunction = void (*)(tprt_context *ctx, char *arena, char *params);

/// Runs one step of the model: places the inputs, numbers the step for the
/// optimizer (counting on from the previous one) and runs it, without
/// waiting for it to finish.
class Stepper {
public:
  Stepper(tprt_context &ctx, const Manifest &manifest, StepFunction forward,
          const std::vector<std::vector<char>> &inputs, char *arena,
          char *params, int64_t firstStep)
      : ctx(ctx), manifest(manifest), forward(forward), inputs(inputs),
        arena(arena), params(params), next(firstStep) {}

  /// Places the inputs: the planner may reuse their memory within a step.
  void placeInputs() {
    for (size_t i = 0; i < inputs.size(); ++i)
      backend().copyToDevice(ctx, arena + manifest.inputs[i].offset,
                             inputs[i].data(), inputs[i].size());
  }
  /// Runs the step, once the inputs are placed.
  void run() {
    ctx.step = next++;
    forward(&ctx, arena, params);
  }
  void operator()() {
    placeInputs();
    run();
  }
  /// The number of the last step run (of the one before the first, before
  /// any).
  int64_t lastStep() const { return next - 1; }

private:
  tprt_context &ctx;
  const Manifest &manifest;
  StepFunction forward;
  const std::vector<std::vector<char>> &inputs;
  char *arena, *params;
  int64_t next;
};

/// The planned memory of a rank's training step, a row for each kind of
/// tensor, as the seed's table counts them (every rank plans the same).
static void printTrainingMemory(const Manifest &manifest) {
  int64_t stateBytes = 0;
  for (const ManifestTensor &param : manifest.parameters)
    if (param.state)
      stateBytes += param.localBytes();
  int64_t gradientBytes = manifest.peakGradientBytes;
  int64_t savedBytes = manifest.peakSavedActivationBytes;
  const std::pair<const char *, int64_t> rows[] = {
      {"parameters", manifest.paramBytes - stateBytes},
      {"optimizer state", stateBytes},
      {"gradients (at the arena's peak)", gradientBytes},
      {"activations kept for the backward (at the peak)", savedBytes},
      {"other arena (backward temporaries, workspace, gaps)",
       manifest.arenaBytes - gradientBytes - savedBytes},
      {"total planned", manifest.paramBytes + manifest.arenaBytes}};
  std::printf("memory per rank, planned:\n");
  for (const auto &[what, bytes] : rows)
    std::printf("  %-52s %10.2f MiB\n", what, mebibytes(double(bytes)));
}

/// The most memory the process has held so far (its peak resident set).
static double peakRssBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  // ru_maxrss is in KiB on Linux.
  return double(usage.ru_maxrss) * 1024.0;
}

/// Runs a warm-up step and `steps` timed steps, and prints the time per step,
/// the throughput, and every rank's memory and what it loaded (`load`) on
/// rank 0: its memory planned, and its peak resident set, whole and above
/// `processBytes` (the process before the model).
static void bench(tprt_context &ctx, const Manifest &manifest, uint64_t steps,
                  const LoadStats &load, Stepper &step, double processBytes) {
  step();
  backend().synchronize(ctx);
  double total = 0, best = 0;
  for (uint64_t s = 0; s < steps; ++s) {
    step.placeInputs();
    MPI_Barrier(MPI_COMM_WORLD);
    double begin = MPI_Wtime();
    step.run();
    backend().synchronize(ctx);
    MPI_Barrier(MPI_COMM_WORLD);
    double seconds = MPI_Wtime() - begin;
    total += seconds;
    best = s == 0 ? seconds : std::min(best, seconds);
  }
  double memory[6] = {double(manifest.arenaBytes),
                      double(manifest.paramBytes),
                      peakRssBytes(),
                      processBytes,
                      load.bytes,
                      load.seconds};
  std::vector<double> all(6 * ctx.size);
  MPI_Gather(memory, 6, MPI_DOUBLE, all.data(), 6, MPI_DOUBLE, 0,
             MPI_COMM_WORLD);
  if (ctx.rank != 0)
    return;
  double mean = steps ? total / steps : 0;
  double flops = manifest.flops * ctx.size;
  std::printf("bench: %llu steps, mean %.3f ms, min %.3f ms, %.2f GFLOP/s "
              "(%.4g GFLOP per step over %d ranks)\n",
              static_cast<unsigned long long>(steps), mean * 1e3, best * 1e3,
              mean > 0 ? flops / mean * 1e-9 : 0.0, flops * 1e-9, ctx.size);
  if (manifest.training)
    printTrainingMemory(manifest);
  for (int r = 0; r < ctx.size; ++r) {
    const double *m = &all[6 * r];
    std::printf("memory: rank %d: arena %.2f MiB + params %.2f MiB = %.2f MiB "
                "planned, max RSS %.2f MiB = %.2f MiB before the model (MPI, "
                "libraries) + %.2f MiB",
                r, mebibytes(m[0]), mebibytes(m[1]), mebibytes(m[0] + m[1]),
                mebibytes(m[2]), mebibytes(m[3]), mebibytes(m[2] - m[3]));
    if (m[4] > 0)
      std::printf(", loaded %.2f MiB in %.1f ms (%.2f GB/s)", mebibytes(m[4]),
                  m[5] * 1e3, m[5] > 0 ? m[4] / m[5] * 1e-9 : 0.0);
    std::printf("\n");
  }
}

/// The sum of the elements of a global `tensor` of `dtype`.
static double checksum(const std::vector<char> &tensor,
                       const std::string &dtype) {
  double sum = 0;
  if (dtype == "I64") {
    const auto *values = reinterpret_cast<const int64_t *>(tensor.data());
    for (size_t i = 0; i < tensor.size() / sizeof(int64_t); ++i)
      sum += double(values[i]);
    return sum;
  }
  for (float value : toFloats(tensor, dtype))
    sum += value;
  return sum;
}

/// The outputs of one step, global.
using StepOutputs = std::vector<std::vector<char>>;

/// Gathers every output's blocks (copied to the host first where the arena
/// is device memory) on rank 0, which assembles the global tensors (one copy
/// of replicated blocks); empty on the other ranks. Collective.
static StepOutputs gatherOutputs(tprt_context &ctx, const Manifest &manifest,
                                 const char *arena) {
  StepOutputs outputs;
  for (const ManifestTensor &output : manifest.outputs) {
    int64_t localBytes = output.localBytes();
    if (localBytes > INT_MAX)
      fail(&ctx, "output '" + output.name + "' has a block of " +
                     std::to_string(localBytes) +
                     " bytes, beyond what MPI_Gather moves");
    std::vector<char> copy;
    const char *block = onHost(ctx, arena + output.offset, localBytes, copy);
    std::vector<char> blocks(ctx.rank == 0 ? localBytes * ctx.size : 0);
    MPI_Gather(block, static_cast<int>(localBytes), MPI_BYTE, blocks.data(),
               static_cast<int>(localBytes), MPI_BYTE, 0, MPI_COMM_WORLD);
    if (ctx.rank != 0)
      continue;
    int64_t elementBytes = dtypeBytes(output.dtype);
    std::vector<char> &global =
        outputs.emplace_back(elementCount(output.shape) * elementBytes);
    for (int r = 0; r < ctx.size; ++r) {
      std::vector<int64_t> coordinates = meshCoordinates(ctx, r);
      if (holdsFirstCopy(output, coordinates))
        insertBlock(blocks.data() + r * localBytes, output.shape, elementBytes,
                    blockStart(manifest, output, coordinates),
                    output.localShape, global.data());
    }
  }
  return outputs;
}

/// Prints the checksum of every global output (`outputs`, from
/// gatherOutputs) on rank 0, which writes them where --output says.
static void writeOutputs(tprt_context &ctx, const Manifest &manifest,
                         const Options &options, const StepOutputs &outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const ManifestTensor &output = manifest.outputs[i];
    const std::vector<char> &global = outputs[i];
    std::printf("checksum: %.6e\n", checksum(global, output.dtype));
    if (options.outputs.empty())
      continue;
    // numpy has no bf16: those outputs are written as float32, exactly.
    std::string fileDType = output.dtype;
    const void *data = global.data();
    std::vector<float> widened;
    if (output.dtype == "BF16") {
      widened = toFloats(global, output.dtype);
      data = widened.data();
      fileDType = "F32";
    }
    std::string error =
        writeNpy(options.outputs[i], fileDType, output.shape, data);
    if (!error.empty())
      fail(&ctx, error);
  }
  std::fflush(stdout);
}

/// The steps --verify compares: the one forward step; the first two steps
/// of a training run (fewer where it runs fewer), since the loss of the
/// second is the first to depend on gradients; none on a one-rank mesh,
/// whose program is the unsharded one.
static uint64_t verifiedSteps(const Manifest &manifest,
                              const Options &options) {
  if (!options.verify || manifest.rankCount() == 1)
    return 0;
  return manifest.training ? std::min<uint64_t>(options.stepCount(), 2) : 1;
}

/// Fails unless the unsharded program's manifest names the parameters,
/// inputs and outputs of the sharded one, with their dtypes and global
/// shapes: both come from one model, so only a damaged executable fails.
static void checkSameModel(const tprt_context &ctx, const Manifest &sharded,
                           const Manifest &unsharded) {
  auto same = [](const ManifestTensor &a, const ManifestTensor &b) {
    return a.name == b.name && a.dtype == b.dtype && a.shape == b.shape &&
           a.state == b.state;
  };
  bool matches =
      sharded.parameters.size() == unsharded.parameters.size() &&
      std::equal(sharded.inputs.begin(), sharded.inputs.end(),
                 unsharded.inputs.begin(), unsharded.inputs.end(), same) &&
      std::equal(sharded.outputs.begin(), sharded.outputs.end(),
                 unsharded.outputs.begin(), unsharded.outputs.end(), same) &&
      sharded.training.has_value() == unsharded.training.has_value();
  for (const ManifestTensor &param : sharded.parameters) {
    const ManifestTensor *other = unsharded.findParameter(param.name);
    matches = matches && other && same(param, *other);
  }
  if (!matches)
    fail(&ctx, "the executable's unsharded program (for --verify) does not "
               "compute the model of its sharded one; compile it again");
}

/// Runs the first `steps` steps of the unsharded program on rank 0 alone,
/// on a context of its own, from the weights and inputs of the sharded run
/// read whole, counting steps from `firstStep`; returns each step's outputs
/// (empty on the other ranks). Its memory, the whole model's, is freed on
/// return, before the sharded run allocates its own.
static std::vector<StepOutputs>
runUnsharded(const tprt_context &world, const Manifest &sharded,
             const Options &options, const Sources &sources, uint64_t steps,
             int64_t firstStep) {
  if (world.rank != 0 || steps == 0)
    return std::vector<StepOutputs>(steps);
  std::vector<StepOutputs> outputs;
  Manifest manifest;
  std::string error = parseManifest(tp_unsharded_manifest, manifest);
  if (!error.empty())
    fail(&world, "the unsharded program (for --verify): " + error);
  checkSameModel(world, sharded, manifest);
  std::unique_ptr<tprt_context> ctx =
      createLocalContext(world, manifest.axisNames);
  backend().initialize(*ctx);
  DeviceBuffer params(*ctx, manifest.paramBytes,
                      "the unsharded run's parameters");
  DeviceBuffer arena(*ctx, manifest.arenaBytes,
                     "the unsharded run's activation arena");
  loadParameters(*ctx, manifest, options, sources, params.data);
  std::vector<std::vector<char>> inputs =
      loadInputs(*ctx, manifest, options, sources);
  Stepper step(*ctx, manifest, tp_unsharded_forward, inputs, arena.data,
               params.data, firstStep);
  for (uint64_t s = 0; s < steps; ++s) {
    step();
    // On one rank, each output's block is the whole tensor.
    StepOutputs &stepOutputs = outputs.emplace_back();
    for (const ManifestTensor &output : manifest.outputs)
      backend().copyToHost(*ctx,
                           stepOutputs.emplace_back(output.localBytes()).data(),
                           arena.data + output.offset, output.localBytes());
  }
  return outputs;
}

/// `dtype` as models write it: "f32", "bf16".
static std::string lowerCase(std::string dtype) {
  for (char &c : dtype)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return dtype;
}

/// The multi-index of element `flat` of a row-major tensor of `shape`.
static std::vector<int64_t> unflatten(int64_t flat,
                                      const std::vector<int64_t> &shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

/// Compares the global outputs of a sharded step (`actual`, from
/// gatherOutputs) with the unsharded step's (`expected`) on rank 0, which
/// prints a line per output, prefixed by `step` ("step 1: " in a training
/// run), and an error for each beyond its tolerance. Returns, on every rank,
/// whether all are within it. Collective.
static bool verifyOutputs(const tprt_context &ctx, const Manifest &manifest,
                          const Options &options, const StepOutputs &actual,
                          const StepOutputs &expected,
                          const std::string &step) {
  int within = 1;
  for (size_t i = 0; ctx.rank == 0 && i < actual.size(); ++i) {
    const ManifestTensor &output = manifest.outputs[i];
    std::vector<float> a = toFloats(actual[i], output.dtype);
    std::vector<float> b = toFloats(expected[i], output.dtype);
    Difference difference = compareTensors(a, b);
    double tolerance =
        options.verifyRtol.value_or(verifyTolerance(output.dtype));
    bool ok = difference.maxRel <= tolerance;
    std::string what = "output " + std::to_string(i) + " " +
                       formatShape(output.shape) + " " +
                       lowerCase(output.dtype);
    std::printf("verify: %s%s: max abs %.2e, max rel %.2e (tolerance %g "
                "rel): %s\n",
                step.c_str(), what.c_str(), difference.maxAbs,
                difference.maxRel, tolerance, ok ? "ok" : "FAILED");
    std::fflush(stdout);
    if (ok)
      continue;
    within = 0;
    std::fprintf(stderr,
                 "tprt: error: --verify: %s%s differs from the unsharded "
                 "run's by %.2e of its largest magnitude, beyond the "
                 "tolerance %g; the largest difference is at %s: %.8g "
                 "sharded, %.8g unsharded\n",
                 step.c_str(), what.c_str(), difference.maxRel, tolerance,
                 formatShape(unflatten(difference.worst, output.shape)).c_str(),
                 a[difference.worst], b[difference.worst]);
    std::fflush(stderr);
  }
  MPI_Bcast(&within, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return within;
}

/// Waits for the step, then prints its loss (output 0) on rank 0.
static void printLoss(tprt_context &ctx, const Manifest &manifest,
                      const char *arena, int64_t step) {
  backend().synchronize(ctx);
  if (ctx.rank != 0)
    return;
  const ManifestTensor &loss = manifest.outputs.front();
  std::vector<char> value(loss.localBytes());
  backend().copyToHost(ctx, value.data(), arena + loss.offset, value.size());
  std::printf("step %lld: loss %.6e\n", static_cast<long long>(step),
              toFloats(value, loss.dtype)[0]);
  std::fflush(stdout);
}

/// The most bytes of one MPI message: counts are ints.
static const int64_t kMessageBytes = int64_t(1) << 30;
/// The tag of the messages that bring checkpoint blocks to rank 0.
static const int kCheckpointTag = 0x7470;

static void sendBytes(const char *data, int64_t bytes, int to) {
  for (int64_t first = 0; first < bytes; first += kMessageBytes)
    MPI_Send(data + first,
             static_cast<int>(std::min(kMessageBytes, bytes - first)), MPI_BYTE,
             to, kCheckpointTag, MPI_COMM_WORLD);
}

static void receiveBytes(char *data, int64_t bytes, int from) {
  for (int64_t first = 0; first < bytes; first += kMessageBytes)
    MPI_Recv(data + first,
             static_cast<int>(std::min(kMessageBytes, bytes - first)), MPI_BYTE,
             from, kCheckpointTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/// Writes the checkpoint of --save: every parameter (and optimizer state
/// tensor) in its global shape and the number of steps done, `steps`, to
/// `path`, through rank 0, one tensor at a time. For each tensor in turn
/// the ranks that hold the first copy of a block send it to rank 0, which
/// assembles the tensor and streams it into the file; the file is written
/// under a temporary name and renamed when complete (writeFileAtomically).
/// Collective: every rank fails if the write fails.
static void saveCheckpoint(tprt_context &ctx, const Manifest &manifest,
                           const std::string &path, const char *params,
                           int64_t steps) {
  backend().synchronize(ctx);
  std::vector<char> block, received, global;
  // This rank's block of `param`, in host memory.
  auto localBlock = [&](const ManifestTensor &param) {
    return onHost(ctx, params + param.offset, param.localBytes(), block);
  };
  // Brings parameter i together in `global` on rank 0. Collective, and
  // called for every parameter in order on every rank.
  size_t gathered = 0;
  auto gatherNext = [&]() {
    const ManifestTensor &param = manifest.parameters[gathered++];
    if (ctx.rank != 0) {
      if (holdsFirstCopy(param, ctx.coordinates))
        sendBytes(localBlock(param), param.localBytes(), 0);
      return;
    }
    global.resize(elementCount(param.shape) * dtypeBytes(param.dtype));
    assembleTensor(
        manifest, param,
        [&](int64_t rank) -> const char * {
          if (rank == 0)
            return localBlock(param);
          received.resize(param.localBytes());
          receiveBytes(received.data(), param.localBytes(),
                       static_cast<int>(rank));
          return received.data();
        },
        global.data());
  };
  std::string error;
  if (ctx.rank == 0) {
    std::vector<TensorDesc> tensors = checkpointTensors(manifest);
    error = writeSafetensors(
        path, tensors, [&](size_t i, int64_t first, int64_t count, char *out) {
          if (i == manifest.parameters.size()) {
            std::memcpy(out, &steps, sizeof steps);
            return;
          }
          // The file asks for no bytes of an empty tensor: those before
          // tensor i may still be due.
          while (gathered <= i)
            gatherNext();
          int64_t elementBytes = dtypeBytes(tensors[i].dtype);
          std::memcpy(out, global.data() + first * elementBytes,
                      count * elementBytes);
        });
  }
  // Where rank 0's write stopped early, it still takes every block sent.
  while (gathered < manifest.parameters.size())
    gatherNext();
  int64_t length = static_cast<int64_t>(error.size());
  MPI_Bcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  error.resize(length);
  MPI_Bcast(error.data(), static_cast<int>(length), MPI_CHAR, 0,
            MPI_COMM_WORLD);
  if (!error.empty())
    fail(&ctx, "cannot save the checkpoint: " + error);
  if (ctx.rank == 0) {
    std::printf("saved: %s (step %lld)\n", path.c_str(),
                static_cast<long long>(steps));
    std::fflush(stdout);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  Manifest manifest;
  std::string error = parseManifest(tp_model_manifest, manifest);
  if (!error.empty())
    fail(nullptr, error);
  Options options = parseOptions(argc, argv);
  // Help, the version and the report need no mesh: they work without
  // mpirun.
  if (options.help || options.version || options.report) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0 && options.help)
      printHelp(argv[0], manifest);
    else if (rank == 0 && options.version)
      std::printf("%s: compiled by tp-mlir %s\n", argv[0], TP_VERSION);
    else if (rank == 0)
      std::printf("%s%s", manifest.report.c_str(),
                  manifest.report.empty() || manifest.report.back() != '\n'
                      ? "\n"
                      : "");
    MPI_Finalize();
    return 0;
  }

  std::unique_ptr<tprt_context> ctx =
      createContext(manifest.axisNames, manifest.axisSizes);
  checkOptions(*ctx, options, manifest);
  Sources sources = openSources(*ctx, options);
  checkRanksRunOneJob(*ctx, argv[0], manifest, options, sources);
  // The steps done before this run: those of the checkpoint resumed from.
  int64_t stepsDone = 0;
  if (!options.resume.empty()) {
    error = readResumeStep(manifest, *sources.checkpoint, stepsDone);
    if (!error.empty())
      fail(ctx.get(), error);
  }
  if (sources.checkpoint)
    warnOfUnusedTensors(*ctx, manifest, *sources.checkpoint);
  backend().initialize(*ctx);
  // What the process holds before the model (MPI, the libraries, the
  // backend): --bench reports the model's memory above it, as the seed's
  // table counts the tensors PyTorch allocates, not the CUDA context.
  double processBytes = peakRssBytes();
  uint64_t verified = verifiedSteps(manifest, options);
  if (options.verify && !verified && ctx->rank == 0)
    std::printf("verify: the mesh %s has one rank: this run is the "
                "unsharded run, with nothing to compare it with\n",
                formatMesh(manifest.axisNames, manifest.axisSizes).c_str());
  std::vector<StepOutputs> expected =
      runUnsharded(*ctx, manifest, options, sources, verified, stepsDone + 1);
  // Verification failures exit non-zero on every rank, the outputs written.
  int exitCode = 0;
  {
    // Allocated zeroed: the optimizer state starts at zero unless resumed
    // (but for the master copies, set from their parameters below).
    DeviceBuffer params(*ctx, manifest.paramBytes, "the parameters");
    DeviceBuffer arena(*ctx, manifest.arenaBytes, "the activation arena");
    LoadStats load =
        loadParameters(*ctx, manifest, options, sources, params.data);
    std::vector<std::vector<char>> inputs =
        loadInputs(*ctx, manifest, options, sources);
    // The checkpoint closed and the input files freed once read.
    sources = Sources();

    Stepper step(*ctx, manifest, tp_model_forward, inputs, arena.data,
                 params.data, stepsDone + 1);
    if (options.benchSteps) {
      bench(*ctx, manifest, options.benchSteps, load, step, processBytes);
      if (manifest.training)
        printLoss(*ctx, manifest, arena.data, step.lastStep());
    } else if (manifest.training) {
      for (uint64_t i = 0; i < options.stepCount(); ++i) {
        step();
        printLoss(*ctx, manifest, arena.data, step.lastStep());
        // A training run that fails stops there, unsaved.
        if (i < verified &&
            !verifyOutputs(*ctx, manifest, options,
                           gatherOutputs(*ctx, manifest, arena.data),
                           expected[i],
                           "step " + std::to_string(step.lastStep()) + ": ")) {
          exitCode = 1;
          break;
        }
      }
    } else {
      step();
      backend().synchronize(*ctx);
    }
    if (!manifest.training) {
      StepOutputs outputs = gatherOutputs(*ctx, manifest, arena.data);
      writeOutputs(*ctx, manifest, options, outputs);
      if (verified &&
          !verifyOutputs(*ctx, manifest, options, outputs, expected[0], ""))
        exitCode = 1;
    } else if (!options.save.empty() && !exitCode)
      saveCheckpoint(*ctx, manifest, options.save, params.data,
                     step.lastStep());
  }

  ctx.reset();
  MPI_Finalize();
  return exitCode;
}
