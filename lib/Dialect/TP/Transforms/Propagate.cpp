//===- Propagate.cpp - give every value a layout --------------------------===//
//
// This file implements tp-propagate. For every mesh axis independently it
// walks the model function forward, letting each op pick, from the
// candidates its sharding rule offers, the one that moves the fewest bytes,
// then walks it backward to compute replicated values split where all their
// users want them split. Layer styles and tp.annotate are fixed points.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Debug.h"

#include <limits>

#define DEBUG_TYPE "tp-propagate"

namespace mlir::tp {
#define GEN_PASS_DEF_PROPAGATE
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {

/// A value's placement on every mesh axis, in mesh order.
using Placements = SmallVector<Placement, 2>;

/// One way to compute an op on one mesh axis: the placements it needs of its
/// operands and the ones its results get.
struct Candidate {
  SmallVector<Placement> operands;
  SmallVector<Placement> results;
  /// The factor it splits, if any.
  std::optional<int64_t> factor;
};

/// The factor of `dim`'s factors that a split of that dim splits: its major
/// one, if any.
static std::optional<int64_t> getMajorFactor(ArrayRef<int64_t> dimFactors) {
  if (dimFactors.empty())
    return std::nullopt;
  return dimFactors.front();
}

/// The placements of a list of dims when `factor` is split: `S(d)` on the dim
/// whose major factor it is, `R` where it is absent; nullopt where it is only
/// a minor factor of some dim (that split cannot be expressed) or, for
/// results, absent.
static std::optional<Placement>
placeFactor(ArrayRef<ShardingRule::DimFactors> dims, int64_t factor,
            bool mustAppear) {
  for (auto [dim, factors] : llvm::enumerate(dims)) {
    if (getMajorFactor(factors) == factor)
      return Placement::shard(dim);
    if (llvm::is_contained(factors, factor))
      return std::nullopt;
  }
  if (mustAppear)
    return std::nullopt;
  return Placement::replicate();
}

/// The candidate that splits `factor` over an axis of `axisSize` ranks, when
/// other axes already split it over `alreadySplit` ranks.
static std::optional<Candidate> splitFactor(const ShardingRule &rule,
                                            int64_t factor, int64_t axisSize,
                                            int64_t alreadySplit = 1) {
  FactorKind kind = rule.factorKinds[factor];
  if (kind == FactorKind::Blocked ||
      rule.factorSizes[factor] % (axisSize * alreadySplit) != 0)
    return std::nullopt;
  Candidate candidate;
  candidate.factor = factor;
  for (auto [index, dims] : llvm::enumerate(rule.operandDims)) {
    if (kind == FactorKind::Reduction &&
        llvm::is_contained(rule.summandOperands, index)) {
      candidate.operands.push_back(Placement::partial());
      continue;
    }
    std::optional<Placement> placement =
        placeFactor(dims, factor, /*mustAppear=*/false);
    if (!placement)
      return std::nullopt;
    candidate.operands.push_back(*placement);
  }
  for (ArrayRef<ShardingRule::DimFactors> dims : rule.resultDims) {
    if (kind == FactorKind::Reduction) {
      candidate.results.push_back(Placement::partial());
      continue;
    }
    std::optional<Placement> placement = placeFactor(
        dims, factor, /*mustAppear=*/kind != FactorKind::ReducedByOp);
    if (!placement)
      return std::nullopt;
    candidate.results.push_back(*placement);
  }
  return candidate;
}

static Candidate replicatedCandidate(Operation *op) {
  return {SmallVector<Placement>(op->getNumOperands(), Placement::replicate()),
          SmallVector<Placement>(op->getNumResults(), Placement::replicate())};
}

/// Resolves a style's placement (whose shard dim may count from the end)
/// against a value of rank `rank`.
static Placement resolve(Placement placement, int64_t rank) {
  if (placement.isShard() && placement.getDim() < 0)
    return Placement::shard(placement.getDim() + rank);
  return placement;
}

/// Propagates layouts through one model function.
class LayoutPropagation {
public:
  LayoutPropagation(func::FuncOp function, MeshOp mesh, StringRef tpAxis)
      : function(function), mesh(mesh), tpAxis(tpAxis),
        numAxes(mesh.getAxisSizes().size()) {}

  LogicalResult run();

  int64_t numSplitOps = 0;
  int64_t numReplicatedOps = 0;

private:
  bool isTPAxis(unsigned axis) {
    return cast<StringAttr>(mesh.getAxisNames()[axis]).getValue() == tpAxis;
  }
  int64_t axisSize(unsigned axis) { return mesh.getAxisSizes()[axis]; }
  StringRef axisName(unsigned axis) {
    return cast<StringAttr>(mesh.getAxisNames()[axis]).getValue();
  }

  LogicalResult initializeArguments();
  LogicalResult visit(Operation *op);
  LogicalResult visitParameter(GetParameterOp op);
  LogicalResult visitWithRule(Operation *op, ShardingRuleOpInterface ruleOp);
  FailureOr<Candidate> chooseCandidate(Operation *op, const ShardingRule &rule,
                                       unsigned axis);
  FailureOr<std::optional<Candidate>>
  getStyledCandidate(Operation *op, const ShardingRule &rule, unsigned axis);
  /// The ranks the op being visited already splits `factor` over, on the
  /// axes decided before the current one.
  int64_t splitsOf(int64_t factor) {
    return factor < static_cast<int64_t>(factorSplits.size())
               ? factorSplits[factor]
               : 1;
  }
  /// Pins `value` with `pin` on `axis` through a tp.annotate built at the
  /// builder's point, which records `why` for the reasons of collectives;
  /// returns the annotation, or `value` if it already has that placement.
  Value pin(OpBuilder &builder, Value value, Placement pin, unsigned axis,
            const std::string &why);
  void setReturnNeeds(func::ReturnOp ret);
  void propagateBackward();
  void writeAttributes();

  /// What redistributing `operand` of `op` to `need` on `axis` moves.
  double getCost(Operation *op, Value operand, Placement need, unsigned axis);
  /// Per result of `op`, the placement on `axis` its users are known to need
  /// before they are visited: a gradient's, its parameter's.
  SmallVector<std::optional<Placement>> getKnownNeeds(Operation *op,
                                                      unsigned axis);
  /// The placements `op` needs of operand `index` (one per axis).
  Placements &needOf(Operation *op, unsigned index) {
    auto &needs = operandNeeds[op];
    if (needs.empty())
      needs.assign(op->getNumOperands(), Placements(numAxes));
    return needs[index];
  }

  func::FuncOp function;
  MeshOp mesh;
  StringRef tpAxis;
  unsigned numAxes;
  DenseMap<Value, Placements> layouts;
  DenseMap<Operation *, SmallVector<Placements>> operandNeeds;
  /// Per factor of the op being visited, the ranks that split it so far.
  SmallVector<int64_t> factorSplits;
};

} // namespace

SmallVector<std::optional<Placement>>
LayoutPropagation::getKnownNeeds(Operation *op, unsigned axis) {
  SmallVector<std::optional<Placement>> known(op->getNumResults());
  // Only on the tensor-parallel axis: on a data-parallel one the gradients
  // stay partial sums over the split batch and are all-reduced, as DDP does;
  // gathering the batch instead may move fewer bytes but would compute every
  // gradient on every rank.
  if (!isTPAxis(axis))
    return known;
  for (auto [index, result] : llvm::enumerate(op->getResults()))
    for (Operation *user : result.getUsers())
      if (auto update = dyn_cast<ParameterUpdateOpInterface>(user))
        if (update.getGrad() == result)
          known[index] = layouts.lookup(update.getParam())[axis];
  return known;
}

double LayoutPropagation::getCost(Operation *op, Value operand, Placement need,
                                  unsigned axis) {
  auto type = cast<RankedTensorType>(operand.getType());
  const Placements &current = layouts[operand];
  // A redistribution an earlier user already needs is made once and shared
  // (tp-reshard reuses it): the input gradient of a row-wise layer and its
  // weight gradient read one all-reduced output gradient.
  if (current[axis] != need)
    for (Operation *user : operand.getUsers()) {
      // `op`'s own needs on this axis are what is being decided.
      auto needs = operandNeeds.find(user);
      if (user == op)
        continue;
      if (needs == operandNeeds.end())
        continue;
      for (OpOperand &use : user->getOpOperands())
        if (use.get() == operand &&
            needs->second[use.getOperandNumber()][axis] == need)
          return 0.0;
    }
  // Sizes too large for the buffer plan cost the most; tp-report and the
  // lowering reject them.
  double bytes = getNumBytes(type).value_or(
      static_cast<double>(std::numeric_limits<int64_t>::max()));
  // What this rank holds: the tensor divided by every axis that splits it.
  for (unsigned other = 0; other < numAxes; ++other)
    if (current[other].isShard())
      bytes /= axisSize(other);
  return getReshardBytes(current[axis], need, axisSize(axis), bytes);
}

LogicalResult LayoutPropagation::initializeArguments() {
  // Every rank of a tensor-parallel group sees the same inputs; any other
  // axis splits the batch (dim 0), as data parallelism does.
  for (BlockArgument argument : function.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type)
      return function.emitError("argument #")
             << argument.getArgNumber() << " is not a ranked tensor";
    Placements &placements = layouts[argument];
    placements.assign(numAxes, Placement::replicate());
    for (unsigned axis = 0; axis < numAxes; ++axis) {
      if (isTPAxis(axis) || type.getRank() == 0)
        continue;
      if (type.getDimSize(0) % axisSize(axis) != 0)
        return function.emitError("input #")
               << argument.getArgNumber() << ": batch dim of size "
               << type.getDimSize(0)
               << " does not divide evenly over mesh axis '" << axisName(axis)
               << "' (" << axisSize(axis) << " ranks)";
      placements[axis] = Placement::shard(0);
    }
  }
  return success();
}

