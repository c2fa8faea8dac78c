//===- TPToRuntime.cpp - lower a rank's program to runtime calls ----------===//
//
// This file implements convert-tp-to-runtime: it plans the buffers of a
// rank's program, emits `tp_model_forward` as one runtime call per op in the
// LLVM dialect, the calls of each repeated block (`layers.3`) in a function
// of their own, and emits `tp_model_manifest` (Manifest.cpp). Each op is
// lowered by one `lowerOp` overload, grouped below by the runtime's op
// families (tprt_calls.def); the calls are typed by RuntimeCalls.h, so their
// arguments are checked against tprt.h when this file compiles.
//
//===----------------------------------------------------------------------===//

// An argument of a runtime call left out is an error, not a null operand.
#pragma GCC diagnostic error "-Wmissing-field-initializers"

#include "tp/Conversion/Passes.h"
#include "tp/Conversion/TPToRuntime/BufferPlan.h"
#include "tp/Conversion/TPToRuntime/Manifest.h"
#include "tp/Conversion/TPToRuntime/RuntimeCalls.h"
#include "tp/Dialect/TP/Transforms/RankReport.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tp {
#define GEN_PASS_DEF_CONVERTTPTORUNTIME
#include "tp/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

static int64_t product(ArrayRef<int64_t> sizes) {
  int64_t result = 1;
  for (int64_t size : sizes)
    result *= size;
  return result;
}

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// The layer a runtime call of `op` belongs to: its own; for a collective,
/// the layer whose value it moves.
static std::optional<StringRef> getCallLayer(Operation *op) {
  return isCollective(op) ? getCausingLayer(op) : getLayerName(op);
}

/// The repeated block a layer is part of: its module path up to the first
/// index (`layers.3` of `layers.3.attention.wq`), as PyTorch names the
/// members of a ModuleList; none for a layer outside one (`norm`).
static std::optional<StringRef> getRepeatedBlock(StringRef layer) {
  SmallVector<StringRef> path;
  layer.split(path, '.');
  size_t length = 0;
  for (StringRef module : path) {
    length += module.size();
    if (!module.empty() && llvm::all_of(module, llvm::isDigit))
      return layer.take_front(length);
    ++length; // the dot
  }
  return std::nullopt;
}

namespace {
/// Consecutive ops of the model function that belong to one repeated block,
/// or to none.
struct OpRun {
  std::optional<StringRef> block;
  SmallVector<Operation *> ops;
};
} // namespace

/// Splits the model function into runs of ops of one repeated block. An op
/// that names no layer (an add, a reshape) stays in the run before it; a
/// block appears in several runs where the step returns to it (the backward
/// pass of a layer comes long after its forward).
static SmallVector<OpRun> splitIntoRuns(func::FuncOp function) {
  SmallVector<OpRun> runs;
  for (Operation &op : function.getBody().front()) {
    std::optional<StringRef> layer = getCallLayer(&op);
    std::optional<StringRef> block =
        layer ? getRepeatedBlock(*layer)
              : (runs.empty() ? std::nullopt : runs.back().block);
    if (runs.empty() || runs.back().block != block)
      runs.push_back({block, {}});
    runs.back().ops.push_back(&op);
  }
  return runs;
}

namespace {

/// Emits tp_model_forward and tp_model_manifest for one rank's program.
class RuntimeEmitter {
public:
  RuntimeEmitter(ModuleOp module, MeshOp mesh, func::FuncOp function,
                 StringRef symbolPrefix)
      : module(module), mesh(mesh), function(function),
        symbolPrefix(symbolPrefix), symbols(module),
        builder(module.getContext()) {
    MLIRContext *context = module.getContext();
    ptrType = LLVM::LLVMPointerType::get(context);
    i64Type = IntegerType::get(context, 64);
    i32Type = IntegerType::get(context, 32);
    i8Type = IntegerType::get(context, 8);
    f64Type = Float64Type::get(context);
  }

  LogicalResult emit();

private:
  LogicalResult checkTypes();
  /// Creates a function `name(ctx, arena, params)` of the step, at the end of
  /// the module, ended by a return.
  LLVM::LLVMFuncOp createStepFunction(StringRef name, LLVM::Linkage linkage);
  /// Moves emission to the end of `stepFunction`, before its return.
  void emitInto(LLVM::LLVMFuncOp stepFunction);
  /// Lowers one op of the program; ops that need no call return at once.
  LogicalResult lower(Operation *op);

