//===- TPToRuntime.cpp - lower a rank's program to runtime calls ----------===//
//
// This file implements convert-tp-to-runtime: it plans the buffers of a
// rank's program, emits `tp_model_forward` as one runtime call per op in the
// LLVM dialect, and emits `tp_model_manifest`, the JSON description of the
// model the runtime's main reads.
//
//===----------------------------------------------------------------------===//

#include "tp/Conversion/Passes.h"
#include "tp/Conversion/TPToRuntime/BufferPlan.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/JSON.h"

#include "tprt/tprt.h"

#include <limits>

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

/// Per tensor dim, the mesh axes (in mesh order) that split it.
static llvm::json::Array getSplits(LayoutAttr layout, int64_t rank) {
  SmallVector<llvm::json::Array> splits(rank);
  if (layout)
    for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
      if (placement.isShard())
        splits[placement.getDim()].push_back(static_cast<int64_t>(axis));
  llvm::json::Array result;
  for (llvm::json::Array &dims : splits)
    result.push_back(std::move(dims));
  return result;
}

/// The global shape of a value of local `type` laid out by `layout`.
static SmallVector<int64_t> getGlobalShape(MeshOp mesh, LayoutAttr layout,
                                           RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  if (layout)
    for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
      if (placement.isShard())
        shape[placement.getDim()] *= mesh.getAxisSizes()[axis];
  return shape;
}

static llvm::json::Array toJSON(ArrayRef<int64_t> values) {
  return llvm::json::Array(values);
}

/// The runtime's float dtypes: tprt_dtype's codes, and the safetensors
/// names the manifest uses.
static std::optional<int32_t> getRuntimeDType(Type element) {
  if (element.isF32())
    return TPRT_F32;
  if (element.isF16())
    return TPRT_F16;
  if (element.isBF16())
    return TPRT_BF16;
  return std::nullopt;
}

static StringRef getDTypeName(Type element) {
  if (element.isInteger(64))
    return "I64";
  switch (*getRuntimeDType(element)) {
  case TPRT_F32:
    return "F32";
  case TPRT_F16:
    return "F16";
  default:
    return "BF16";
  }
}

namespace {

/// Emits tp_model_forward and tp_model_manifest for one rank's program.
class RuntimeEmitter {
public:
  RuntimeEmitter(ModuleOp module, MeshOp mesh, func::FuncOp function)
      : module(module), mesh(mesh), function(function),
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
  LogicalResult lower(Operation *op);
  LogicalResult lowerCollective(Operation *op, Value input, Value result,
                                ArrayAttr axes);
  void emitManifest(const BufferPlan &plan);
  /// The exclusive upper bound of valid values of an i64 input: what random
  /// token ids or labels must stay below.
  int64_t getIdBound(Value ids);

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
  Value globalString(StringRef text);
  Value globalI64Array(ArrayRef<int64_t> values);
  Value layerName(Operation *op);
  int64_t axisMask(ArrayAttr axes);
  /// Calls runtime function `name` with `args`, declaring it on first use.
  Value call(StringRef name, ValueRange args, Type result = {});

  ModuleOp module;
  MeshOp mesh;
  func::FuncOp function;
  OpBuilder builder;
  Location loc = UnknownLoc::get(module.getContext());
  Type ptrType, i64Type, i32Type, i8Type, f64Type;
  Value context, arena, params;
  BufferPlan plan;
  llvm::StringMap<LLVM::GlobalOp> strings;
  unsigned numGlobals = 0;
  double flops = 0;
};

} // namespace