LogicalResult LayoutPropagation::run() {
  if (failed(initializeArguments()))
    return failure();
  // Styled layers may insert annotations; walk a snapshot of the ops.
  SmallVector<Operation *> ops;
  for (Operation &op : function.getBody().front())
    ops.push_back(&op);
  for (Operation *op : ops)
    if (failed(visit(op)))
      return failure();
  propagateBackward();
  writeAttributes();
  return success();
}

LogicalResult LayoutPropagation::visit(Operation *op) {
  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    setReturnNeeds(ret);
    return success();
  }
  for (Type type :
       llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
    if (!isa<RankedTensorType>(type))
      return op->emitOpError("has a value of type ")
             << type << "; tp-propagate lays out ranked tensors only";
  if (isCollective(op))
    return op->emitOpError("is a collective; tp-propagate runs on a global "
                           "program without collectives");
  if (auto get = dyn_cast<GetParameterOp>(op))
    return visitParameter(get);
  if (auto annotate = dyn_cast<AnnotateOp>(op)) {
    Placements pinned(annotate.getLayout().getPlacements());
    needOf(op, 0) = pinned;
    layouts[annotate.getResult()] = pinned;
    return success();
  }
  if (auto update = dyn_cast<ParameterUpdateOpInterface>(op)) {
    // An update writes its operands' storage in place: every operand takes
    // the parameter's layout, and the gradient is redistributed to it.
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      needOf(op, i) = layouts[update.getParam()];
    return success();
  }
  if (auto ruleOp = dyn_cast<ShardingRuleOpInterface>(op))
    return visitWithRule(op, ruleOp);
  // An op without a rule is computed where all its data is.
  for (unsigned i = 0; i < op->getNumOperands(); ++i)
    needOf(op, i).assign(numAxes, Placement::replicate());
  for (Value result : op->getResults())
    layouts[result].assign(numAxes, Placement::replicate());
  return success();
}

