//===- Autodiff.cpp - a forward function to a training step ---------------===//
//
// This file implements tp-autodiff: it appends a loss to the model function,
// differentiates it in reverse mode by each op's derivative rule
// (DifferentiableOpInterface), and updates every parameter by SGD or AdamW,
// turning @forward into @train_step. It works on the global program; the
// sharding passes shard the step afterwards.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tp {
#define GEN_PASS_DEF_AUTODIFF
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct AutodiffPass : public tp::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;
  void runOnOperation() override;

  /// Appends the loss of `output` to `function` at `builder`'s point.
  FailureOr<Value> buildLoss(OpBuilder &builder, func::FuncOp function,
                             Value output);
  /// Builds the backward of `function` from `loss`, and the update of each
  /// parameter as soon as its gradient is complete. The parameters and their
  /// new optimizer state are looked up and registered in `symbols`.
  LogicalResult buildBackward(OpBuilder &builder, func::FuncOp function,
                              Value loss, SymbolTable &symbols);
  /// The weight decay: as given, or PyTorch's default for the optimizer.
  double getWeightDecay() {
    if (weightDecay >= 0)
      return weightDecay;
    return optimizer == "adamw" ? 0.01 : 0.0;
  }
  /// Builds the update of the parameter `read` from its gradient `grad`.
  LogicalResult buildUpdate(OpBuilder &builder, GetParameterOp read, Value grad,
                            SymbolTable &symbols);
};
} // namespace

FailureOr<Value> AutodiffPass::buildLoss(OpBuilder &builder,
                                         func::FuncOp function, Value output) {
  Location loc = output.getLoc();
  if (loss == "sum")
    return SumOp::create(builder, loc, output, DenseI64ArrayAttr()).getResult();
  if (loss != "cross_entropy") {
    function.emitError("unknown loss '")
        << loss << "'; expected sum or cross_entropy";
    return failure();
  }
  auto logits = cast<RankedTensorType>(output.getType());
  if (logits.getRank() < 1) {
    function.emitError("a cross_entropy loss needs logits with a class dim; "
                       "the model returns ")
        << logits;
    return failure();
  }
  // The labels are a new last argument: one class id per logits position.
  auto labelsType = RankedTensorType::get(logits.getShape().drop_back(),
                                          builder.getI64Type());
  Block &body = function.getBody().front();
  Value labels = body.addArgument(labelsType, loc);
  function.setType(FunctionType::get(&getContext(), body.getArgumentTypes(),
                                     function.getResultTypes()));
  return CrossEntropyOp::create(builder, loc, output, labels).getResult();
}

