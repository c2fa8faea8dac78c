//===- tp-weights.cpp - make and inspect safetensors weights --------------===//
//
// This file implements `tp-weights`, so that no example needs Python:
//   tp-weights init model.mlir --seed 0 -o w.safetensors
// writes deterministic random weights for every tp.parameter of a model, in
// the global shapes the model declares (the values an executable's
// `--random-weights <seed>` uses), a bounded chunk at a time and all or
// nothing, so that a parameter larger than memory can be written and a
// failure leaves no partial file, and
//   tp-weights ls w.safetensors
// lists the tensors of a safetensors file.
//
//===----------------------------------------------------------------------===//

#include "tp/Conversion/TPToRuntime/Manifest.h"
#include "tp/Dialect/TP/IR/TPOps.h"
#include "tp/InitAll.h"
#include "tp/Tools/CommandLine.h"

#include "DType.h"
#include "Random.h"
#include "Safetensors.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::SubCommand
    initCommand("init", "write random weights for a model's parameters");
static cl::SubCommand lsCommand("ls", "list the tensors of a safetensors file");

// --help lists this category alone: the LLVM libraries' own options are not
// the tool's.
static cl::OptionCategory weightsCategory("tp-weights options");
static cl::opt<std::string> modelFile(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::sub(initCommand),
                                      cl::cat(weightsCategory));
static cl::opt<uint64_t> seed("seed", cl::desc("random seed"), cl::init(0),
                              cl::sub(initCommand), cl::cat(weightsCategory));
static cl::opt<std::string> outputFile("o", cl::Required,
                                       cl::desc("output safetensors file"),
                                       cl::sub(initCommand),
                                       cl::cat(weightsCategory));
static cl::opt<std::string> weightsFile(cl::Positional, cl::Required,
                                        cl::desc("<file.safetensors>"),
                                        cl::sub(lsCommand),
                                        cl::cat(weightsCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "tp-weights: error: " << message << "\n";
  return 1;
}

static int runInit() {
  std::string repeated = tp::findRepeatedOption(initCommand);
  if (!repeated.empty())
    return fail(repeated);
  DialectRegistry registry;
  tp::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(modelFile, sourceMgr, &context);
  if (!module)
    return 1;

  std::vector<tprt::TensorDesc> tensors;
  for (auto parameter : module->getOps<tp::ParameterOp>()) {
    RankedTensorType type = parameter.getTensorType();
    Type element = type.getElementType();
    std::optional<int32_t> dtype = tp::getRuntimeDType(element);
    if (!dtype)
      return fail("parameter '" + parameter.getSymName() +
                  "' has element type " + llvm::formatv("{0}", element).str() +
                  "; tp-weights writes f32, f16 and bf16 weights");
    tensors.push_back(
        {parameter.getSymName().str(), tprt::floatDTypeName(*dtype),
         std::vector<int64_t>(type.getShape().begin(), type.getShape().end())});
  }
  if (tensors.empty())
    return fail("'" + modelFile + "' declares no tp.parameter");
  std::string error = tprt::writeSafetensors(
      outputFile, tensors,
      [&](size_t index, int64_t first, int64_t count, char *bytes) {
        // The runtime's generator: the file holds exactly what
        // `--random-weights <seed>` gives an executable.
        const tprt::TensorDesc &tensor = tensors[index];
        tprt::fillRandomFloatElements(tprt::tensorSeed(seed, tensor.name),
                                      first, count,
                                      tprt::parameterScale(tensor.shape),
                                      tprt::floatDType(tensor.dtype), bytes);
      },
      {{"generator", "tp-weights init --seed " + std::to_string(seed)}});
  if (!error.empty())
    return fail(error);
  return 0;
}

static int runList() {
  std::unique_ptr<tprt::SafetensorsFile> file;
  std::string error = tprt::SafetensorsFile::open(weightsFile, file);
  if (!error.empty())
    return fail(error);
  int64_t totalBytes = 0;
  for (const tprt::StoredTensor &tensor : file->tensors()) {
    int64_t bytes =
        tprt::elementCount(tensor.shape) * tprt::dtypeBytes(tensor.dtype);
    totalBytes += bytes;
    llvm::outs() << llvm::formatv("{0,-48} {1,-5} {2,-20} {3,14} bytes\n",
                                  tensor.name, tensor.dtype,
                                  tprt::formatShape(tensor.shape), bytes);
  }
  llvm::outs() << file->tensors().size() << " tensors, " << totalBytes
               << " bytes\n";
  for (const auto &[key, value] : file->metadata())
    llvm::outs() << "metadata " << key << ": " << value << "\n";
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  for (cl::SubCommand *command :
       {&cl::SubCommand::getTopLevel(), &initCommand, &lsCommand})
    cl::HideUnrelatedOptions(weightsCategory, *command);
  tp::setVersionPrinter("tp-weights");
  cl::ParseCommandLineOptions(argc, argv,
                              "tp-weights: make and inspect safetensors "
                              "weights for tp models\n");
  if (initCommand)
    return runInit();
  if (lsCommand)
    return runList();
  return fail("name a command: init or ls (see --help)");
}