LogicalResult LayoutPropagation::visitParameter(GetParameterOp op) {
  // A weight is laid out the way the first styled layer that uses it needs
  // it; other users get it redistributed.
  Placements &placements = layouts[op.getResult()];
  placements.assign(numAxes, Placement::replicate());
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : op->getUses())
    uses.push_back(&use);
  llvm::sort(uses, [](OpOperand *a, OpOperand *b) {
    if (a->getOwner() == b->getOwner())
      return a->getOperandNumber() < b->getOperandNumber();
    return a->getOwner()->isBeforeInBlock(b->getOwner());
  });
  // Optimizer state is laid out as its parameter, which the update reads
  // before it (tp-autodiff reads the state at the update).
  for (OpOperand *use : uses)
    if (auto update = dyn_cast<ParameterUpdateOpInterface>(use->getOwner()))
      if (update.getParam() != op.getResult()) {
        placements = Placements(layouts.lookup(update.getParam()));
        return success();
      }
  for (unsigned axis = 0; axis < numAxes; ++axis) {
    if (!isTPAxis(axis))
      continue;
    for (OpOperand *use : uses) {
      auto ruleOp = dyn_cast<ShardingRuleOpInterface>(use->getOwner());
      if (!ruleOp)
        continue;
      FailureOr<std::optional<Candidate>> styled =
          getStyledCandidate(use->getOwner(), ruleOp.getShardingRule(), axis);
      if (failed(styled))
        return failure();
      if (!*styled)
        continue;
      // A checkpoint holds complete weights: one that a layer adds as a
      // partial sum (a row-wise bias) is loaded whole and scaled by reshard.
      Placement need = (*styled)->operands[use->getOperandNumber()];
      placements[axis] = need.isPartial() ? Placement::replicate() : need;
      break;
    }
  }
  return success();
}