LogicalResult AutodiffPass::buildBackward(OpBuilder &builder,
                                          func::FuncOp function, Value loss,
                                          SymbolTable &symbols) {
  // The values that depend on a parameter: only they need gradients.
  DenseSet<Value> active;
  SmallVector<Operation *> ops;
  for (Operation &op : function.getBody().front()) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    ops.push_back(&op);
    bool depends = isa<GetParameterOp>(op) ||
                   llvm::any_of(op.getOperands(),
                                [&](Value v) { return active.contains(v); });
    if (depends)
      active.insert(op.result_begin(), op.result_end());
  }

  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value value, Value grad) {
    Value &sum = grads[value];
    sum = sum ? AddOp::create(builder, grad.getLoc(), sum, grad).getResult()
              : grad;
    ++numGradientOps;
  };
  // d loss / d loss = 1 seeds the backward.
  accumulate(loss, FillOp::create(builder, loss.getLoc(), loss.getType(),
                                  builder.getF64FloatAttr(1.0)));

  // Builds the operand gradients of `op` by its rule, where it needs any.
  auto differentiate = [&](Operation *op) -> LogicalResult {
    SmallVector<Value> resultGrads = llvm::map_to_vector(
        op->getResults(), [&](Value result) { return grads.lookup(result); });
    SmallVector<bool> needed = llvm::map_to_vector(
        op->getOperands(), [&](Value v) { return active.contains(v); });
    if (llvm::none_of(resultGrads, [](Value grad) { return bool(grad); }) ||
        llvm::none_of(needed, [](bool need) { return need; }))
      return success();
    auto rule = dyn_cast<DifferentiableOpInterface>(op);
    if (!rule)
      return op->emitOpError("has no derivative rule, but the loss depends on "
                             "a parameter through it; tp-autodiff cannot "
                             "differentiate it yet");
    SmallVector<Value> operandGrads;
    if (failed(rule.buildGradients(builder, resultGrads, needed, operandGrads)))
      return failure();
    for (auto [operand, grad, need] :
         llvm::zip(op->getOperands(), operandGrads, needed))
      if (need && grad)
        accumulate(operand, grad);
    return success();
  };

  // A parameter's gradient is complete once the reverse walk has passed every
  // forward use of it; so is every backward op that reads the parameter, so
  // the update can write it there. Updating each parameter as soon as it can
  // frees its gradient early (PyTorch keeps every gradient until
  // optimizer.step()).
  llvm::MapVector<StringAttr, SmallVector<GetParameterOp, 1>> reads;
  DenseMap<StringAttr, unsigned> pendingUses;
  for (auto read : function.getOps<GetParameterOp>()) {
    // The parts' updates would each need the whole weight's storage and
    // optimizer state, which part reads do not have.
    if (read.getRows())
      return read.emitError("parameter '")
             << read.getName()
             << "' is a fused weight read in parts (rows); training one is "
                "not supported: split it into one parameter per part";
    StringAttr name = read.getNameAttr().getAttr();
    reads[name].push_back(read);
    pendingUses[name] += llvm::range_size(read->getUses());
  }
  unsigned updates = 0;
  auto update = [&](StringAttr name) -> LogicalResult {
    Value sum;
    for (GetParameterOp read : reads[name])
      if (Value grad = grads.lookup(read.getResult()))
        sum = sum ? AddOp::create(builder, read.getLoc(), sum, grad).getResult()
                  : grad;
    if (!sum)
      return success();
    ++updates;
    return buildUpdate(builder, reads[name].front(), sum, symbols);
  };
  for (Operation *op : llvm::reverse(ops)) {
    if (failed(differentiate(op)))
      return failure();
    for (Value operand : op->getOperands())
      if (auto read = operand.getDefiningOp<GetParameterOp>())
        if (--pendingUses[read.getNameAttr().getAttr()] == 0 &&
            failed(update(read.getNameAttr().getAttr())))
          return failure();
  }
  numUpdates += updates;
  if (updates == 0)
    return function.emitError(
               "a training step needs parameters, but the loss of @")
           << function.getSymName() << " depends on none";
  return success();
}