LogicalResult RuntimeEmitter::checkTypes() {
  auto check = [&](Value value, Operation *where) -> LogicalResult {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    Type element = type ? type.getElementType() : Type();
    if (type && (getRuntimeDType(element) || element.isInteger(64)))
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
  return LLVM::GEPOp::create(builder, loc, ptrType, i8Type, arena,
                             ArrayRef<LLVM::GEPArg>{
                                 constant(plan.workspaces.lookup(op))});
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

Value RuntimeEmitter::globalI64Array(ArrayRef<int64_t> values) {
  LLVM::GlobalOp global;
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(module.getBody());
    auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      i64Type);
    global = LLVM::GlobalOp::create(
        builder, loc, LLVM::LLVMArrayType::get(i64Type, values.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal,
        "tp_dims_" + std::to_string(numGlobals++),
        DenseElementsAttr::get(type, values));
  }
  return LLVM::AddressOfOp::create(builder, loc, global);
}

Value RuntimeEmitter::layerName(Operation *op) {
  if (auto layer = op->getAttrOfType<StringAttr>("layer"))
    return globalString(layer.getValue());
  return globalString(op->getName().getStringRef());
}

int64_t RuntimeEmitter::axisMask(ArrayAttr axes) {
  int64_t mask = 0;
  for (Attribute axis : axes)
    mask |= int64_t(1) << *mesh.getAxisIndex(cast<StringAttr>(axis).getValue());
  return mask;
}

Value RuntimeEmitter::call(StringRef name, ValueRange args, Type result) {
  auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!callee) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    Type returnType =
        result ? result : LLVM::LLVMVoidType::get(module.getContext());
    callee = LLVM::LLVMFuncOp::create(
        builder, loc, name,
        LLVM::LLVMFunctionType::get(returnType,
                                    llvm::to_vector(args.getTypes())));
  }
  auto op = LLVM::CallOp::create(builder, loc, callee, args);
  return result ? op.getResult() : Value();
}