FailureOr<std::optional<Candidate>>
LayoutPropagation::getStyledCandidate(Operation *op, const ShardingRule &rule,
                                      unsigned axis) {
  auto style = op->getAttrOfType<StyleAttr>(kStyleAttrName);
  if (!style || !isTPAxis(axis))
    return std::optional<Candidate>();
  if (style.getKind() == ParallelStyleKind::Replicate)
    return std::optional<Candidate>(replicatedCandidate(op));
  FailureOr<StyleSplit> split =
      cast<LayerOpInterface>(op).getStyleSplit(style.getKind(), rule);
  if (failed(split))
    return failure();
  int64_t factor = split->factor;
  int64_t size = rule.factorSizes[factor];
  std::optional<Candidate> candidate =
      splitFactor(rule, factor, axisSize(axis), splitsOf(factor));
  if (!candidate)
    return op->emitOpError("layer '")
           << cast<LayerOpInterface>(op).getLayer() << "' is "
           << stringifyParallelStyleKind(style.getKind()) << " over mesh axis '"
           << axisName(axis) << "' (" << axisSize(axis) << " ranks) but its "
           << size << " " << split->what << " do not divide evenly";
  return candidate;
}

FailureOr<Candidate>
LayoutPropagation::chooseCandidate(Operation *op, const ShardingRule &rule,
                                   unsigned axis) {
  FailureOr<std::optional<Candidate>> styled =
      getStyledCandidate(op, rule, axis);
  if (failed(styled))
    return failure();
  if (*styled)
    return **styled;

  SmallVector<Placement> current;
  for (Value operand : op->getOperands())
    current.push_back(layouts[operand][axis]);

  // Candidates in tie-break order: a partial sum flowing on, then splits
  // suggested by split operands (in factor order), then full replication.
  SmallVector<Candidate> candidates;
  unsigned numResults = op->getNumResults();
  auto partialResults =
      SmallVector<Placement>(numResults, Placement::partial());
  if (rule.partialFlow == ShardingRule::PartialFlow::AllOperands &&
      llvm::all_of(current, [](Placement p) { return p.isPartial(); }))
    candidates.push_back({current, partialResults});
  if (rule.partialFlow == ShardingRule::PartialFlow::OneOperand) {
    for (unsigned index : rule.linearOperands) {
      if (!current[index].isPartial())
        continue;
      Candidate candidate = replicatedCandidate(op);
      candidate.operands[index] = Placement::partial();
      candidate.results = partialResults;
      candidates.push_back(candidate);
    }
  }
  SmallVector<int64_t> suggested;
  for (auto [index, placement] : llvm::enumerate(current))
    if (placement.isShard())
      if (std::optional<int64_t> factor =
              getMajorFactor(rule.operandDims[index][placement.getDim()]))
        suggested.push_back(*factor);
  // A gradient's layout is known before it is computed: its parameter's,
  // which the update needs. Splitting the factor that gives it is a
  // candidate, and every candidate pays for redistributing its result to it.
  SmallVector<std::optional<Placement>> known = getKnownNeeds(op, axis);
  for (auto [index, need] : llvm::enumerate(known))
    if (need && need->isShard())
      if (std::optional<int64_t> factor =
              getMajorFactor(rule.resultDims[index][need->getDim()]))
        suggested.push_back(*factor);
  llvm::sort(suggested);
  suggested.erase(llvm::unique(suggested), suggested.end());
  for (int64_t factor : suggested)
    if (std::optional<Candidate> candidate =
            splitFactor(rule, factor, axisSize(axis), splitsOf(factor)))
      candidates.push_back(*candidate);
  candidates.push_back(replicatedCandidate(op));

  double bestCost = std::numeric_limits<double>::infinity();
  const Candidate *best = &candidates.back();
  for (const Candidate &candidate : candidates) {
    double cost = 0.0;
    for (auto [index, operand] : llvm::enumerate(op->getOperands()))
      cost += getCost(op, operand, candidate.operands[index], axis);
    for (auto [index, need] : llvm::enumerate(known))
      if (need)
        cost += getReshardBytes(
            candidate.results[index], *need, axisSize(axis),
            getNumBytes(cast<RankedTensorType>(op->getResult(index).getType()))
                .value_or(0));
    LLVM_DEBUG(llvm::dbgs() << op->getName() << " axis " << axis << ": cost "
                            << cost << "\n");
    if (cost < bestCost) {
      bestCost = cost;
      best = &candidate;
    }
  }
  return *best;
}

