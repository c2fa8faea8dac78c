//===- tp-weights.cpp - make and inspect safetensors weights --------------===//
//
// This file implements `tp-weights`, so that no example needs Python:
//   tp-weights init model.mlir --seed 0 -o w.safetensors
// writes deterministic random weights for every tp.parameter of a model, in
// the global shapes the model declares (the values an executable's
// `--random-weights <seed>` uses), a bounded chunk at a time and all or
// nothing, so that a parameter larger than memory can be written and a
// failure leaves no partial file; with `--max-shard-size 100MB` it writes a
// directory as Hugging Face's save_pretrained does, shard files and their
// index where the weights exceed the size;
//   tp-weights ls CHECKPOINT
// lists the tensors of a checkpoint, and
//   tp-weights check model.mlir CHECKPOINT
// checks a checkpoint against a model as the executable will when it loads
// it, saying which tensors convert to the model's dtype on load and which
// are not loaded. A
// CHECKPOINT is a safetensors file, an index (model.safetensors.index.json)
// of shard files, or the directory holding model.safetensors or the index.
//
//===----------------------------------------------------------------------===//

#include "tp/Conversion/TPToRuntime/Manifest.h"
#include "tp/Dialect/TP/IR/TPOps.h"
#include "tp/InitAll.h"
#include "tp/Tools/CommandLine.h"

#include "DType.h"
#include "Random.h"
#include "SafetensorsCheckpoint.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <filesystem>
#include <map>
#include <set>

using namespace mlir;
namespace cl = llvm::cl;

static cl::SubCommand
    initCommand("init", "write random weights for a model's parameters");
static cl::SubCommand
    lsCommand("ls", "list the tensors of a checkpoint (a safetensors file, "
                    "an index of shard files, or their directory)");
static cl::SubCommand
    checkCommand("check", "check that a checkpoint loads into a model, and "
                          "say which tensors convert on load");

// --help lists this category alone: the LLVM libraries' own options are not
// the tool's.
static cl::OptionCategory weightsCategory("tp-weights options");
static cl::opt<std::string> modelFile(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::sub(initCommand),
                                      cl::sub(checkCommand),
                                      cl::cat(weightsCategory));
static cl::opt<uint64_t> seed("seed", cl::desc("random seed"), cl::init(0),
                              cl::sub(initCommand), cl::cat(weightsCategory));
static cl::opt<std::string>
    outputFile("o", cl::Required,
               cl::desc("output safetensors file (with --max-shard-size, "
                        "the output directory)"),
               cl::sub(initCommand), cl::cat(weightsCategory));
static cl::opt<std::string> maxShardSize(
    "max-shard-size",
    cl::desc("write the directory -o as Hugging Face's save_pretrained: "
             "model.safetensors, or where the weights exceed this size, "
             "files model-00001-of-0000N.safetensors of at most this many "
             "bytes of tensors each and model.safetensors.index.json; a "
             "size such as 100MB, 5GB or 500MiB (MB = 10^6 bytes, MiB = "
             "2^20)"),
    cl::value_desc("size"), cl::sub(initCommand), cl::cat(weightsCategory));
static cl::opt<std::string>
    checkpointPath(cl::Positional, cl::Required,
                   cl::desc("<checkpoint: file.safetensors, "
                            "model.safetensors.index.json or directory>"),
                   cl::sub(lsCommand), cl::sub(checkCommand),
                   cl::cat(weightsCategory));