LogicalResult AutodiffPass::buildUpdate(OpBuilder &builder, GetParameterOp read,
                                        Value grad, SymbolTable &symbols) {
  Location loc = read.getLoc();
  auto param = symbols.lookup<ParameterOp>(read.getName());
  RankedTensorType type = param.getTensorType();
  // A 16-bit weight is updated through an f32 master copy, with f32 moments
  // (mixed precision, as practitioners train in bf16).
  bool mixed = type.getElementType().isF16() || type.getElementType().isBF16();
  RankedTensorType stateType = mixed ? type.clone(builder.getF32Type()) : type;
  // The optimizer's state: parameters of their own, after the weight, named
  // as PyTorch's optimizer state dict would name them.
  Operation *previous = param;
  auto addState = [&](StringRef kind) -> FailureOr<Value> {
    std::string name = ("optimizer." + read.getName() + "." + kind).str();
    if (symbols.lookup(name))
      return param.emitError("the optimizer state '")
             << name << "' would shadow a symbol of that name";
    OpBuilder moduleBuilder(previous->getNextNode());
    auto state = ParameterOp::create(
        moduleBuilder, param.getLoc(), builder.getStringAttr(name),
        TypeAttr::get(stateType), builder.getUnitAttr(),
        kind == "master" ? read.getNameAttr() : FlatSymbolRefAttr());
    symbols.insert(state);
    previous = state;
    return GetParameterOp::create(builder, loc, stateType, name,
                                  DenseI64ArrayAttr(), LayoutAttr())
        .getResult();
  };
  FailureOr<Value> master = mixed ? addState("master") : Value();
  if (failed(master))
    return failure();
  FloatAttr lrAttr = builder.getF64FloatAttr(lr);
  FloatAttr decay = builder.getF64FloatAttr(getWeightDecay());
  if (optimizer == "sgd") {
    if (mixed)
      SGDMasterOp::create(builder, loc, read.getResult(), grad, *master, lrAttr,
                          decay);
    else
      SGDOp::create(builder, loc, read.getResult(), grad, lrAttr, decay);
    return success();
  }
  FailureOr<Value> expAvg = addState("exp_avg");
  if (failed(expAvg))
    return failure();
  FailureOr<Value> expAvgSq = addState("exp_avg_sq");
  if (failed(expAvgSq))
    return failure();
  FloatAttr b1 = builder.getF64FloatAttr(beta1);
  FloatAttr b2 = builder.getF64FloatAttr(beta2);
  FloatAttr epsAttr = builder.getF64FloatAttr(eps);
  if (mixed)
    AdamWMasterOp::create(builder, loc, read.getResult(), grad, *master,
                          *expAvg, *expAvgSq, lrAttr, b1, b2, epsAttr, decay);
  else
    AdamWOp::create(builder, loc, read.getResult(), grad, *expAvg, *expAvgSq,
                    lrAttr, b1, b2, epsAttr, decay);
  return success();
}

void AutodiffPass::runOnOperation() {
  FailureOr<func::FuncOp> model = getModelFunction(getOperation());
  if (failed(model))
    return signalPassFailure();
  func::FuncOp function = *model;
  if (optimizer != "sgd" && optimizer != "adamw") {
    function.emitError("unknown optimizer '")
        << optimizer << "'; expected sgd or adamw";
    return signalPassFailure();
  }
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  if (ret.getNumOperands() != 1 ||
      !isa<FloatType>(getElementTypeOrSelf(ret.getOperand(0).getType()))) {
    function.emitError("a training step needs a model function that returns "
                       "one float tensor (the loss is taken of it); @")
        << function.getSymName() << " returns " << ret.getNumOperands()
        << " values";
    return signalPassFailure();
  }

  OpBuilder builder(ret);
  FailureOr<Value> lossValue = buildLoss(builder, function, ret.getOperand(0));
  if (failed(lossValue))
    return signalPassFailure();
  SymbolTable symbols(getOperation());
  if (failed(buildBackward(builder, function, *lossValue, symbols)))
    return signalPassFailure();
  SmallVector<NamedAttribute> training = {
      builder.getNamedAttr("loss", builder.getStringAttr(loss)),
      builder.getNamedAttr("optimizer", builder.getStringAttr(optimizer)),
      builder.getNamedAttr("lr", builder.getF64FloatAttr(lr)),
      builder.getNamedAttr("weight_decay",
                           builder.getF64FloatAttr(getWeightDecay()))};
  if (optimizer == "adamw")
    for (auto [name, value] :
         {std::pair{"beta1", double(beta1)}, std::pair{"beta2", double(beta2)},
          std::pair{"eps", double(eps)}})
      training.push_back(
          builder.getNamedAttr(name, builder.getF64FloatAttr(value)));
  function->setAttr(kTrainingAttrName, builder.getDictionaryAttr(training));
  ret->setOperands(*lossValue);
  function.setType(FunctionType::get(&getContext(), function.getArgumentTypes(),
                                     {lossValue->getType()}));
  function.setSymName("train_step");
}