Value LayoutPropagation::pin(OpBuilder &builder, Value value, Placement pin,
                             unsigned axis, const std::string &why) {
  Placements pinned = layouts[value];
  pinned[axis] =
      resolve(pin, cast<RankedTensorType>(value.getType()).getRank());
  if (pinned == layouts[value])
    return value;
  auto annotate =
      AnnotateOp::create(builder, value.getLoc(), value,
                         LayoutAttr::get(value.getContext(),
                                         FlatSymbolRefAttr::get(mesh), pinned));
  annotate->setAttr(kReasonAttrName, builder.getStringAttr(why));
  needOf(annotate, 0) = pinned;
  layouts[annotate.getResult()] = pinned;
  return annotate.getResult();
}

LogicalResult LayoutPropagation::visitWithRule(Operation *op,
                                               ShardingRuleOpInterface ruleOp) {
  auto style = op->getAttrOfType<StyleAttr>(kStyleAttrName);
  unsigned styledAxis = 0;
  if (style) {
    // The verifier checked that the style fits and splits the
    // tensor-parallel axis.
    styledAxis = *mesh.getAxisIndex(style.getAxis().getValue());
    if (std::optional<Placement> input = style.getInputLayout()) {
      OpBuilder builder(op);
      op->setOperand(
          0, pin(builder, op->getOperand(0), *input, styledAxis,
                 "the input layout of " + describeProducer(op->getResult(0))));
    }
  }

  ShardingRule rule = ruleOp.getShardingRule();
  bool split = false;
  factorSplits.assign(rule.factorSizes.size(), 1);
  llvm::scope_exit clearSplits([&] { factorSplits.clear(); });
  for (unsigned axis = 0; axis < numAxes; ++axis) {
    FailureOr<Candidate> candidate = chooseCandidate(op, rule, axis);
    if (failed(candidate))
      return failure();
    if (candidate->factor)
      factorSplits[*candidate->factor] *= axisSize(axis);
    for (auto [index, placement] : llvm::enumerate(candidate->operands))
      needOf(op, index)[axis] = placement;
    for (auto [result, placement] :
         llvm::zip(op->getResults(), candidate->results)) {
      Placements &placements = layouts[result];
      placements.resize(numAxes);
      placements[axis] = placement;
      split |= !placement.isReplicate();
    }
  }
  ++(split ? numSplitOps : numReplicatedOps);

  if (!style)
    return success();
  // PyTorch's default output layouts: row-wise layers deliver a complete
  // (replicated) value, the others what they compute.
  std::optional<Placement> output = style.getOutputLayout();
  if (!output && style.getKind() == ParallelStyleKind::Rowwise)
    output = Placement::replicate();
  if (output) {
    OpBuilder builder(op->getContext());
    builder.setInsertionPointAfter(op);
    Value result = op->getResult(0);
    Value pinned = pin(builder, result, *output, styledAxis,
                       "the output layout of " + describeProducer(result));
    if (pinned != result)
      result.replaceAllUsesExcept(pinned, pinned.getDefiningOp());
  }
  return success();
}

void LayoutPropagation::setReturnNeeds(func::ReturnOp ret) {
  // Outputs leave the program complete: partial sums are reduced; split
  // outputs stay split and are gathered when written.
  for (auto [index, operand] : llvm::enumerate(ret.getOperands())) {
    Placements need = layouts[operand];
    for (Placement &placement : need)
      if (placement.isPartial())
        placement = Placement::replicate();
    needOf(ret, index) = need;
  }
}

