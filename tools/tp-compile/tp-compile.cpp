//===- tp-compile.cpp - a model and a plan to a sharded executable --------===//
//
// This file implements `tp-compile`: it parses a model in the tp dialect,
// shards it by a plan (tp-parallelize), lowers each rank's program to runtime
// calls (convert-tp-to-runtime), translates it to LLVM IR, emits an object
// file with LLVM's target machine for the host, and links it with the
// runtime into one executable that runs one process per rank under mpirun.
// `--emit` stops at any of these stages.
//
// Unless told --no-verify, it also lowers the model unsharded (on a mesh of
// the same axes, each of size 1, without the plan) under the symbols
// `tp_unsharded_forward` and `tp_unsharded_manifest`, and links that program
// into the same LLVM module, so that the executable's `--verify` can run it
// on rank 0 and compare the sharded outputs with it.
//
//===----------------------------------------------------------------------===//

#include "tp/Conversion/Passes.h"
#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"
#include "tp/InitAll.h"
#include "tp/Tools/CommandLine.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include "RuntimeLink.inc"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Target { CPU, CUDA };
enum class Stage { TP, MLIR, LLVM, Object, Executable };
} // namespace

// --help lists these categories alone: the LLVM libraries' own options
// (codegen flags of every backend) are not the tool's.
static cl::OptionCategory compileCategory("tp-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::cat(compileCategory));
static cl::opt<std::string> outputFile("o", cl::desc("output file"),
                                       cl::value_desc("path"), cl::init("-"),
                                       cl::cat(compileCategory));
static cl::opt<std::string>
    meshSpec("mesh",
             cl::desc("device mesh, e.g. tp:2 or dp:2,tp:2 (overrides "
                      "the plan's)"),
             cl::cat(compileCategory));
static cl::opt<std::string> planFile("plan", cl::desc("JSON plan file"),
                                     cl::value_desc("plan.json"),
                                     cl::cat(compileCategory));
static cl::opt<std::string> tpAxis("tp-axis",
                                   cl::desc("the tensor-parallel mesh axis"),
                                   cl::init("tp"), cl::cat(compileCategory));
static cl::opt<bool>
    sequenceParallel("sequence-parallel",
                     cl::desc("shard norms and residuals on the sequence"),
                     cl::cat(compileCategory));
static cl::opt<bool> overlap(
    "overlap",
    cl::desc("start each all-reduce early and wait for it late, so that "
             "independent work hides it (tp-overlap-collectives; default on)"),
    cl::init(true), cl::cat(compileCategory));
static cl::opt<bool> noVerify(
    "no-verify",
    cl::desc("leave out the unsharded program that the executable's --verify "
             "runs on rank 0 to check the sharded outputs (compiled in by "
             "default, it adds about 60% to the compile time and 70% to the "
             "executable's size)"),
    cl::cat(compileCategory));
static cl::OptionCategory trainingCategory(
    "Training (--train)",
    "Compile a training step: forward, loss, backward, optimizer update");
static cl::opt<bool>
    train("train",
          cl::desc("compile a training step instead of the forward pass"),
          cl::cat(trainingCategory));
static cl::opt<std::string>
    loss("loss",
         cl::desc("the loss of the model's output: sum or cross_entropy"),
         cl::init("sum"), cl::cat(trainingCategory));
static cl::opt<std::string>
    optimizer("optimizer", cl::desc("the parameter update: sgd or adamw"),
              cl::init("adamw"), cl::cat(trainingCategory));
static cl::opt<double> lr("lr", cl::desc("the learning rate (default 1e-3)"),
                          cl::init(1e-3), cl::cat(trainingCategory));
static cl::opt<double> beta1("beta1", cl::desc("AdamW's beta1 (default 0.9)"),
                             cl::init(0.9), cl::cat(trainingCategory));
static cl::opt<double> beta2("beta2", cl::desc("AdamW's beta2 (default 0.999)"),
                             cl::init(0.999), cl::cat(trainingCategory));
static cl::opt<double> eps("eps", cl::desc("AdamW's eps (default 1e-8)"),
                           cl::init(1e-8), cl::cat(trainingCategory));
static cl::opt<double> weightDecay(
    "weight-decay",
    cl::desc("the weight decay (default 0.01 for adamw, 0 for sgd)"),
    cl::init(-1), cl::cat(trainingCategory));
static cl::opt<Target>
    target("target", cl::desc("what the executable runs on"),
           cl::init(Target::CPU),
           cl::values(clEnumValN(Target::CPU, "cpu", "OpenBLAS + MPI"),
                      clEnumValN(Target::CUDA, "cuda",
                                 "cuBLAS + NCCL, one GPU per rank")),
           cl::cat(compileCategory));
static cl::opt<Stage> emitStage(
    "emit", cl::desc("the stage to stop at"), cl::init(Stage::Executable),
    cl::values(
        clEnumValN(Stage::TP, "tp", "each rank's program in the tp dialect"),
        clEnumValN(Stage::MLIR, "mlir", "runtime calls in the LLVM dialect"),
        clEnumValN(Stage::LLVM, "llvm", "LLVM IR"),
        clEnumValN(Stage::Object, "obj", "an object file"),
        clEnumValN(Stage::Executable, "exe", "an executable (the default)")),
    cl::cat(compileCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "tp-compile: error: " << message << "\n";
  return 1;
}

/// Writes `module` as an object file for the host to `path`.
static LogicalResult emitObject(llvm::Module &module, StringRef path,
                                std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return failure();
  // The generated code is only runtime calls with constant arguments: the
  // time is spent in the kernels, so optimizing it would only slow the
  // compile (FastISel and the fast register allocator stay linear in its
  // size).
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, "generic", "", llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::None));
  if (!machine) {
    error = "cannot create a target machine for " + triple.str();
    return failure();
  }
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());

  std::error_code code;
  llvm::ToolOutputFile out(path, code, llvm::sys::fs::OF_None);
  if (code) {
    error = "cannot write '" + path.str() + "': " + code.message();
    return failure();
  }
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, out.os(), nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  passes.run(module);
  out.keep();
  return success();
}