  // One overload per op, by family (tprt_calls.def).
  // Linear.
  void lowerOp(LinearOp op);
  void lowerOp(MatmulOp op);
  void lowerOp(EmbeddingOp op);
  void lowerOp(LinearInputGradOp op);
  void lowerOp(LinearWeightGradOp op);
  void lowerOp(EmbeddingGradOp op);
  /// Where a table's rows lie: this rank's first row (computed at run time
  /// from its mesh coordinates) and the rows of the whole table.
  struct TableRows {
    Value offset;
    int64_t total;
  };
  TableRows getTableRows(Operation *op, Value table, LayoutAttr layout);
  // Elementwise, layout and reductions.
  void lowerOp(AddOp op) { lowerBinary<runtime::add>(op); }
  void lowerOp(MulOp op);
  void lowerOp(SiLUOp op) { lowerUnary<runtime::silu>(op); }
  void lowerOp(SiLUGradOp op);
  void lowerOp(ReLUOp op) { lowerUnary<runtime::relu>(op); }
  void lowerOp(ReLUGradOp op);
  void lowerOp(GELUGradOp op);
  void lowerOp(GELUOp op);
  void lowerOp(ScaleOp op);
  void lowerOp(TransposeOp op);
  void lowerOp(SumOp op);
  void lowerOp(BroadcastOp op);
  void lowerOp(FillOp op);
  // Normalization.
  void lowerOp(RMSNormOp op);
  void lowerOp(LayerNormOp op);
  void lowerOp(SoftmaxOp op);
  void lowerOp(CrossEntropyOp op);
  void lowerOp(RMSNormInputGradOp op);
  void lowerOp(RMSNormWeightGradOp op);
  void lowerOp(LayerNormInputGradOp op);
  void lowerOp(LayerNormWeightGradOp op);
  void lowerOp(SoftmaxGradOp op);
  void lowerOp(CrossEntropyGradOp op);
  /// Where a loss's classes lie (loss_parallel): this rank's first class,
  /// the classes of the whole logits, and the mesh axes splitting them.
  struct ClassSplit {
    Value offset;
    int64_t total;
    int64_t axisMask;
  };
  ClassSplit getClassSplit(Operation *op);
  /// Lowers a norm's backward for its input or weight: the same arguments.
  template <typename Call, typename Op> void lowerNormInputGrad(Op op);
  template <typename Call, typename Op> void lowerNormWeightGrad(Op op);
  // Attention.
  void lowerOp(RoPEOp op);
  void lowerOp(AttentionOp op);
  void lowerOp(RoPEGradOp op);
  void lowerOp(AttentionGradOp op);
  /// Lowers rope or rope_grad, which rotates `input`: the same arguments.
  template <typename Call, typename Op> void lowerRope(Op op, Value input);
  // Optimizer.
  LogicalResult checkUpdatedOnce(ParameterUpdateOpInterface update);
  void lowerOp(SGDOp op);
  void lowerOp(AdamWOp op);
  void lowerOp(SGDMasterOp op);
  void lowerOp(AdamWMasterOp op);
  /// The name the messages of an update give it: its parameter's.
  Value parameterName(ParameterUpdateOpInterface update) {
    return globalString(
        update.getParam().getDefiningOp<GetParameterOp>().getName());
  }
  /// The optimizer step number, fetched once at the start of each function
  /// of the step that needs it.
  Value getStepNumber();
  // Collectives.
  void lowerOp(AllReduceOp op);
  void lowerOp(WaitOp op);
  void lowerOp(AllGatherOp op) {
    lowerPieceCopy<runtime::all_gather>(op, op.getInput());
  }
  void lowerOp(ReduceScatterOp op);
  void lowerOp(AllToAllOp op);
  void lowerOp(LocalSliceOp op) {
    lowerPieceCopy<runtime::local_slice>(op, op.getResult());
  }

  /// Lowers an op `y = f(x)` to a call of (x, y, count).
  template <typename Call, typename Op> void lowerUnary(Op op);
  /// Lowers an op `y = f(a, b)` to a call of (a, b, y, count).
  template <typename Call, typename Op> void lowerBinary(Op op);

  /// Lowers a collective that copies pieces of `dim` (x, y, outer,
  /// inner_bytes), one of which is `piece`.
  template <typename Call, typename Op> void lowerPieceCopy(Op op, Value piece);

  /// Calls the runtime function of `call` (a struct of RuntimeCalls.h),
  /// declaring it on first use; returns its result, if it has one.
  template <typename Call> Value emitCall(const Call &call);

  Value pointerTo(Value tensor);
  /// The workspace the buffer plan gave `op`.
  Value workspaceOf(Operation *op);
  Value constant(int64_t value) {
    return LLVM::ConstantOp::create(builder, loc, i64Type,
                                    builder.getI64IntegerAttr(value));
  }
  Value constantF64(double value) {
    return LLVM::ConstantOp::create(builder, loc, f64Type,
                                    builder.getF64FloatAttr(value));
  }
  Value constantI32(int32_t value) {
    return LLVM::ConstantOp::create(builder, loc, i32Type,
                                    builder.getI32IntegerAttr(value));
  }
  Value null() { return LLVM::ZeroOp::create(builder, loc, ptrType); }
  /// The tprt_dtype argument of a call on float tensors of `tensor`'s type.
  Value dtypeOf(Value tensor) {
    Type element = cast<RankedTensorType>(tensor.getType()).getElementType();
    return constantI32(*getRuntimeDType(element));
  }
  /// The tprt_rope_convention argument of a rotary embedding's `convention`.
  Value conventionOf(RopeConvention convention) {
    return constantI32(convention == RopeConvention::Half
                           ? TPRT_ROPE_HALF
                           : TPRT_ROPE_INTERLEAVED);
  }
  /// The element count of `tensor`, as a constant.
  Value countOf(Value tensor) { return constant(product(shapeOf(tensor))); }
  Value globalString(StringRef text);
  Value globalI64Array(ArrayRef<int64_t> values);
  Value globalF64Array(ArrayRef<double> values);
  Value nullPointer();
  /// What the runtime's messages name a call of `op` by: its layer; for a
  /// collective, the layer whose value it moves; else the op's name without
  /// the dialect ("transpose").
  Value layerName(Operation *op);
  int64_t axisMask(ArrayAttr axes);
  /// The bytes of one element of `tensor`.
  int64_t elementBytes(Value tensor) {
    return llvm::divideCeil(
        cast<RankedTensorType>(tensor.getType()).getElementTypeBitWidth(), 8);
  }

  ModuleOp module;
  MeshOp mesh;
  func::FuncOp function;
  /// `<symbolPrefix>_forward` and `<symbolPrefix>_manifest` are exported.
  std::string symbolPrefix;
  /// The module's symbols, looked up by name rather than by a scan of the
  /// module per call, which a deep model makes quadratic.
  SymbolTable symbols;
  OpBuilder builder;
  Location loc = UnknownLoc::get(module.getContext());
  Type ptrType, i64Type, i32Type, i8Type, f64Type;
  /// The arguments of the function of the step being emitted.
  Value context, arena, params;
  /// The optimizer step number in each function of the step that needs it.
  DenseMap<Block *, Value> stepNumbers;
  BufferPlan plan;
  /// The request number of each async collective started and not yet
  /// waited for.
  llvm::DenseMap<Operation *, int64_t> pendingRequests;
  llvm::StringMap<LLVM::GlobalOp> strings;
  unsigned numGlobals = 0;
  double flops = 0;
};

} // namespace