void LayoutPropagation::propagateBackward() {
  // The needs on one axis of every use of `value`, if they all ask for the
  // same split.
  auto commonSplit = [&](Value value,
                         unsigned axis) -> std::optional<Placement> {
    std::optional<Placement> common;
    for (OpOperand &use : value.getUses()) {
      Placement need = needOf(use.getOwner(), use.getOperandNumber())[axis];
      if (!need.isShard() || (common && *common != need))
        return std::nullopt;
      common = need;
    }
    return common;
  };

  Block &body = function.getBody().front();
  for (Operation &op : llvm::reverse(body)) {
    if (op.getNumResults() != 1 || op.hasAttr(kStyleAttrName) ||
        isa<AnnotateOp>(op))
      continue;
    Value result = op.getResult(0);
    for (unsigned axis = 0; axis < numAxes; ++axis) {
      if (!layouts[result][axis].isReplicate())
        continue;
      std::optional<Placement> split = commonSplit(result, axis);
      if (!split)
        continue;
      if (isa<GetParameterOp>(op)) {
        layouts[result][axis] = *split;
        continue;
      }
      auto ruleOp = dyn_cast<ShardingRuleOpInterface>(op);
      if (!ruleOp)
        continue;
      ShardingRule rule = ruleOp.getShardingRule();
      std::optional<int64_t> factor =
          getMajorFactor(rule.resultDims[0][split->getDim()]);
      if (!factor)
        continue;
      // The ranks the other axes already split the factor over.
      int64_t alreadySplit = 1;
      for (unsigned other = 0; other < numAxes; ++other) {
        Placement placement = layouts[result][other];
        if (other != axis && placement.isShard() &&
            getMajorFactor(rule.resultDims[0][placement.getDim()]) == factor)
          alreadySplit *= axisSize(other);
      }
      std::optional<Candidate> candidate =
          splitFactor(rule, *factor, axisSize(axis), alreadySplit);
      // Only where the operands are replicated, so that taking their slices
      // moves nothing.
      if (!candidate ||
          llvm::any_of(llvm::enumerate(op.getOperands()), [&](auto operand) {
            Placement current = layouts[operand.value()][axis];
            Placement need = candidate->operands[operand.index()];
            return !current.isReplicate() && current != need;
          }))
        continue;
      LLVM_DEBUG(llvm::dbgs() << "backward: splitting " << op.getName()
                              << " on axis " << axis << "\n");
      for (auto [index, placement] : llvm::enumerate(candidate->operands))
        needOf(&op, index)[axis] = placement;
      layouts[result][axis] = candidate->results[0];
    }
  }
  for (BlockArgument argument : function.getArguments())
    for (unsigned axis = 0; axis < numAxes; ++axis)
      if (layouts[argument][axis].isReplicate())
        if (std::optional<Placement> split = commonSplit(argument, axis))
          layouts[argument][axis] = *split;
}

void LayoutPropagation::writeAttributes() {
  MLIRContext *context = function.getContext();
  auto meshRef = FlatSymbolRefAttr::get(mesh);
  auto toAttr = [&](const Placements &placements) -> Attribute {
    return LayoutAttr::get(context, meshRef, placements);
  };
  for (BlockArgument argument : function.getArguments())
    function.setArgAttr(argument.getArgNumber(), kLayoutAttrName,
                        toAttr(layouts[argument]));
  for (Operation &op : function.getBody().front()) {
    auto needs = operandNeeds.find(&op);
    if (isa<func::ReturnOp>(op)) {
      if (needs == operandNeeds.end())
        continue;
      for (auto [index, need] : llvm::enumerate(needs->second))
        function.setResultAttr(index, kLayoutAttrName, toAttr(need));
      continue;
    }
    if (needs != operandNeeds.end())
      op.setAttr(
          kOperandLayoutsAttrName,
          ArrayAttr::get(context, llvm::map_to_vector(needs->second, toAttr)));
    if (op.getNumResults() != 0)
      op.setAttr(
          kResultLayoutsAttrName,
          ArrayAttr::get(
              context, llvm::map_to_vector(op.getResults(), [&](Value result) {
                return toAttr(layouts[result]);
              })));
  }
}

namespace {
struct PropagatePass : public tp::impl::PropagateBase<PropagatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MeshOp mesh;
    func::FuncOp function;
    if (failed(getMeshAndModel(module, mesh, function)))
      return signalPassFailure();
    auto tpAxis = module->getAttrOfType<StringAttr>(kTPAxisAttrName);
    if (!tpAxis) {
      module.emitError("the module does not say which mesh axis is "
                       "tensor-parallel (tp.tp_axis); run tp-apply-plan first");
      return signalPassFailure();
    }
    if (!mesh.getAxisIndex(tpAxis.getValue())) {
      module.emitError("tensor-parallel axis '")
          << tpAxis.getValue() << "' is not an axis of mesh '"
          << mesh.getSymName() << "'";
      return signalPassFailure();
    }
    LayoutPropagation propagation(function, mesh, tpAxis.getValue());
    if (failed(propagation.run()))
      return signalPassFailure();
    numSplitOps += propagation.numSplitOps;
    numReplicatedOps += propagation.numReplicatedOps;
  }
};
} // namespace