/// Links `object` with the runtime of `target` into the executable `path`.
static LogicalResult link(StringRef object, StringRef path, Target target,
                          std::string &error) {
  SmallVector<StringRef> args = {kLinker, object, "-o", path};
  if (target == Target::CUDA)
    args.append(std::begin(kCUDALinkArgs), std::end(kCUDALinkArgs));
  else
    args.append(std::begin(kCPULinkArgs), std::end(kCPULinkArgs));
  int status =
      llvm::sys::ExecuteAndWait(kLinker, args, std::nullopt, {}, 0, 0, &error);
  if (status != 0) {
    if (error.empty())
      error = "the linker (" + std::string(kLinker) + ") failed";
    return failure();
  }
  return success();
}

/// Adds the differentiation of the model into a training step under
/// --train.
static void addTrainingStep(PassManager &pm) {
  if (!train)
    return;
  tp::AutodiffOptions autodiff;
  autodiff.loss = loss;
  autodiff.optimizer = optimizer;
  autodiff.lr = lr;
  autodiff.beta1 = beta1;
  autodiff.beta2 = beta2;
  autodiff.eps = eps;
  autodiff.weightDecay = weightDecay;
  pm.addPass(tp::createAutodiff(autodiff));
}

/// Lowers a rank's program to runtime calls exporting `<prefix>_forward` and
/// `<prefix>_manifest`.
static LogicalResult lowerToRuntime(ModuleOp module, StringRef prefix) {
  PassManager pm(module.getContext());
  tp::ConvertTPToRuntimeOptions lowering;
  lowering.symbolPrefix = prefix.str();
  pm.addPass(tp::createConvertTPToRuntime(lowering));
  return pm.run(module);
}

/// The mesh of `mesh`'s axes, each of size 1: "dp:1,tp:1".
static std::string formatUnshardedMesh(tp::MeshOp mesh) {
  SmallVector<std::string> axes;
  for (Attribute name : mesh.getAxisNames())
    axes.push_back(cast<StringAttr>(name).str() + ":1");
  return llvm::join(axes, ",");
}

/// Compiles `model` (as parsed) unsharded to LLVM IR in `llvmContext`: the
/// same step on a mesh of the sharded program's axes each of size 1
/// (`meshSpec`) and without a plan, so that every tensor is whole on the
/// one rank and no collective is left; exported as tp_unsharded_forward and
/// tp_unsharded_manifest. Errors are reported; null on failure.
static std::unique_ptr<llvm::Module>
compileUnsharded(ModuleOp model, StringRef meshSpec,
                 llvm::LLVMContext &llvmContext) {
  // An empty plan (in place of one the model may carry): no layer split.
  model->setAttr(tp::kPlanAttrName, DictionaryAttr::get(model.getContext()));
  PassManager pm(model.getContext());
  addTrainingStep(pm);
  tp::ParallelizeOptions options;
  options.mesh = meshSpec.str();
  options.tpAxis = tpAxis;
  tp::buildParallelizePipeline(pm, options);
  if (failed(pm.run(model)) || failed(lowerToRuntime(model, "tp_unsharded")))
    return nullptr;
  return translateModuleToLLVMIR(model, llvmContext, "tp_unsharded");
}