LogicalResult RuntimeEmitter::checkTypes() {
  auto check = [&](Value value, Operation *where) -> LogicalResult {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (type && getDTypeName(type.getElementType()))
      return success();
    return where->emitError("the runtime supports f32, f16 and bf16 tensors "
                            "and i64 token ids; got ")
           << value.getType();
  };
  for (BlockArgument argument : function.getArguments())
    if (failed(check(argument, function)))
      return failure();
  WalkResult walk = function.walk([&](Operation *op) {
    for (Value result : op->getResults())
      if (failed(check(result, op)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

Value RuntimeEmitter::pointerTo(Value tensor) {
  // An i64 index: offsets of large models do not fit GEP's i32 constants.
  BufferPlan::Slot slot = plan.slots.lookup(tensor);
  Value offset = constant(slot.offset);
  return LLVM::GEPOp::create(builder, loc, ptrType, i8Type,
                             slot.isParameter ? params : arena,
                             ArrayRef<LLVM::GEPArg>{offset});
}

Value RuntimeEmitter::workspaceOf(Operation *op) {
  return LLVM::GEPOp::create(
      builder, loc, ptrType, i8Type, arena,
      ArrayRef<LLVM::GEPArg>{constant(plan.workspaces.lookup(op))});
}

Value RuntimeEmitter::globalString(StringRef text) {
  LLVM::GlobalOp &global = strings[text];
  if (!global) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(module.getBody());
    std::string data = (text + Twine('\0')).str();
    global = LLVM::GlobalOp::create(
        builder, loc, LLVM::LLVMArrayType::get(i8Type, data.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal,
        "tp_str_" + std::to_string(numGlobals++), builder.getStringAttr(data));
  }
  return LLVM::AddressOfOp::create(builder, loc, global);
}

/// The address of a new constant global array of `values` of
/// `elementType`.
template <typename T>
static Value globalArray(OpBuilder &builder, Location loc, ModuleOp module,
                         Type elementType, ArrayRef<T> values,
                         const std::string &name) {
  LLVM::GlobalOp global;
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(module.getBody());
    auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      elementType);
    global = LLVM::GlobalOp::create(
        builder, loc, LLVM::LLVMArrayType::get(elementType, values.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal, name,
        DenseElementsAttr::get(type, values));
  }
  return LLVM::AddressOfOp::create(builder, loc, global);
}

Value RuntimeEmitter::globalI64Array(ArrayRef<int64_t> values) {
  return globalArray(builder, loc, module, i64Type, values,
                     "tp_dims_" + std::to_string(numGlobals++));
}

Value RuntimeEmitter::globalF64Array(ArrayRef<double> values) {
  return globalArray(builder, loc, module, builder.getF64Type(), values,
                     "tp_f64_" + std::to_string(numGlobals++));
}

Value RuntimeEmitter::nullPointer() {
  return LLVM::ZeroOp::create(builder, loc,
                              LLVM::LLVMPointerType::get(builder.getContext()));
}

Value RuntimeEmitter::layerName(Operation *op) {
  std::optional<StringRef> layer = getCallLayer(op);
  return globalString(layer ? *layer : op->getName().stripDialect());
}

int64_t RuntimeEmitter::axisMask(ArrayAttr axes) {
  int64_t mask = 0;
  for (Attribute axis : axes)
    mask |= int64_t(1) << *mesh.getAxisIndex(cast<StringAttr>(axis).getValue());
  return mask;
}

template <typename Call> Value RuntimeEmitter::emitCall(const Call &call) {
  MLIRContext *context = module.getContext();
  auto callee = symbols.lookup<LLVM::LLVMFuncOp>(Call::symbol);
  if (!callee) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    callee = LLVM::LLVMFuncOp::create(builder, loc, Call::symbol,
                                      Call::getFunctionType(context));
    symbols.insert(callee);
  }
  auto op = LLVM::CallOp::create(builder, loc, callee,
                                 call.getOperands(this->context));
  return isa<LLVM::LLVMVoidType>(Call::getResultType(context)) ? Value()
                                                               : op.getResult();
}

LogicalResult RuntimeEmitter::lower(Operation *op) {
  loc = op->getLoc();
  if (isa<GetParameterOp, func::ReturnOp>(op))
    return success();
  if (isa<ReshapeOp>(op))
    return success(); // shares its input's buffer
  if (auto silu = dyn_cast<SiLUOp>(op))
    if (silu->hasOneUse())
      if (auto mul = dyn_cast<MulOp>(*silu->getUsers().begin()))
        if (std::optional<SiLUMul> fused = matchSiLUMul(mul))
          if (fused->silu == silu)
            return success(); // runs inside the mul (tprt_silu_mul)
  if (auto update = dyn_cast<ParameterUpdateOpInterface>(op))
    if (failed(checkUpdatedOnce(update)))
      return failure();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<LinearOp, MatmulOp, EmbeddingOp, LinearInputGradOp,
            LinearWeightGradOp, EmbeddingGradOp, AddOp, MulOp, SiLUOp,
            SiLUGradOp, ReLUOp, ReLUGradOp, GELUOp, GELUGradOp, ScaleOp,
            TransposeOp, SumOp, BroadcastOp, FillOp, RMSNormOp, LayerNormOp,
            SoftmaxOp, CrossEntropyOp, RMSNormInputGradOp, RMSNormWeightGradOp,
            LayerNormInputGradOp, LayerNormWeightGradOp, SoftmaxGradOp,
            CrossEntropyGradOp, RoPEOp, AttentionOp, RoPEGradOp,
            AttentionGradOp, SGDOp, AdamWOp, SGDMasterOp, AdamWMasterOp,
            AllReduceOp, WaitOp, AllGatherOp, ReduceScatterOp, AllToAllOp,
            LocalSliceOp>([&](auto op) {
        lowerOp(op);
        return success();
      })
      .Default([](Operation *op) {
        return op->emitOpError("has no lowering to the runtime");
      });
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

void RuntimeEmitter::lowerOp(LinearOp op) {
  ArrayRef<int64_t> weight = shapeOf(op.getWeight());
  int64_t m = product(shapeOf(op.getInput()).drop_back());
  flops += 2.0 * m * weight[0] * weight[1];
  emitCall(
      runtime::linear{.layer = layerName(op),
                      .dtype = dtypeOf(op.getResult()),
                      .x = pointerTo(op.getInput()),
                      .w = pointerTo(op.getWeight()),
                      .bias = op.getBias() ? pointerTo(op.getBias()) : null(),
                      .y = pointerTo(op.getResult()),
                      .m = constant(m),
                      .n = constant(weight[0]),
                      .k = constant(weight[1])});
}

void RuntimeEmitter::lowerOp(MatmulOp op) {
  ArrayRef<int64_t> lhs = shapeOf(op.getLhs());
  int64_t batch = product(lhs.drop_back(2)), m = lhs[lhs.size() - 2],
          k = lhs.back(), n = shapeOf(op.getRhs()).back();
  flops += 2.0 * batch * m * n * k;
  emitCall(runtime::matmul{.layer = layerName(op),
                           .dtype = dtypeOf(op.getResult()),
                           .a = pointerTo(op.getLhs()),
                           .b = pointerTo(op.getRhs()),
                           .c = pointerTo(op.getResult()),
                           .batch = constant(batch),
                           .m = constant(m),
                           .n = constant(n),
                           .k = constant(k)});
}

RuntimeEmitter::TableRows
RuntimeEmitter::getTableRows(Operation *op, Value table, LayoutAttr layout) {
  // The rank's rows start at its index among the ranks splitting them.
  int64_t rowMask = 0;
  if (layout)
    for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
      if (placement == Placement::shard(0))
        rowMask |= int64_t(1) << axis;
  auto type = cast<RankedTensorType>(table.getType());
  Value groupIndex = emitCall(runtime::group_index{
      .layer = layerName(op), .axis_mask = constant(rowMask)});
  return {LLVM::MulOp::create(builder, loc, groupIndex,
                              constant(type.getDimSize(0))),
          getGlobalShape(mesh, layout, type)[0]};
}

void RuntimeEmitter::lowerOp(EmbeddingOp op) {
  ArrayRef<int64_t> table = shapeOf(op.getTable());
  TableRows rows = getTableRows(op, op.getTable(), getOperandLayout(op, 1));
  emitCall(runtime::embedding{.layer = layerName(op),
                              .dtype = dtypeOf(op.getResult()),
                              .ids = pointerTo(op.getIds()),
                              .table = pointerTo(op.getTable()),
                              .y = pointerTo(op.getResult()),
                              .count = countOf(op.getIds()),
                              .rows = constant(table[0]),
                              .dim = constant(table[1]),
                              .row_offset = rows.offset,
                              .total_rows = constant(rows.total)});
}

void RuntimeEmitter::lowerOp(EmbeddingGradOp op) {
  ArrayRef<int64_t> table = shapeOf(op.getResult());
  TableRows rows = getTableRows(op, op.getResult(), getLayout(op.getResult()));
  emitCall(runtime::embedding_grad{.layer = layerName(op),
                                   .dtype = dtypeOf(op.getResult()),
                                   .ids = pointerTo(op.getIds()),
                                   .dy = pointerTo(op.getGrad()),
                                   .dtable = pointerTo(op.getResult()),
                                   .count = countOf(op.getIds()),
                                   .rows = constant(table[0]),
                                   .dim = constant(table[1]),
                                   .row_offset = rows.offset,
                                   .total_rows = constant(rows.total)});
}

void RuntimeEmitter::lowerOp(LinearInputGradOp op) {
  ArrayRef<int64_t> weight = shapeOf(op.getWeight());
  int64_t m = product(shapeOf(op.getGrad()).drop_back());
  flops += 2.0 * m * weight[0] * weight[1];
  emitCall(runtime::linear_input_grad{.layer = layerName(op),
                                      .dtype = dtypeOf(op.getResult()),
                                      .dy = pointerTo(op.getGrad()),
                                      .w = pointerTo(op.getWeight()),
                                      .dx = pointerTo(op.getResult()),
                                      .m = constant(m),
                                      .n = constant(weight[0]),
                                      .k = constant(weight[1])});
}

void RuntimeEmitter::lowerOp(LinearWeightGradOp op) {
  ArrayRef<int64_t> weight = shapeOf(op.getResult());
  int64_t m = product(shapeOf(op.getGrad()).drop_back());
  flops += 2.0 * m * weight[0] * weight[1];
  emitCall(runtime::linear_weight_grad{.layer = layerName(op),
                                       .dtype = dtypeOf(op.getResult()),
                                       .dy = pointerTo(op.getGrad()),
                                       .x = pointerTo(op.getInput()),
                                       .dw = pointerTo(op.getResult()),
                                       .m = constant(m),
                                       .n = constant(weight[0]),
                                       .k = constant(weight[1])});
}

//===----------------------------------------------------------------------===//
// Elementwise, layout and reductions
//===----------------------------------------------------------------------===//

template <typename Call, typename Op> void RuntimeEmitter::lowerUnary(Op op) {
  emitCall(Call{.layer = layerName(op),
                .dtype = dtypeOf(op.getResult()),
                .x = pointerTo(op.getInput()),
                .y = pointerTo(op.getResult()),
                .count = countOf(op.getResult())});
}

template <typename Call, typename Op> void RuntimeEmitter::lowerBinary(Op op) {
  emitCall(Call{.layer = layerName(op),
                .dtype = dtypeOf(op.getResult()),
                .a = pointerTo(op.getLhs()),
                .b = pointerTo(op.getRhs()),
                .y = pointerTo(op.getResult()),
                .count = countOf(op.getResult())});
}

void RuntimeEmitter::lowerOp(MulOp op) {
  if (std::optional<SiLUMul> fused = matchSiLUMul(op)) {
    emitCall(runtime::silu_mul{.layer = layerName(op),
                               .dtype = dtypeOf(op.getResult()),
                               .gate = pointerTo(fused->silu.getInput()),
                               .up = pointerTo(fused->up),
                               .y = pointerTo(op.getResult()),
                               .count = countOf(op.getResult())});
    return;
  }
  lowerBinary<runtime::mul>(op);
}

void RuntimeEmitter::lowerOp(ReLUGradOp op) {
  emitCall(runtime::relu_grad{.layer = layerName(op),
                              .dtype = dtypeOf(op.getResult()),
                              .x = pointerTo(op.getInput()),
                              .dy = pointerTo(op.getGrad()),
                              .dx = pointerTo(op.getResult()),
                              .count = countOf(op.getResult())});
}

void RuntimeEmitter::lowerOp(GELUGradOp op) {
  emitCall(
      runtime::gelu_grad{.layer = layerName(op),
                         .dtype = dtypeOf(op.getResult()),
                         .x = pointerTo(op.getInput()),
                         .dy = pointerTo(op.getGrad()),
                         .dx = pointerTo(op.getResult()),
                         .count = countOf(op.getResult()),
                         .tanh_approx = constantI32(op.getTanh() ? 1 : 0)});
}

void RuntimeEmitter::lowerOp(SiLUGradOp op) {
  emitCall(runtime::silu_grad{.layer = layerName(op),
                              .dtype = dtypeOf(op.getResult()),
                              .x = pointerTo(op.getInput()),
                              .dy = pointerTo(op.getGrad()),
                              .dx = pointerTo(op.getResult()),
                              .count = countOf(op.getResult())});
}

void RuntimeEmitter::lowerOp(GELUOp op) {
  emitCall(runtime::gelu{.layer = layerName(op),
                         .dtype = dtypeOf(op.getResult()),
                         .x = pointerTo(op.getInput()),
                         .y = pointerTo(op.getResult()),
                         .count = countOf(op.getResult()),
                         .tanh_approx = constantI32(op.getTanh() ? 1 : 0)});
}

void RuntimeEmitter::lowerOp(ScaleOp op) {
  emitCall(
      runtime::scale{.layer = layerName(op),
                     .dtype = dtypeOf(op.getResult()),
                     .x = pointerTo(op.getInput()),
                     .y = pointerTo(op.getResult()),
                     .count = countOf(op.getResult()),
                     .factor = constantF64(op.getFactor().convertToDouble())});
}

void RuntimeEmitter::lowerOp(TransposeOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  emitCall(
      runtime::transpose{.layer = layerName(op),
                         .x = pointerTo(op.getInput()),
                         .y = pointerTo(op.getResult()),
                         .element_bytes = constant(elementBytes(op.getInput())),
                         .rank = constant(shape.size()),
                         .shape = globalI64Array(shape),
                         .perm = globalI64Array(op.getPermutation())});
}

void RuntimeEmitter::lowerOp(SumOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  int64_t dimMask = 0;
  for (int64_t dim : op.getReducedDims())
    dimMask |= int64_t(1) << dim;
  emitCall(runtime::sum{.layer = layerName(op),
                        .dtype = dtypeOf(op.getResult()),
                        .x = pointerTo(op.getInput()),
                        .y = pointerTo(op.getResult()),
                        .rank = constant(shape.size()),
                        .shape = globalI64Array(shape),
                        .dim_mask = constant(dimMask)});
}

void RuntimeEmitter::lowerOp(BroadcastOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  int64_t dimMask = 0;
  for (int64_t dim : op.getDims())
    dimMask |= int64_t(1) << dim;
  emitCall(runtime::broadcast{.layer = layerName(op),
                              .dtype = dtypeOf(op.getResult()),
                              .x = pointerTo(op.getInput()),
                              .y = pointerTo(op.getResult()),
                              .rank = constant(shape.size()),
                              .shape = globalI64Array(shape),
                              .dim_mask = constant(dimMask)});
}

void RuntimeEmitter::lowerOp(FillOp op) {
  emitCall(
      runtime::fill{.layer = layerName(op),
                    .dtype = dtypeOf(op.getResult()),
                    .y = pointerTo(op.getResult()),
                    .count = countOf(op.getResult()),
                    .value = constantF64(op.getValue().convertToDouble())});
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

void RuntimeEmitter::lowerOp(RMSNormOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  emitCall(runtime::rms_norm{
      .layer = layerName(op),
      .dtype = dtypeOf(op.getResult()),
      .x = pointerTo(op.getInput()),
      .weight = pointerTo(op.getWeight()),
      .y = pointerTo(op.getResult()),
      .rows = constant(product(shape.drop_back())),
      .features = constant(shape.back()),
      .epsilon = constantF64(op.getEpsilon().convertToDouble())});
}

void RuntimeEmitter::lowerOp(LayerNormOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  emitCall(runtime::layer_norm{
      .layer = layerName(op),
      .dtype = dtypeOf(op.getResult()),
      .x = pointerTo(op.getInput()),
      .weight = pointerTo(op.getWeight()),
      .bias = op.getBias() ? pointerTo(op.getBias()) : null(),
      .y = pointerTo(op.getResult()),
      .rows = constant(product(shape.drop_back())),
      .features = constant(shape.back()),
      .epsilon = constantF64(op.getEpsilon().convertToDouble())});
}

void RuntimeEmitter::lowerOp(SoftmaxOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  int64_t dim = op.getNormalizedDim();
  emitCall(
      runtime::softmax{.layer = layerName(op),
                       .dtype = dtypeOf(op.getResult()),
                       .x = pointerTo(op.getInput()),
                       .y = pointerTo(op.getResult()),
                       .outer = constant(product(shape.take_front(dim))),
                       .dim = constant(shape[dim]),
                       .inner = constant(product(shape.drop_front(dim + 1)))});
}

RuntimeEmitter::ClassSplit RuntimeEmitter::getClassSplit(Operation *op) {
  // The classes (the logits' last dim) may be split over mesh axes
  // (loss_parallel): this rank's first class is its index among those
  // ranks times its classes.
  auto logits = cast<RankedTensorType>(op->getOperand(0).getType());
  LayoutAttr layout = getOperandLayout(op, 0);
  int64_t mask = 0;
  if (layout)
    for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
      if (placement == Placement::shard(logits.getRank() - 1))
        mask |= int64_t(1) << axis;
  Value groupIndex = emitCall(runtime::group_index{
      .layer = layerName(op), .axis_mask = constant(mask)});
  return {LLVM::MulOp::create(builder, loc, groupIndex,
                              constant(logits.getShape().back())),
          getGlobalShape(mesh, layout, logits).back(), mask};
}

void RuntimeEmitter::lowerOp(CrossEntropyOp op) {
  ArrayRef<int64_t> logits = shapeOf(op.getLogits());
  ClassSplit split = getClassSplit(op);
  emitCall(
      runtime::cross_entropy{.layer = layerName(op),
                             .dtype = dtypeOf(op.getResult()),
                             .logits = pointerTo(op.getLogits()),
                             .labels = pointerTo(op.getLabels()),
                             .loss = pointerTo(op.getResult()),
                             .positions = constant(product(logits.drop_back())),
                             .classes = constant(logits.back()),
                             .class_offset = split.offset,
                             .total_classes = constant(split.total),
                             .axis_mask = constant(split.axisMask)});
}

template <typename Call, typename Op>
void RuntimeEmitter::lowerNormInputGrad(Op op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  emitCall(Call{.layer = layerName(op),
                .dtype = dtypeOf(op.getResult()),
                .x = pointerTo(op.getInput()),
                .weight = pointerTo(op.getWeight()),
                .dy = pointerTo(op.getGrad()),
                .dx = pointerTo(op.getResult()),
                .rows = constant(product(shape.drop_back())),
                .features = constant(shape.back()),
                .epsilon = constantF64(op.getEpsilon().convertToDouble())});
}

template <typename Call, typename Op>
void RuntimeEmitter::lowerNormWeightGrad(Op op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  emitCall(Call{.layer = layerName(op),
                .dtype = dtypeOf(op.getResult()),
                .x = pointerTo(op.getInput()),
                .dy = pointerTo(op.getGrad()),
                .dweight = pointerTo(op.getResult()),
                .rows = constant(product(shape.drop_back())),
                .features = constant(shape.back()),
                .epsilon = constantF64(op.getEpsilon().convertToDouble())});
}

void RuntimeEmitter::lowerOp(RMSNormInputGradOp op) {
  lowerNormInputGrad<runtime::rms_norm_input_grad>(op);
}
void RuntimeEmitter::lowerOp(RMSNormWeightGradOp op) {
  lowerNormWeightGrad<runtime::rms_norm_weight_grad>(op);
}
void RuntimeEmitter::lowerOp(LayerNormInputGradOp op) {
  lowerNormInputGrad<runtime::layer_norm_input_grad>(op);
}
void RuntimeEmitter::lowerOp(LayerNormWeightGradOp op) {
  lowerNormWeightGrad<runtime::layer_norm_weight_grad>(op);
}

void RuntimeEmitter::lowerOp(SoftmaxGradOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  int64_t dim = op.getDim();
  emitCall(runtime::softmax_grad{
      .layer = layerName(op),
      .dtype = dtypeOf(op.getResult()),
      .y = pointerTo(op.getOutput()),
      .dy = pointerTo(op.getGrad()),
      .dx = pointerTo(op.getResult()),
      .outer = constant(product(shape.take_front(dim))),
      .dim = constant(shape[dim]),
      .inner = constant(product(shape.drop_front(dim + 1)))});
}

void RuntimeEmitter::lowerOp(CrossEntropyGradOp op) {
  ArrayRef<int64_t> logits = shapeOf(op.getLogits());
  // The loss is the mean over every rank's positions.
  SmallVector<int64_t> global =
      getGlobalShape(mesh, getOperandLayout(op, 0), op.getLogits().getType());
  ClassSplit split = getClassSplit(op);
  emitCall(runtime::cross_entropy_grad{
      .layer = layerName(op),
      .dtype = dtypeOf(op.getResult()),
      .logits = pointerTo(op.getLogits()),
      .labels = pointerTo(op.getLabels()),
      .dloss = pointerTo(op.getLossGrad()),
      .dlogits = pointerTo(op.getResult()),
      .positions = constant(product(logits.drop_back())),
      .classes = constant(logits.back()),
      .total_positions = constant(product(ArrayRef(global).drop_back())),
      .class_offset = split.offset,
      .total_classes = constant(split.total),
      .axis_mask = constant(split.axisMask)});
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

template <typename Call, typename Op>
void RuntimeEmitter::lowerRope(Op op, Value input) {
  ArrayRef<int64_t> shape = shapeOf(input);
  SmallVector<double> factors = getRopeFreqFactors(op.getFreqFactors());
  emitCall(Call{
      .layer = layerName(op),
      .dtype = dtypeOf(op.getResult()),
      .x = pointerTo(input),
      .y = pointerTo(op.getResult()),
      .batch = constant(shape[0]),
      .seq = constant(shape[1]),
      .heads = constant(shape[2]),
      .head_dim = constant(shape[3]),
      .theta = constantF64(op.getTheta().convertToDouble()),
      .convention = conventionOf(op.getConvention()),
      .freq_factors = factors.empty() ? nullPointer() : globalF64Array(factors),
      .attention_factor =
          constantF64(op.getAttentionFactorAttr()
                          ? op.getAttentionFactorAttr().getValueAsDouble()
                          : 1.0)});
}

void RuntimeEmitter::lowerOp(RoPEOp op) {
  lowerRope<runtime::rope>(op, op.getInput());
}

void RuntimeEmitter::lowerOp(AttentionOp op) {
  ArrayRef<int64_t> q = shapeOf(op.getQuery());
  ArrayRef<int64_t> k = shapeOf(op.getKey());
  flops += 4.0 * q[0] * q[2] * q[1] * k[1] * q[3];
  emitCall(
      runtime::attention{.layer = layerName(op),
                         .dtype = dtypeOf(op.getResult()),
                         .q = pointerTo(op.getQuery()),
                         .k = pointerTo(op.getKey()),
                         .v = pointerTo(op.getValue()),
                         .o = pointerTo(op.getResult()),
                         .workspace = workspaceOf(op),
                         .workspace_bytes = constant(getWorkspaceBytes(op)),
                         .batch = constant(q[0]),
                         .q_seq = constant(q[1]),
                         .kv_seq = constant(k[1]),
                         .q_heads = constant(q[2]),
                         .kv_heads = constant(k[2]),
                         .head_dim = constant(q[3]),
                         .causal = constantI32(op.getCausal() ? 1 : 0),
                         .scale = constantF64(op.getEffectiveScale())});
}

void RuntimeEmitter::lowerOp(RoPEGradOp op) {
  // The rotation back, of the gradient of rope's output.
  lowerRope<runtime::rope_grad>(op, op.getGrad());
}

void RuntimeEmitter::lowerOp(AttentionGradOp op) {
  ArrayRef<int64_t> q = shapeOf(op.getQuery());
  ArrayRef<int64_t> k = shapeOf(op.getKey());
  // Recomputing the scores and the four products of the backward.
  flops += 10.0 * q[0] * q[2] * q[1] * k[1] * q[3];
  emitCall(runtime::attention_grad{
      .layer = layerName(op),
      .dtype = dtypeOf(op.getQueryGrad()),
      .q = pointerTo(op.getQuery()),
      .k = pointerTo(op.getKey()),
      .v = pointerTo(op.getValue()),
      .dout = pointerTo(op.getGrad()),
      .dq = pointerTo(op.getQueryGrad()),
      .dk = pointerTo(op.getKeyGrad()),
      .dv = pointerTo(op.getValueGrad()),
      .workspace = workspaceOf(op),
      .workspace_bytes = constant(getWorkspaceBytes(op)),
      .batch = constant(q[0]),
      .q_seq = constant(q[1]),
      .kv_seq = constant(k[1]),
      .q_heads = constant(q[2]),
      .kv_heads = constant(k[2]),
      .head_dim = constant(q[3]),
      .causal = constantI32(op.getCausal() ? 1 : 0),
      .scale = constantF64(op.getEffectiveScale())});
}

//===----------------------------------------------------------------------===//
// Optimizer
//===----------------------------------------------------------------------===//

LogicalResult
RuntimeEmitter::checkUpdatedOnce(ParameterUpdateOpInterface update) {
  // The update writes one shard; a read of the parameter in another layout
  // has a shard of its own that would keep the old values.
  auto param = update.getParam().getDefiningOp<GetParameterOp>();
  for (auto read : function.getOps<GetParameterOp>())
    if (read.getName() == param.getName() &&
        read.getLayoutAttr() != param.getLayoutAttr())
      return update->emitOpError("updates parameter '")
             << param.getName() << "' in place, but the step also reads it in "
             << "another layout, whose copy the update would not reach";
  return success();
}

Value RuntimeEmitter::getStepNumber() {
  Value &stepNumber = stepNumbers[builder.getInsertionBlock()];
  if (!stepNumber) {
    // At the start of the function, where it dominates every update.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(builder.getInsertionBlock());
    stepNumber =
        emitCall(runtime::step_number{.layer = globalString("optimizer")});
  }
  return stepNumber;
}

void RuntimeEmitter::lowerOp(SGDOp op) {
  emitCall(runtime::sgd{
      .layer = parameterName(op),
      .dtype = dtypeOf(op.getParam()),
      .param = pointerTo(op.getParam()),
      .grad = pointerTo(op.getGrad()),
      .count = countOf(op.getParam()),
      .lr = constantF64(op.getLr().convertToDouble()),
      .weight_decay = constantF64(op.getWeightDecay().convertToDouble())});
}

void RuntimeEmitter::lowerOp(AdamWOp op) {
  emitCall(runtime::adamw{
      .layer = parameterName(op),
      .dtype = dtypeOf(op.getParam()),
      .param = pointerTo(op.getParam()),
      .grad = pointerTo(op.getGrad()),
      .exp_avg = pointerTo(op.getExpAvg()),
      .exp_avg_sq = pointerTo(op.getExpAvgSq()),
      .count = countOf(op.getParam()),
      .step = getStepNumber(),
      .lr = constantF64(op.getLr().convertToDouble()),
      .beta1 = constantF64(op.getBeta1().convertToDouble()),
      .beta2 = constantF64(op.getBeta2().convertToDouble()),
      .eps = constantF64(op.getEps().convertToDouble()),
      .weight_decay = constantF64(op.getWeightDecay().convertToDouble())});
}

void RuntimeEmitter::lowerOp(SGDMasterOp op) {
  emitCall(runtime::sgd_master{
      .layer = parameterName(op),
      .dtype = dtypeOf(op.getParam()),
      .param = pointerTo(op.getParam()),
      .grad = pointerTo(op.getGrad()),
      .master = pointerTo(op.getMaster()),
      .count = countOf(op.getParam()),
      .lr = constantF64(op.getLr().convertToDouble()),
      .weight_decay = constantF64(op.getWeightDecay().convertToDouble())});
}

void RuntimeEmitter::lowerOp(AdamWMasterOp op) {
  emitCall(runtime::adamw_master{
      .layer = parameterName(op),
      .dtype = dtypeOf(op.getParam()),
      .param = pointerTo(op.getParam()),
      .grad = pointerTo(op.getGrad()),
      .master = pointerTo(op.getMaster()),
      .exp_avg = pointerTo(op.getExpAvg()),
      .exp_avg_sq = pointerTo(op.getExpAvgSq()),
      .count = countOf(op.getParam()),
      .step = getStepNumber(),
      .lr = constantF64(op.getLr().convertToDouble()),
      .beta1 = constantF64(op.getBeta1().convertToDouble()),
      .beta2 = constantF64(op.getBeta2().convertToDouble()),
      .eps = constantF64(op.getEps().convertToDouble()),
      .weight_decay = constantF64(op.getWeightDecay().convertToDouble())});
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//
// Around a split dim a tensor is viewed as [outer, pieces, inner], in this
// rank's local shapes, where one piece is what one rank holds of the split
// dim: the input of an all-gather, the result of a reduce-scatter or a local
// slice.

namespace {
/// The [outer, pieces, inner] view of a collective splitting `dim`, read off
/// the local `piece`: `inner` counts the elements of one piece per outer
/// index.
struct SplitView {
  SplitView(Value piece, int64_t dim)
      : outer(product(shapeOf(piece).take_front(dim))),
        inner(product(shapeOf(piece).drop_front(dim))) {}
  int64_t outer, inner;
};
} // namespace

void RuntimeEmitter::lowerOp(AllReduceOp op) {
  if (!op.getAsync()) {
    emitCall(
        runtime::all_reduce{.layer = layerName(op),
                            .dtype = dtypeOf(op.getInput()),
                            .x = pointerTo(op.getInput()),
                            .y = pointerTo(op.getResult()),
                            .count = countOf(op.getInput()),
                            .axis_mask = constant(axisMask(op.getAxes()))});
    return;
  }
  // The lowest request no sum pending now holds.
  int64_t request = 0;
  while (llvm::is_contained(llvm::make_second_range(pendingRequests), request))
    ++request;
  pendingRequests[op] = request;
  emitCall(
      runtime::all_reduce_start{.layer = layerName(op),
                                .dtype = dtypeOf(op.getInput()),
                                .x = pointerTo(op.getInput()),
                                .y = pointerTo(op.getResult()),
                                .count = countOf(op.getInput()),
                                .axis_mask = constant(axisMask(op.getAxes())),
                                .request = constant(request)});
}

void RuntimeEmitter::lowerOp(WaitOp op) {
  Operation *start = op.getInput().getDefiningOp();
  emitCall(runtime::wait{.layer = layerName(start),
                         .request = constant(pendingRequests.lookup(start))});
  pendingRequests.erase(start);
}

template <typename Call, typename Op>
void RuntimeEmitter::lowerPieceCopy(Op op, Value piece) {
  SplitView view(piece, op.getDim());
  emitCall(Call{.layer = layerName(op),
                .x = pointerTo(op.getInput()),
                .y = pointerTo(op.getResult()),
                .outer = constant(view.outer),
                .inner_bytes = constant(view.inner * elementBytes(piece)),
                .axis_mask = constant(axisMask(op.getAxes()))});
}

void RuntimeEmitter::lowerOp(ReduceScatterOp op) {
  SplitView view(op.getResult(), op.getDim());
  emitCall(
      runtime::reduce_scatter{.layer = layerName(op),
                              .dtype = dtypeOf(op.getInput()),
                              .x = pointerTo(op.getInput()),
                              .y = pointerTo(op.getResult()),
                              .outer = constant(view.outer),
                              .inner = constant(view.inner),
                              .axis_mask = constant(axisMask(op.getAxes()))});
}

void RuntimeEmitter::lowerOp(AllToAllOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  emitCall(runtime::all_to_all{.layer = layerName(op),
                               .x = pointerTo(op.getInput()),
                               .y = pointerTo(op.getResult()),
                               .element_bytes =
                                   constant(elementBytes(op.getInput())),
                               .rank = constant(shape.size()),
                               .shape = globalI64Array(shape),
                               .split_dim = constant(op.getSplitDim()),
                               .concat_dim = constant(op.getConcatDim()),
                               .axis_mask = constant(axisMask(op.getAxes()))});
}

//===----------------------------------------------------------------------===//
// The step and the manifest
//===----------------------------------------------------------------------===//

LogicalResult RuntimeEmitter::emit() {
  if (failed(checkTypes()))
    return failure();
  // Outputs are read from the arena; a weight returned as is lives elsewhere.
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
    if (auto get = getStorageRoot(value).getDefiningOp<GetParameterOp>())
      return ret.emitOpError("output #")
             << index << " is parameter '" << get.getName()
             << "' itself; the outputs of a compiled model must be computed";
  }
  FailureOr<BufferPlan> planned = BufferPlan::build(function);
  if (failed(planned))
    return failure();
  plan = std::move(*planned);

  // Each run of a repeated block is a function that tp_model_forward calls,
  // so that LLVM's work per function stays bounded however deep the model.
  std::string forwardName = symbolPrefix + "_forward";
  LLVM::LLVMFuncOp forward =
      createStepFunction(forwardName, LLVM::Linkage::External);
  llvm::StringMap<unsigned> runsOfBlock;
  for (const OpRun &run : splitIntoRuns(function)) {
    LLVM::LLVMFuncOp runFunction = forward;
    if (run.block) {
      // tp_model_forward.layers.3, then tp_model_forward.layers.3.part2 ...
      std::string name = forwardName + "." + run.block->str();
      if (unsigned part = ++runsOfBlock[*run.block]; part > 1)
        name += ".part" + std::to_string(part);
      runFunction = createStepFunction(name, LLVM::Linkage::Internal);
      emitInto(forward);
      LLVM::CallOp::create(builder, runFunction.getLoc(), runFunction,
                           ValueRange{context, arena, params});
    }
    emitInto(runFunction);
    for (Operation *op : run.ops)
      if (failed(lower(op)))
        return failure();
  }

  FailureOr<std::string> manifest = buildManifest(mesh, function, plan, flops);
  if (failed(manifest))
    return failure();
  manifest->push_back('\0');
  builder.setInsertionPointToEnd(module.getBody());
  LLVM::GlobalOp::create(
      builder, loc, LLVM::LLVMArrayType::get(i8Type, manifest->size()),
      /*isConstant=*/true, LLVM::Linkage::External, symbolPrefix + "_manifest",
      builder.getStringAttr(*manifest));

  // Only the LLVM dialect stays: the model, its mesh and parameters now live
  // in the generated code and the manifest.
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (!isa<LLVM::LLVMDialect>(op.getDialect()))
      op.erase();
  for (StringRef name : {kTPAxisAttrName, kPlanAttrName})
    module->removeAttr(name);
  return success();
}

LLVM::LLVMFuncOp RuntimeEmitter::createStepFunction(StringRef name,
                                                    LLVM::Linkage linkage) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto stepFunction = LLVM::LLVMFuncOp::create(
      builder, function.getLoc(), name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(module.getContext()),
                                  {ptrType, ptrType, ptrType}),
      linkage);
  symbols.insert(stepFunction);
  builder.setInsertionPointToStart(stepFunction.addEntryBlock(builder));
  LLVM::ReturnOp::create(builder, function.getLoc(), ValueRange());
  return stepFunction;
}

void RuntimeEmitter::emitInto(LLVM::LLVMFuncOp stepFunction) {
  Block &entry = stepFunction.getBody().front();
  context = entry.getArgument(0);
  arena = entry.getArgument(1);
  params = entry.getArgument(2);
  builder.setInsertionPoint(entry.getTerminator());
}

namespace {
struct ConvertTPToRuntimePass
    : public tp::impl::ConvertTPToRuntimeBase<ConvertTPToRuntimePass> {
  using ConvertTPToRuntimeBase::ConvertTPToRuntimeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MeshOp mesh;
    func::FuncOp function;
    if (failed(getMeshAndModel(module, mesh, function)) ||
        failed(RuntimeEmitter(module, mesh, function, symbolPrefix).emit()))
      return signalPassFailure();
  }
};
} // namespace