LogicalResult RuntimeEmitter::lowerCollective(Operation *op, Value input,
                                              Value result, ArrayAttr axes) {
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t elementBytes = getNumBytes(cast<RankedTensorType>(input.getType())) /
                         std::max<int64_t>(product(in), 1);
  Value mask = constant(axisMask(axes));
  Value x = pointerTo(input), y = pointerTo(result);
  // [outer, piece...] views around a split dim, in this rank's local shapes.
  auto outer = [&](int64_t dim) { return product(in.take_front(dim)); };
  auto trailing = [&](int64_t dim) { return product(in.drop_front(dim + 1)); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](AllReduceOp) {
        call("tprt_all_reduce",
             {context, dtypeOf(input), x, y, constant(product(in)), mask});
        return success();
      })
      .Case([&](AllGatherOp gather) {
        int64_t dim = gather.getDim();
        call("tprt_all_gather",
             {context, x, y, constant(outer(dim)),
              constant(in[dim] * trailing(dim) * elementBytes), mask});
        return success();
      })
      .Case([&](ReduceScatterOp scatter) {
        int64_t dim = scatter.getDim();
        int64_t piece = shapeOf(result)[dim];
        call("tprt_reduce_scatter",
             {context, dtypeOf(input), x, y, constant(outer(dim)),
              constant(piece * trailing(dim)), mask});
        return success();
      })
      .Case([&](AllToAllOp exchange) {
        call("tprt_all_to_all",
             {context, x, y, constant(elementBytes), constant(in.size()),
              globalI64Array(in), constant(exchange.getSplitDim()),
              constant(exchange.getConcatDim()), mask});
        return success();
      })
      .Case([&](LocalSliceOp slice) {
        int64_t dim = slice.getDim();
        int64_t piece = shapeOf(result)[dim];
        call("tprt_local_slice",
             {context, x, y, constant(outer(dim)),
              constant(piece * trailing(dim) * elementBytes), mask});
        return success();
      })
      .Default([](Operation *op) {
        return op->emitOpError("is not a collective the runtime knows");
      });
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
  if (isCollective(op))
    return lowerCollective(op, op->getOperand(0), op->getResult(0),
                           op->getAttrOfType<ArrayAttr>("axes"));

  auto count = [](Value value) { return product(shapeOf(value)); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](LinearOp linear) {
        ArrayRef<int64_t> weight = shapeOf(linear.getWeight());
        int64_t m = product(shapeOf(linear.getInput()).drop_back());
        flops += 2.0 * m * weight[0] * weight[1];
        call("tprt_linear",
             {context, layerName(op), dtypeOf(linear.getResult()),
              pointerTo(linear.getInput()), pointerTo(linear.getWeight()),
              linear.getBias() ? pointerTo(linear.getBias()) : null(),
              pointerTo(linear.getResult()), constant(m), constant(weight[0]),
              constant(weight[1])});
        return success();
      })
      .Case([&](EmbeddingOp embedding) {
        ArrayRef<int64_t> table = shapeOf(embedding.getTable());
        // The rank's rows start at its index among the ranks splitting them.
        int64_t rowMask = 0;
        if (LayoutAttr layout = getOperandLayout(op, 1))
          for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
            if (placement == Placement::shard(0))
              rowMask |= int64_t(1) << axis;
        int64_t totalRows = getGlobalShape(
            mesh, getOperandLayout(op, 1),
            cast<RankedTensorType>(embedding.getTable().getType()))[0];
        Value groupIndex = call("tprt_group_index",
                                {context, constant(rowMask)}, i64Type);
        Value rowOffset = LLVM::MulOp::create(builder, loc, groupIndex,
                                              constant(table[0]));
        call("tprt_embedding",
             {context, layerName(op), dtypeOf(embedding.getResult()),
              pointerTo(embedding.getIds()),
              pointerTo(embedding.getTable()), pointerTo(embedding.getResult()),
              constant(count(embedding.getIds())), constant(table[0]),
              constant(table[1]), rowOffset, constant(totalRows)});
        return success();
      })
      .Case([&](MatmulOp matmul) {
        ArrayRef<int64_t> lhs = shapeOf(matmul.getLhs());
        int64_t batch = product(lhs.drop_back(2)), m = lhs[lhs.size() - 2],
                k = lhs.back(), n = shapeOf(matmul.getRhs()).back();
        flops += 2.0 * batch * m * n * k;
        call("tprt_matmul",
             {context, layerName(op), dtypeOf(matmul.getResult()),
              pointerTo(matmul.getLhs()),
              pointerTo(matmul.getRhs()), pointerTo(matmul.getResult()),
              constant(batch), constant(m), constant(n), constant(k)});
        return success();
      })
      .Case([&](MulOp mul) {
        if (std::optional<SiLUMul> fused = matchSiLUMul(mul)) {
          call("tprt_silu_mul", {context, dtypeOf(mul.getResult()),
                                 pointerTo(fused->silu.getInput()),
                                 pointerTo(fused->up),
                                 pointerTo(mul.getResult()),
                                 constant(count(mul.getResult()))});
          return success();
        }
        call("tprt_mul", {context, dtypeOf(mul.getResult()),
                          pointerTo(mul.getLhs()),
                          pointerTo(mul.getRhs()), pointerTo(mul.getResult()),
                          constant(count(mul.getResult()))});
        return success();
      })
      .Case([&](AddOp add) {
        call("tprt_add",
             {context, dtypeOf(add.getResult()), pointerTo(add.getLhs()),
              pointerTo(add.getRhs()),
              pointerTo(add.getResult()), constant(count(add.getResult()))});
        return success();
      })
      .Case<SiLUOp, ReLUOp>([&](auto unary) {
        call(isa<SiLUOp>(op) ? "tprt_silu" : "tprt_relu",
             {context, dtypeOf(unary.getResult()), pointerTo(unary.getInput()),
              pointerTo(unary.getResult()),
              constant(count(unary.getResult()))});
        return success();
      })
      .Case([&](GELUOp gelu) {
        call("tprt_gelu", {context, dtypeOf(gelu.getResult()),
                           pointerTo(gelu.getInput()),
                           pointerTo(gelu.getResult()),
                           constant(count(gelu.getResult())),
                           constantI32(gelu.getTanh() ? 1 : 0)});
        return success();
      })
      .Case([&](ScaleOp scale) {
        call("tprt_scale", {context, dtypeOf(scale.getResult()),
                            pointerTo(scale.getInput()),
                            pointerTo(scale.getResult()),
                            constant(count(scale.getResult())),
                            constantF64(scale.getFactor().convertToDouble())});
        return success();
      })
      .Case([&](RMSNormOp norm) {
        ArrayRef<int64_t> shape = shapeOf(norm.getInput());
        call("tprt_rms_norm",
             {context, layerName(op), dtypeOf(norm.getResult()),
              pointerTo(norm.getInput()), pointerTo(norm.getWeight()),
              pointerTo(norm.getResult()),
              constant(product(shape.drop_back())), constant(shape.back()),
              constantF64(norm.getEpsilon().convertToDouble())});
        return success();
      })
      .Case([&](LayerNormOp norm) {
        ArrayRef<int64_t> shape = shapeOf(norm.getInput());
        call("tprt_layer_norm",
             {context, layerName(op), dtypeOf(norm.getResult()),
              pointerTo(norm.getInput()), pointerTo(norm.getWeight()),
              norm.getBias() ? pointerTo(norm.getBias()) : null(),
              pointerTo(norm.getResult()),
              constant(product(shape.drop_back())), constant(shape.back()),
              constantF64(norm.getEpsilon().convertToDouble())});
        return success();
      })
      .Case([&](SoftmaxOp softmax) {
        ArrayRef<int64_t> shape = shapeOf(softmax.getInput());
        int64_t dim = softmax.getNormalizedDim();
        call("tprt_softmax",
             {context, dtypeOf(softmax.getResult()),
              pointerTo(softmax.getInput()),
              pointerTo(softmax.getResult()),
              constant(product(shape.take_front(dim))), constant(shape[dim]),
              constant(product(shape.drop_front(dim + 1)))});
        return success();
      })
      .Case([&](TransposeOp transpose) {
        ArrayRef<int64_t> shape = shapeOf(transpose.getInput());
        auto type = cast<RankedTensorType>(transpose.getInput().getType());
        call("tprt_transpose",
             {context, pointerTo(transpose.getInput()),
              pointerTo(transpose.getResult()),
              constant(type.getElementTypeBitWidth() / 8),
              constant(shape.size()), globalI64Array(shape),
              globalI64Array(transpose.getPermutation())});
        return success();
      })
      .Case([&](RoPEOp rope) {
        ArrayRef<int64_t> shape = shapeOf(rope.getInput());
        call("tprt_rope", {context, dtypeOf(rope.getResult()),
                           pointerTo(rope.getInput()),
                           pointerTo(rope.getResult()), constant(shape[0]),
                           constant(shape[1]), constant(shape[2]),
                           constant(shape[3]),
                           constantF64(rope.getTheta().convertToDouble())});
        return success();
      })
      .Case([&](AttentionOp attention) {
        ArrayRef<int64_t> q = shapeOf(attention.getQuery());
        ArrayRef<int64_t> k = shapeOf(attention.getKey());
        flops += 4.0 * q[0] * q[2] * q[1] * k[1] * q[3];
        call("tprt_attention",
             {context, layerName(op), dtypeOf(attention.getResult()),
              pointerTo(attention.getQuery()),
              pointerTo(attention.getKey()), pointerTo(attention.getValue()),
              pointerTo(attention.getResult()), workspaceOf(op),
              constant(getWorkspaceBytes(op)), constant(q[0]),
              constant(q[1]), constant(k[1]), constant(q[2]), constant(k[2]),
              constant(q[3]), constantI32(attention.getCausal() ? 1 : 0),
              constantF64(attention.getEffectiveScale())});
        return success();
      })
      .Case([&](SumOp sum) {
        ArrayRef<int64_t> shape = shapeOf(sum.getInput());
        int64_t dimMask = 0;
        for (int64_t dim : sum.getReducedDims())
          dimMask |= int64_t(1) << dim;
        call("tprt_sum", {context, dtypeOf(sum.getResult()),
                          pointerTo(sum.getInput()),
                          pointerTo(sum.getResult()), constant(shape.size()),
                          globalI64Array(shape), constant(dimMask)});
        return success();
      })
      .Case([&](CrossEntropyOp loss) {
        ArrayRef<int64_t> logits = shapeOf(loss.getLogits());
        call("tprt_cross_entropy",
             {context, layerName(op), dtypeOf(loss.getResult()),
              pointerTo(loss.getLogits()),
              pointerTo(loss.getLabels()), pointerTo(loss.getResult()),
              constant(product(logits.drop_back())), constant(logits.back())});
        return success();
      })
      .Default([](Operation *op) {
        return op->emitOpError("has no lowering to the runtime");
      });
}