/// Prints `module` where -o says; the exit code of tp-compile.
static int printModule(ModuleOp module) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out =
      openOutputFile(outputFile, &error);
  if (!out)
    return fail(error);
  module.print(out->os());
  out->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions({&compileCategory, &trainingCategory});
  tp::setVersionPrinter("tp-compile");
  cl::ParseCommandLineOptions(
      argc, argv,
      "tp-compile: a model (tp dialect) and a plan to a sharded executable\n\n"
      "  tp-compile model.mlir --mesh tp:2 --plan plan.json -o ff\n"
      "  mpirun -np 2 ./ff --weights w.safetensors --output y.npy\n"
      "  tp-compile model.mlir --mesh tp:2 --plan plan.json --train -o "
      "ff-train\n"
      "  mpirun -np 2 ./ff-train --weights w.safetensors --steps 10\n");
  std::string repeated = tp::findRepeatedOption();
  if (!repeated.empty()) {
    llvm::errs() << "tp-compile: error: " << repeated << "\n";
    return 1;
  }
  // Both targets share the generated code: the runtime library they are
  // linked with decides where tensors live and what computes them.
  if (target == Target::CUDA && kCUDALinkArgs[0] == nullptr)
    return fail("--target cuda needs the runtime's cuda backend, which was "
                "not built: no CUDA toolkit with NCCL was found when "
                "tp-compile was configured");
  bool binaryOutput =
      emitStage == Stage::Object || emitStage == Stage::Executable;
  if (binaryOutput && outputFile == "-")
    return fail("an object file or executable needs -o <path>");

  // Checked here, where the message needs no location: the pass that reads
  // the plan can only point at the model.
  if (!planFile.empty()) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> plan =
        llvm::MemoryBuffer::getFile(planFile);
    if (!plan)
      return fail("cannot read plan file '" + planFile +
                  "': " + plan.getError().message());
  }

  DialectRegistry registry;
  tp::registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  // Errors name the layer and value at fault; a dump of the whole model
  // after each would bury them.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
  if (!module)
    return 1;

  if (!train) {
    const cl::Option *trainingOptions[] = {
        &loss, &optimizer, &lr, &beta1, &beta2, &eps, &weightDecay};
    for (const cl::Option *option : trainingOptions)
      if (option->getNumOccurrences())
        return fail("--" + option->ArgStr + " is an option of --train");
  }
  // The unsharded program starts from the model as written; it is needed
  // only from LLVM IR on (--emit=tp and mlir show the rank's program).
  OwningOpRef<ModuleOp> unsharded;
  if (!noVerify && emitStage >= Stage::LLVM)
    unsharded = module->clone();

  PassManager pm(&context);
  addTrainingStep(pm);
  tp::ParallelizeOptions options;
  options.mesh = meshSpec;
  options.plan = planFile;
  options.tpAxis = tpAxis;
  options.sequenceParallel = sequenceParallel;
  tp::buildParallelizePipeline(pm, options);
  if (overlap)
    pm.addPass(tp::createOverlapCollectives());
  if (failed(pm.run(*module)))
    return 1;
  // Where the mesh has one rank, the rank's program is the unsharded one.
  FailureOr<tp::MeshOp> mesh = tp::getModuleMesh(*module);
  if (failed(mesh))
    return 1;
  std::string unshardedMesh = formatUnshardedMesh(*mesh);
  if (mesh->getNumRanks() == 1)
    unsharded = nullptr;

  if (emitStage == Stage::TP)
    return printModule(*module);
  if (failed(lowerToRuntime(*module, "tp_model")))
    return 1;
  if (emitStage == Stage::MLIR)
    return printModule(*module);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, "tp_model");
  if (!llvmModule)
    return fail("cannot translate the model to LLVM IR");
  if (unsharded) {
    std::unique_ptr<llvm::Module> unshardedModule =
        compileUnsharded(*unsharded, unshardedMesh, llvmContext);
    if (!unshardedModule)
      return fail("cannot compile the unsharded program for the "
                  "executable's --verify (--no-verify leaves it out)");
    // Only tp_unsharded_* are exported; the block functions, constants
    // and runtime declarations of the two programs merge without clashes.
    if (llvm::Linker::linkModules(*llvmModule, std::move(unshardedModule)))
      return fail("cannot link the unsharded program into the model");
  }
  std::string error;
  if (emitStage == Stage::LLVM) {
    std::unique_ptr<llvm::ToolOutputFile> out =
        openOutputFile(outputFile, &error);
    if (!out)
      return fail(error);
    llvmModule->print(out->os(), nullptr);
    out->keep();
    return 0;
  }

  if (emitStage == Stage::Object)
    return failed(emitObject(*llvmModule, outputFile, error)) ? fail(error) : 0;

  SmallString<128> object;
  if (std::error_code code =
          llvm::sys::fs::createTemporaryFile("tp-model", "o", object))
    return fail("cannot create a temporary file: " + code.message());
  llvm::FileRemover removeObject(object);
  if (failed(emitObject(*llvmModule, object, error)) ||
      failed(link(object, outputFile, target, error)))
    return fail(error);
  return 0;
}