static cl::opt<std::string> listModel(
    "model",
    cl::desc("also say which tensors convert to this model's dtype on load "
             "(tp-weights check checks the whole checkpoint against it)"),
    cl::value_desc("model.mlir"), cl::sub(lsCommand), cl::cat(weightsCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "tp-weights: error: " << message << "\n";
  return 1;
}

namespace {
/// A tp.parameter of a model, as a tensor of the checkpoint.
struct ModelParameter : tprt::TensorDesc {
  /// Optimizer state, which only a training step's checkpoints hold.
  bool state = false;
};
} // namespace

/// Reads the tp.parameters of the model `path` into `parameters`, in the
/// order the model declares them. Returns 0, or 1 once what is wrong is
/// printed.
static int readParameters(StringRef path,
                          std::vector<ModelParameter> &parameters) {
  DialectRegistry registry;
  tp::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(path, sourceMgr, &context);
  if (!module)
    return 1;
  for (auto parameter : module->getOps<tp::ParameterOp>()) {
    RankedTensorType type = parameter.getTensorType();
    Type element = type.getElementType();
    std::optional<int32_t> dtype = tp::getRuntimeDType(element);
    if (!dtype)
      return fail("parameter '" + parameter.getSymName() +
                  "' has element type " + llvm::formatv("{0}", element).str() +
                  "; tp-weights writes f32, f16 and bf16 weights");
    ModelParameter &tensor = parameters.emplace_back();
    tensor.name = parameter.getSymName().str();
    tensor.dtype = tprt::floatDTypeName(*dtype);
    tensor.shape.assign(type.getShape().begin(), type.getShape().end());
    tensor.state = parameter.getOptimizerState();
  }
  if (parameters.empty())
    return fail("'" + modelFile + "' declares no tp.parameter");
  return 0;
}

static int runInit() {
  std::string repeated = tp::findRepeatedOption(initCommand);
  if (!repeated.empty())
    return fail(repeated);
  int64_t maxShardBytes = 0;
  if (maxShardSize.getNumOccurrences()) {
    std::string error = tprt::parseByteSize(maxShardSize, maxShardBytes);
    if (!error.empty())
      return fail("--max-shard-size: " + error);
    if (llvm::StringRef(outputFile).ends_with(".safetensors"))
      return fail("with --max-shard-size, -o names the directory to write "
                  "the checkpoint's files into, not '" +
                  outputFile + "'");
  }
  std::vector<ModelParameter> parameters;
  if (readParameters(modelFile, parameters))
    return 1;
  std::vector<tprt::TensorDesc> tensors(parameters.begin(), parameters.end());
  // The runtime's generator: the files hold exactly what
  // `--random-weights <seed>` gives an executable.
  auto fill = [&](size_t index, int64_t first, int64_t count, char *bytes) {
    const tprt::TensorDesc &tensor = tensors[index];
    tprt::fillRandomFloatElements(tprt::tensorSeed(seed, tensor.name), first,
                                  count, tprt::parameterScale(tensor.shape),
                                  tprt::floatDType(tensor.dtype), bytes);
  };
  std::map<std::string, std::string> metadata = {
      {"generator", "tp-weights init --seed " + std::to_string(seed)}};
  if (!maxShardBytes) {
    std::string error =
        tprt::writeSafetensors(outputFile, tensors, fill, metadata);
    return error.empty() ? 0 : fail(error);
  }
  std::vector<std::string> written;
  std::string error = tprt::writeShardedSafetensors(
      outputFile, tensors, fill, metadata, maxShardBytes, written);
  for (const std::string &path : written)
    llvm::outs() << "wrote " << path << "\n";
  return error.empty() ? 0 : fail(error);
}

/// Opens the checkpoint the command names into `checkpoint`. Returns 0, or 1
/// once what is wrong is printed.
static int
openCheckpoint(std::unique_ptr<tprt::SafetensorsCheckpoint> &checkpoint) {
  std::string error =
      tprt::SafetensorsCheckpoint::open(checkpointPath, checkpoint);
  return error.empty() ? 0 : fail(error);
}

/// The file of `tensor` as a last column, as the index names it, where the
/// checkpoint has several.
static std::string fileColumn(const tprt::SafetensorsCheckpoint &checkpoint,
                              const tprt::CheckpointTensor &tensor) {
  if (!checkpoint.indexed())
    return {};
  std::filesystem::path directory =
      std::filesystem::path(checkpoint.path()).parent_path().lexically_normal();
  return "  " + std::filesystem::path(tensor.file->path())
                    .lexically_relative(directory)
                    .string();
}

/// " in 3 files", where the checkpoint has several.
static std::string filesNote(const tprt::SafetensorsCheckpoint &checkpoint) {
  if (!checkpoint.indexed())
    return {};
  return " in " + std::to_string(checkpoint.files().size()) + " files";
}

static int runList() {
  std::unique_ptr<tprt::SafetensorsCheckpoint> checkpoint;
  if (openCheckpoint(checkpoint))
    return 1;
  // With --model: the dtype each of the model's parameters loads as.
  std::map<std::string, std::string> modelDTypes;
  if (!listModel.empty()) {
    std::vector<ModelParameter> parameters;
    if (readParameters(listModel, parameters))
      return 1;
    for (const ModelParameter &param : parameters)
      modelDTypes[param.name] = param.dtype;
  }
  int64_t totalBytes = 0, converted = 0;
  for (const tprt::CheckpointTensor &entry : checkpoint->tensors()) {
    const tprt::StoredTensor &tensor = *entry.tensor;
    int64_t bytes =
        tprt::elementCount(tensor.shape) * tprt::dtypeBytes(tensor.dtype);
    totalBytes += bytes;
    auto model = modelDTypes.find(tensor.name);
    std::string conversion;
    if (model != modelDTypes.end() && model->second != tensor.dtype) {
      conversion = "  " + tensor.dtype + " -> " + model->second + " on load";
      ++converted;
    }
    llvm::outs() << llvm::formatv("{0,-48} {1,-5} {2,-20} {3,14} bytes{4}{5}\n",
                                  tensor.name, tensor.dtype,
                                  tprt::formatShape(tensor.shape), bytes,
                                  fileColumn(*checkpoint, entry), conversion);
  }
  llvm::outs() << checkpoint->tensors().size() << " tensors, " << totalBytes
               << " bytes" << filesNote(*checkpoint) << "\n";
  if (!listModel.empty())
    llvm::outs() << converted << " of them convert to the dtype of '"
                 << listModel << "' on load\n";
  for (const auto &[key, value] : checkpoint->metadata())
    llvm::outs() << "metadata " << key << ": " << value << "\n";
  return 0;
}

/// Checks every parameter of the model but optimizer state (which --weights
/// leaves at zero) against the checkpoint, as the executable's --weights
/// does: one line per tensor, each error on stderr, and a summary.
static int runCheck() {
  std::vector<ModelParameter> parameters;
  std::unique_ptr<tprt::SafetensorsCheckpoint> checkpoint;
  if (readParameters(modelFile, parameters) || openCheckpoint(checkpoint))
    return 1;
  int errors = 0;
  auto report = [&](const std::string &error) {
    if (error.empty())
      return false;
    fail(error);
    ++errors;
    return true;
  };
  std::set<std::string> names;
  // The number of tensors of each conversion ("BF16 -> F32").
  std::map<std::string, int> conversions;
  for (const ModelParameter &param : parameters) {
    names.insert(param.name);
    if (param.state)
      continue;
    const tprt::CheckpointTensor *stored;
    std::string error = checkpoint->lookup(param.name, stored);
    if (report(error.empty() ? error : error + ", but the model needs it") ||
        report(tprt::checkLoadable(*stored, param)))
      continue;
    std::string dtype = stored->tensor->dtype;
    if (dtype != param.dtype) {
      std::string conversion = dtype + " -> " + param.dtype;
      ++conversions[conversion];
      dtype = conversion + " on load";
    }
    llvm::outs() << llvm::formatv("{0,-48} {1,-20} {2,-20}{3}\n", param.name,
                                  dtype, tprt::formatShape(param.shape),
                                  fileColumn(*checkpoint, *stored));
  }
  // Tensors the model does not declare: known non-parameters are ignored
  // silently, others are not loaded either, with a warning.
  int ignored = 0, unused = 0;
  for (const tprt::CheckpointTensor &entry : checkpoint->tensors()) {
    const std::string &name = entry.tensor->name;
    if (names.count(name))
      continue;
    bool known = tprt::isKnownNonParameter(name);
    ++(known ? ignored : unused);
    llvm::outs() << llvm::formatv("{0,-48} {1}{2}\n", name,
                                  known ? "ignored: not a parameter"
                                        : "unused: not in the model",
                                  fileColumn(*checkpoint, entry));
  }
  std::string warning = tprt::describeUnusedTensors(
      *checkpoint, [&](const std::string &name) { return names.count(name); });
  if (!warning.empty())
    llvm::errs() << "tp-weights: warning: " << warning << "\n";
  if (errors) {
    llvm::outs() << errors << (errors == 1 ? " error" : " errors")
                 << ": the checkpoint does not load into the model\n";
    return 1;
  }
  llvm::SmallVector<std::string> converted;
  for (const auto &[conversion, count] : conversions)
    converted.push_back(std::to_string(count) + " " + conversion);
  llvm::outs() << "ok: the checkpoint" << filesNote(*checkpoint)
               << " holds every parameter of the model; converted on load: "
               << (converted.empty() ? "none" : llvm::join(converted, ", "))
               << "; ignored: " << ignored << "; unused: " << unused << "\n";
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  for (cl::SubCommand *command : {&cl::SubCommand::getTopLevel(), &initCommand,
                                  &lsCommand, &checkCommand})
    cl::HideUnrelatedOptions(weightsCategory, *command);
  tp::setVersionPrinter("tp-weights");
  cl::ParseCommandLineOptions(argc, argv,
                              "tp-weights: make and inspect safetensors "
                              "weights for tp models\n\n"
                              "A checkpoint is one safetensors file, a "
                              "Hugging Face index (model.safetensors.index."
                              "json) of shard files, or the directory "
                              "holding model.safetensors or the index.\n");
  if (initCommand)
    return runInit();
  if (lsCommand)
    return runList();
  if (checkCommand)
    return runCheck();
  return fail("name a command: init, ls or check (see --help)");
}