int64_t RuntimeEmitter::getIdBound(Value ids) {
  // The smallest bound of every table or class count the ids index, through
  // the collectives that move them.
  int64_t bound = std::numeric_limits<int64_t>::max();
  for (Operation *user : ids.getUsers()) {
    if (auto embedding = dyn_cast<EmbeddingOp>(user))
      bound = std::min(
          bound, getGlobalShape(mesh, getOperandLayout(user, 1),
                                cast<RankedTensorType>(
                                    embedding.getTable().getType()))[0]);
    else if (auto loss = dyn_cast<CrossEntropyOp>(user))
      bound = std::min(bound, shapeOf(loss.getLogits()).back());
    else if (isCollective(user))
      bound = std::min(bound, getIdBound(user->getResult(0)));
  }
  return bound == std::numeric_limits<int64_t>::max() ? 1 : bound;
}

void RuntimeEmitter::emitManifest(const BufferPlan &plan) {
  auto describe = [&](const std::string &name, Value value,
                      LayoutAttr layout) {
    auto type = cast<RankedTensorType>(value.getType());
    llvm::json::Object entry{
        {"name", name},
        {"dtype", getDTypeName(type.getElementType())},
        {"shape", toJSON(getGlobalShape(mesh, layout, type))},
        {"local_shape", toJSON(type.getShape())},
        {"split", getSplits(layout, type.getRank())},
        {"offset", plan.slots.lookup(value).offset}};
    return entry;
  };

  llvm::json::Array parameters, inputs, outputs;
  for (auto get : function.getOps<GetParameterOp>())
    parameters.push_back(
        describe(get.getName().str(), get.getResult(), get.getLayoutAttr()));
  for (BlockArgument argument : function.getArguments()) {
    llvm::json::Object entry =
        describe("input" + std::to_string(argument.getArgNumber()), argument,
                 getLayout(argument));
    // Random token ids must index the table they look up (or the classes
    // of the loss they label).
    if (cast<RankedTensorType>(argument.getType()).getElementType().isInteger(
            64)) {
      entry["id_bound"] = getIdBound(argument);
    }
    inputs.push_back(std::move(entry));
  }
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (auto [index, value] : llvm::enumerate(ret.getOperands()))
    outputs.push_back(describe(
        "output" + std::to_string(index), value,
        function.getResultAttrOfType<LayoutAttr>(index, kLayoutAttrName)));

  std::string report;
  llvm::raw_string_ostream reportStream(report);
  printRankReport(mesh, function, reportStream);
  // The static buffer plan: exactly what each rank allocates.
  reportStream << "\nplanned memory per rank: activation arena "
               << plan.arenaBytes << " B, parameters " << plan.parameterBytes
               << " B\n";

  llvm::json::Array axes;
  for (Attribute name : mesh.getAxisNames())
    axes.push_back(cast<StringAttr>(name).getValue());
  llvm::json::Object manifest{
      {"mesh",
       llvm::json::Object{{"axes", std::move(axes)},
                          {"sizes", toJSON(mesh.getAxisSizes())}}},
      {"arena_bytes", plan.arenaBytes},
      {"param_bytes", plan.parameterBytes},
      {"flops", flops},
      {"parameters", std::move(parameters)},
      {"inputs", std::move(inputs)},
      {"outputs", std::move(outputs)},
      {"report", report}};
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(manifest));
  text.push_back('\0');

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  LLVM::GlobalOp::create(builder, loc,
                         LLVM::LLVMArrayType::get(i8Type, text.size()),
                         /*isConstant=*/true, LLVM::Linkage::External,
                         "tp_model_manifest", builder.getStringAttr(text));
}

