//===- ReplicateKVHeads.cpp - key/value heads for more ranks than heads ---===//
//
// This file implements tp-replicate-kv-heads: grouped-query attention whose
// key/value heads are fewer than the ranks of the tensor-parallel axis reads
// its key and value projections with each head repeated, so that each rank
// holds the one key/value head its query heads use, as Megatron replicates
// them, and the attention shards on heads with no gather.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::tp {
#define GEN_PASS_DEF_REPLICATEKVHEADS
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct ReplicateKVHeadsPass
    : public tp::impl::ReplicateKVHeadsBase<ReplicateKVHeadsPass> {
  void runOnOperation() override;
};

/// A key or value of attention as a projection makes it:
/// [rope](reshape(linear(x, weight [, bias]))), each value used once.
struct HeadsChain {
  LinearOp projection;
  ReshapeOp heads;
  RoPEOp rope;
};
} // namespace

/// The chain that makes `value` from a column-wise projection of parameters
/// read whole, or nothing.
static std::optional<HeadsChain> matchChain(Value value) {
  HeadsChain chain{};
  if (!value.hasOneUse())
    return std::nullopt;
  if ((chain.rope = value.getDefiningOp<RoPEOp>())) {
    value = chain.rope.getInput();
    if (!value.hasOneUse())
      return std::nullopt;
  }
  chain.heads = value.getDefiningOp<ReshapeOp>();
  if (!chain.heads || !chain.heads.getInput().hasOneUse())
    return std::nullopt;
  chain.projection = chain.heads.getInput().getDefiningOp<LinearOp>();
  if (!chain.projection)
    return std::nullopt;
  auto style = chain.projection->getAttrOfType<StyleAttr>(kStyleAttrName);
  if (!style || style.getKind() != ParallelStyleKind::Colwise)
    return std::nullopt;
  SmallVector<Value, 2> weights = {chain.projection.getWeight()};
  if (Value bias = chain.projection.getBias())
    weights.push_back(bias);
  for (Value weight : weights) {
    auto read = weight.getDefiningOp<GetParameterOp>();
    if (!read || read.getRows() || read.getRepeat() || read.getLayout())
      return std::nullopt;
  }
  return chain;
}

/// Reads the weight `value` (a tp.get_parameter) with each `block` rows
/// repeated `times` times, just after the original read.
static Value readRepeated(Value value, int64_t block, int64_t times) {
  auto read = value.getDefiningOp<GetParameterOp>();
  RankedTensorType type = read.getType();
  SmallVector<int64_t> shape(type.getShape());
  shape[0] *= times;
  OpBuilder builder(read);
  builder.setInsertionPointAfter(read);
  return GetParameterOp::create(builder, read.getLoc(), type.clone(shape),
                                read.getNameAttr(), DenseI64ArrayAttr(),
                                builder.getDenseI64ArrayAttr({block, times}),
                                LayoutAttr());
}

/// Makes `chain` yield `times` copies of each of its heads of `headDim`.
static void repeatHeads(HeadsChain chain, int64_t headDim, int64_t times) {
  LinearOp projection = chain.projection;
  projection.getWeightMutable().assign(
      readRepeated(projection.getWeight(), headDim, times));
  if (Value bias = projection.getBias())
    projection.getBiasMutable().assign(readRepeated(bias, headDim, times));
  auto widen = [&](Value value, int64_t dim) {
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] *= times;
    value.setType(type.clone(shape));
  };
  widen(projection.getResult(), projection.getResult().getType().getRank() - 1);
  widen(chain.heads.getResult(), 2);
  if (chain.rope)
    widen(chain.rope.getResult(), 2);
}

void ReplicateKVHeadsPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto axis = module->getAttrOfType<StringAttr>(kTPAxisAttrName);
  FailureOr<func::FuncOp> function = getModelFunction(module);
  // A training step's backward would need the heads' gradients summed back.
  if (!axis || failed(function) || (*function)->hasAttr(kTrainingAttrName))
    return;
  SmallVector<AttentionOp> attentions(function->getOps<AttentionOp>());
  for (AttentionOp attention : attentions) {
    std::optional<HeadsChain> key = matchChain(attention.getKey());
    std::optional<HeadsChain> value = matchChain(attention.getValue());
    if (!key || !value)
      continue;
    auto style = key->projection->getAttrOfType<StyleAttr>(kStyleAttrName);
    auto mesh = SymbolTable::lookupNearestSymbolFrom<MeshOp>(attention,
                                                             style.getMesh());
    std::optional<unsigned> index =
        mesh ? mesh.getAxisIndex(style.getAxis()) : std::nullopt;
    if (!index)
      continue;
    int64_t ranks = mesh.getAxisSizes()[*index];
    ArrayRef<int64_t> q = attention.getQuery().getType().getShape();
    ArrayRef<int64_t> k = attention.getKey().getType().getShape();
    if (k[2] >= ranks || ranks % k[2] != 0 || q[2] % ranks != 0)
      continue;
    int64_t times = ranks / k[2];
    repeatHeads(*key, k[3], times);
    repeatHeads(*value, k[3], times);
    ++numReplicated;
  }
  // The reads the repeated ones replace.
  for (auto read :
       llvm::make_early_inc_range(function->getOps<GetParameterOp>()))
    if (read->use_empty())
      read.erase();
}