LogicalResult RuntimeEmitter::emit() {
  if (failed(checkTypes()))
    return failure();
  // Outputs are read from the arena; a weight returned as is lives elsewhere.
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
    Value root = value;
    while (auto reshape = root.getDefiningOp<ReshapeOp>())
      root = reshape.getInput();
    if (auto get = root.getDefiningOp<GetParameterOp>())
      return ret.emitOpError("output #")
             << index << " is parameter '" << get.getName()
             << "' itself; the outputs of a compiled model must be computed";
  }
  plan = BufferPlan::build(function);

  builder.setInsertionPointToEnd(module.getBody());
  auto forward = LLVM::LLVMFuncOp::create(
      builder, function.getLoc(), "tp_model_forward",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(module.getContext()),
                                  {ptrType, ptrType, ptrType}));
  Block *entry = forward.addEntryBlock(builder);
  context = entry->getArgument(0);
  arena = entry->getArgument(1);
  params = entry->getArgument(2);
  builder.setInsertionPointToStart(entry);
  for (Operation &op : function.getBody().front())
    if (failed(lower(&op)))
      return failure();
  LLVM::ReturnOp::create(builder, loc, ValueRange());

  emitManifest(plan);
  // Only the LLVM dialect stays: the model, its mesh and parameters now live
  // in the generated code and the manifest.
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (!isa<LLVM::LLVMDialect>(op.getDialect()))
      op.erase();
  for (StringRef name : {kTPAxisAttrName, kPlanAttrName})
    module->removeAttr(name);
  return success();
}

namespace {
struct ConvertTPToRuntimePass
    : public tp::impl::ConvertTPToRuntimeBase<ConvertTPToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MeshOp mesh;
    func::FuncOp function;
    if (failed(getMeshAndModel(module, mesh, function)) ||
        failed(RuntimeEmitter(module, mesh, function).emit()))
      return signalPassFailure();
  }
};
} // namespace
