//===- TPOps.cpp - tp dialect operations ----------------------------------===//
//
// This file implements the verifiers, result type inference and custom
// syntax of the `tp` ops. Every message names the layer or value at fault and
// the sizes involved, in the words of the op's ODS constraint list.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/IR/TPOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tp;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Formats a shape as MLIR writes it inside a tensor type: `2x16x64`.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  if (shape.empty())
    os << "scalar";
  return text;
}

/// Names a weight operand for a diagnostic: the parameter it reads, if any.
static std::string describeWeight(Value weight, StringRef role = "weight") {
  if (auto get = weight.getDefiningOp<GetParameterOp>())
    return (role + " '" + get.getName() + "'").str();
  return ("the " + role).str();
}

/// Reports a result type inference error the way a verifier would, naming
/// the op.
template <typename OpTy, typename... Args>
static LogicalResult emitInferError(std::optional<Location> location,
                                    Args &&...args) {
  return emitOptionalError(location, "'", OpTy::getOperationName(), "' op ",
                           std::forward<Args>(args)...);
}

static LogicalResult verifyLayerName(Operation *op, StringRef layer) {
  if (layer.empty())
    return op->emitOpError("needs a layer name (its PyTorch module path)");
  return success();
}

/// Checks the per-feature weight of a norm layer (and its bias, if any)
/// against the input, and that epsilon is positive.
static LogicalResult verifyNorm(Operation *op, StringRef layer,
                                RankedTensorType input, Value weight,
                                Value bias, double epsilon) {
  if (failed(verifyLayerName(op, layer)))
    return failure();
  if (input.getRank() < 1)
    return op->emitOpError("layer '")
           << layer << "': input must have rank 1 or more";
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t features = input.getShape().back();
  if (weightType.getRank() != 1 || weightType.getDimSize(0) != features)
    return op->emitOpError("layer '")
           << layer << "': " << describeWeight(weight) << " has shape "
           << formatShape(weightType.getShape()) << " but the input has "
           << features << " features";
  if (weightType.getElementType() != input.getElementType())
    return op->emitOpError("layer '")
           << layer << "': " << describeWeight(weight) << " has element type "
           << weightType.getElementType() << " but the input has "
           << input.getElementType();
  if (bias && bias.getType() != weightType)
    return op->emitOpError("layer '")
           << layer << "': " << describeWeight(bias, "bias") << " has type "
           << bias.getType() << " but the weight has " << weightType;
  if (!(epsilon > 0.0))
    return op->emitOpError("layer '")
           << layer << "': epsilon must be positive, got " << epsilon;
  return success();
}

/// Checks that `dim` indexes a tensor of rank `rank`.
static LogicalResult verifyDimInRange(Operation *op, StringRef what,
                                      int64_t dim, int64_t rank) {
  if (dim < 0 || dim >= rank)
    return op->emitOpError()
           << what << " " << dim << " is out of range for a tensor of rank "
           << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// MeshOp
//===----------------------------------------------------------------------===//

/// Parses `(dp = 2, tp = 4)`.
static ParseResult parseMeshAxes(OpAsmParser &parser, ArrayAttr &names,
                                 DenseI64ArrayAttr &sizes) {
  SmallVector<Attribute> nameAttrs;
  SmallVector<int64_t> sizeValues;
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Paren, [&] {
        std::string name;
        int64_t size = 0;
        if (parser.parseKeywordOrString(&name) || parser.parseEqual() ||
            parser.parseInteger(size))
          return failure();
        nameAttrs.push_back(parser.getBuilder().getStringAttr(name));
        sizeValues.push_back(size);
        return success();
      }))
    return failure();
  names = parser.getBuilder().getArrayAttr(nameAttrs);
  sizes = parser.getBuilder().getDenseI64ArrayAttr(sizeValues);
  return success();
}

static void printMeshAxes(OpAsmPrinter &printer, MeshOp, ArrayAttr names,
                          DenseI64ArrayAttr sizes) {
  printer << "(";
  llvm::interleaveComma(llvm::zip(names, sizes.asArrayRef()), printer,
                        [&](auto axis) {
                          printer.printKeywordOrString(
                              cast<StringAttr>(std::get<0>(axis)).getValue());
                          printer << " = " << std::get<1>(axis);
                        });
  printer << ")";
}

LogicalResult MeshOp::verify() {
  ArrayRef<int64_t> sizes = getAxisSizes();
  if (getAxisNames().size() != sizes.size())
    return emitOpError("the number of axis names (")
           << getAxisNames().size() << ") and of axis sizes (" << sizes.size()
           << ") differ";
  if (sizes.empty())
    return emitOpError("mesh '")
           << getSymName() << "' must have at least one axis";
  llvm::SmallSet<StringRef, 4> seen;
  for (auto [nameAttr, size] : llvm::zip(getAxisNames(), sizes)) {
    StringRef name = cast<StringAttr>(nameAttr).getValue();
    if (name.empty())
      return emitOpError("mesh '")
             << getSymName() << "' has an axis with an empty name";
    if (!seen.insert(name).second)
      return emitOpError("mesh '")
             << getSymName() << "' names axis '" << name << "' twice";
    if (size < 1)
      return emitOpError("mesh '")
             << getSymName() << "' axis '" << name << "' has size " << size
             << "; axis sizes must be at least 1";
  }
  return success();
}

int64_t MeshOp::getNumRanks() {
  int64_t ranks = 1;
  for (int64_t size : getAxisSizes())
    ranks *= size;
  return ranks;
}

std::optional<unsigned> MeshOp::getAxisIndex(StringRef name) {
  for (auto [index, axis] : llvm::enumerate(getAxisNames()))
    if (cast<StringAttr>(axis).getValue() == name)
      return index;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

LogicalResult
mlir::tp::verifyLayout(function_ref<InFlightDiagnostic()> emitError,
                       MeshOp mesh, LayoutAttr layout, RankedTensorType type) {
  ArrayRef<Placement> placements = layout.getPlacements();
  ArrayRef<int64_t> axisSizes = mesh.getAxisSizes();
  if (placements.size() != axisSizes.size())
    return emitError() << "the number of placements (" << placements.size()
                       << ") differs from the number of axes of mesh '"
                       << mesh.getSymName() << "' (" << axisSizes.size() << ")";
  // The ranks that split each tensor dim, and the axes that do it.
  SmallVector<int64_t> splits(type.getRank(), 1);
  SmallVector<SmallVector<StringRef>> splittingAxes(type.getRank());
  for (auto [axis, placement] : llvm::enumerate(placements)) {
    if (!placement.isShard())
      continue;
    if (placement.getDim() < 0 || placement.getDim() >= type.getRank())
      return emitError() << "layout shards dim " << placement.getDim()
                         << " of a rank-" << type.getRank() << " tensor";
    splits[placement.getDim()] *= axisSizes[axis];
    splittingAxes[placement.getDim()].push_back(
        cast<StringAttr>(mesh.getAxisNames()[axis]).getValue());
  }
  for (auto [dim, split] : llvm::enumerate(splits)) {
    if (type.getDimSize(dim) % split == 0)
      continue;
    InFlightDiagnostic diag = emitError();
    diag << "dim " << dim << " of size " << type.getDimSize(dim)
         << " does not divide evenly over mesh "
         << (splittingAxes[dim].size() > 1 ? "axes " : "axis ");
    llvm::interleaveComma(splittingAxes[dim], diag,
                          [&](StringRef name) { diag << "'" << name << "'"; });
    return diag << " (" << split << " ranks)";
  }
  return success();
}

RankedTensorType mlir::tp::getShardType(MeshOp mesh, LayoutAttr layout,
                                        RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  for (auto [axis, placement] : llvm::enumerate(layout.getPlacements()))
    if (placement.isShard())
      shape[placement.getDim()] /= mesh.getAxisSizes()[axis];
  return RankedTensorType::get(shape, type.getElementType());
}

/// Looks up the mesh that `meshName` names from `op`.
static FailureOr<MeshOp> lookupMesh(Operation *op,
                                    SymbolTableCollection &symbolTable,
                                    FlatSymbolRefAttr meshName) {
  auto mesh = symbolTable.lookupNearestSymbolFrom<MeshOp>(op, meshName);
  if (!mesh)
    return op->emitOpError("'")
           << meshName.getValue() << "' does not name a tp.mesh";
  return mesh;
}

//===----------------------------------------------------------------------===//
// GetParameterOp
//===----------------------------------------------------------------------===//

LogicalResult
GetParameterOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto parameter =
      symbolTable.lookupNearestSymbolFrom<ParameterOp>(*this, getNameAttr());
  if (!parameter)
    return emitOpError("'") << getName() << "' does not name a tp.parameter";
  RankedTensorType declared = parameter.getTensorType();
  if (std::optional<ArrayRef<int64_t>> rows = getRows()) {
    if (rows->size() != 2 || declared.getRank() < 1 || (*rows)[0] < 0 ||
        (*rows)[0] >= (*rows)[1] || (*rows)[1] > declared.getDimSize(0))
      return emitOpError("rows must be [begin, end) within dim 0 of "
                         "parameter '")
             << getName() << "' " << declared << ", got ["
             << llvm::interleaved(*rows) << "]";
    declared = getReadType(declared);
  }
  LayoutAttr layout = getLayoutAttr();
  if (!layout) {
    if (declared != getType())
      return emitOpError("parameter '")
             << getName() << "' is "
             << (getRows() ? "read in part as " : "declared ") << declared
             << " but read as " << getType();
    return success();
  }
  // A checkpoint holds complete weights: a rank reads a shard or a copy.
  if (llvm::any_of(layout.getPlacements(),
                   [](Placement p) { return p.isPartial(); }))
    return emitOpError("parameter '")
           << getName() << "' cannot be read as a partial sum (P(sum))";
  FailureOr<MeshOp> mesh = lookupMesh(*this, symbolTable, layout.getMesh());
  if (failed(mesh) ||
      failed(verifyLayout(
          [&] { return emitOpError("parameter '") << getName() << "': "; },
          *mesh, layout, declared)))
    return failure();
  RankedTensorType shard = getShardType(*mesh, layout, declared);
  if (shard != getType())
    return emitOpError("parameter '")
           << getName() << "' laid out " << layout << " has shards of type "
           << shard << " but is read as " << getType();
  return success();
}

RankedTensorType GetParameterOp::getReadType(RankedTensorType declared) {
  std::optional<ArrayRef<int64_t>> rows = getRows();
  if (!rows)
    return declared;
  SmallVector<int64_t> shape(declared.getShape());
  shape[0] = (*rows)[1] - (*rows)[0];
  return declared.clone(shape);
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

/// The rank rules of a linear layer, checked both by type inference (custom
/// syntax) and by the verifier (generic syntax, where inference runs last).
static LogicalResult verifyLinearRanks(std::optional<Location> location,
                                       StringRef layer, RankedTensorType input,
                                       RankedTensorType weight) {
  if (weight.getRank() != 2)
    return emitInferError<LinearOp>(
        location, "layer '", layer,
        "': weight must be [out_features, in_features], got rank ",
        weight.getRank());
  if (input.getRank() < 1)
    return emitInferError<LinearOp>(location, "layer '", layer,
                                    "': input must have rank 1 or more");
  return success();
}

LogicalResult
LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                           Adaptor adaptor,
                           SmallVectorImpl<Type> &inferredReturnTypes) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (failed(verifyLinearRanks(location, adaptor.getLayer(), input, weight)))
    return failure();
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = weight.getDimSize(0);
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult LinearOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  if (failed(verifyLayerName(*this, getLayer())) ||
      failed(verifyLinearRanks(getLoc(), getLayer(), input, weight)))
    return failure();
  int64_t inFeatures = input.getShape().back();
  if (inFeatures != weight.getDimSize(1))
    return emitOpError("layer '")
           << getLayer() << "': input has " << inFeatures << " features but "
           << describeWeight(getWeight()) << " expects "
           << weight.getDimSize(1);
  if (weight.getElementType() != input.getElementType())
    return emitOpError("layer '")
           << getLayer() << "': " << describeWeight(getWeight())
           << " has element type " << weight.getElementType()
           << " but the input has " << input.getElementType();
  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        biasType.getDimSize(0) != weight.getDimSize(0))
      return emitOpError("layer '")
             << getLayer() << "': " << describeWeight(bias, "bias")
             << " has shape " << formatShape(biasType.getShape())
             << " but the layer has " << weight.getDimSize(0)
             << " output features";
    if (biasType.getElementType() != input.getElementType())
      return emitOpError("layer '")
             << getLayer() << "': " << describeWeight(bias, "bias")
             << " has element type " << biasType.getElementType()
             << " but the input has " << input.getElementType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult
EmbeddingOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                              Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  auto ids = cast<RankedTensorType>(adaptor.getIds().getType());
  auto table = cast<RankedTensorType>(adaptor.getTable().getType());
  if (table.getRank() != 2)
    return emitInferError<EmbeddingOp>(location, "layer '", adaptor.getLayer(),
                                       "': table must be [num_embeddings, "
                                       "embedding_dim], got rank ",
                                       table.getRank());
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::verify() {
  if (failed(verifyLayerName(*this, getLayer())))
    return failure();
  // Ids index the rows: a table without any has no valid id.
  RankedTensorType table = getTable().getType();
  if (table.getRank() == 2 && table.getDimSize(0) == 0)
    return emitOpError("layer '")
           << getLayer() << "': the table has no rows (a vocabulary of 0 "
           << "tokens), so no id is valid";
  return success();
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  return verifyNorm(*this, getLayer(), getInput().getType(), getWeight(),
                    /*bias=*/nullptr, getEpsilon().convertToDouble());
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getLayer(), getInput().getType(), getWeight(),
                    getBias(), getEpsilon().convertToDouble());
}

//===----------------------------------------------------------------------===//
// ReshapeOp and TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  if (input.getNumElements() != result.getNumElements())
    return emitOpError("cannot reshape ")
           << formatShape(input.getShape()) << " (" << input.getNumElements()
           << " elements) into " << formatShape(result.getShape()) << " ("
           << result.getNumElements() << " elements)";
  if (input.getElementType() != result.getElementType())
    return emitOpError("cannot change the element type from ")
           << input.getElementType() << " to " << result.getElementType();
  return success();
}

LogicalResult
TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                              Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  if (static_cast<int64_t>(permutation.size()) != input.getRank())
    return emitInferError<TransposeOp>(
        location, "permutation has ", permutation.size(),
        " entries but the input has rank ", input.getRank());
  SmallVector<bool> used(input.getRank(), false);
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= input.getRank() || used[dim])
      return emitInferError<TransposeOp>(location,
                                         "permutation must hold each of 0..",
                                         input.getRank() - 1, " exactly once");
    used[dim] = true;
    shape.push_back(input.getDimSize(dim));
  }
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult
MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                           Adaptor adaptor,
                           SmallVectorImpl<Type> &inferredReturnTypes) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getRank() < 2 || lhs.getRank() != rhs.getRank())
    return emitInferError<MatmulOp>(
        location,
        "operands must have the same rank, 2 or more; "
        "got ",
        lhs.getRank(), " and ", rhs.getRank());
  ArrayRef<int64_t> lhsShape = lhs.getShape(), rhsShape = rhs.getShape();
  int64_t rank = lhs.getRank();
  if (lhsShape.drop_back(2) != rhsShape.drop_back(2))
    return emitInferError<MatmulOp>(
        location, "batch dims differ: ", formatShape(lhsShape.drop_back(2)),
        " and ", formatShape(rhsShape.drop_back(2)));
  if (lhsShape[rank - 1] != rhsShape[rank - 2])
    return emitInferError<MatmulOp>(location, "lhs has ", lhsShape[rank - 1],
                                    " columns but rhs has ", rhsShape[rank - 2],
                                    " rows");
  if (lhs.getElementType() != rhs.getElementType())
    return emitInferError<MatmulOp>(
        location, "operands have different element types ",
        lhs.getElementType(), " and ", rhs.getElementType());
  SmallVector<int64_t> shape(lhsShape);
  shape.back() = rhsShape.back();
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp, RoPEOp, AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  int64_t dim = getDim();
  if (dim < -rank || dim >= rank)
    return emitOpError("softmax dim ")
           << dim << " is out of range for a tensor of rank " << rank;
  return success();
}

int64_t SoftmaxOp::getNormalizedDim() {
  int64_t dim = getDim();
  return dim < 0 ? dim + getInput().getType().getRank() : dim;
}

SmallVector<double>
mlir::tp::getRopeFreqFactors(std::optional<ArrayAttr> factors) {
  SmallVector<double> values;
  if (factors)
    for (Attribute factor : *factors)
      values.push_back(cast<FloatAttr>(factor).getValueAsDouble());
  return values;
}

LogicalResult RoPEOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() != 4)
    return emitOpError("input must be [batch, seq, heads, head_dim], got rank ")
           << input.getRank();
  if (input.getDimSize(3) % 2 != 0)
    return emitOpError("head_dim ")
           << input.getDimSize(3) << " must be even: features rotate in pairs";
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError("theta must be positive, got ")
           << getTheta().convertToDouble();
  if (getFreqFactors()) {
    SmallVector<double> factors = getRopeFreqFactors(getFreqFactors());
    if (int64_t(factors.size()) != input.getDimSize(3) / 2)
      return emitOpError("freq_factors has ")
             << factors.size() << " entries, one per pair of head_dim "
             << input.getDimSize(3) << " needs " << input.getDimSize(3) / 2;
    for (auto [pair, factor] : llvm::enumerate(factors))
      if (!(factor > 0.0))
        return emitOpError("freq_factors[")
               << pair << "] must be positive, got " << factor;
  }
  if (FloatAttr factor = getAttentionFactorAttr();
      factor && !(factor.getValueAsDouble() > 0.0))
    return emitOpError("attention_factor must be positive, got ")
           << factor.getValueAsDouble();
  return success();
}

LogicalResult
AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                              Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  inferredReturnTypes.push_back(adaptor.getQuery().getType());
  return success();
}

LogicalResult AttentionOp::verify() {
  RankedTensorType query = getQuery().getType();
  RankedTensorType key = getKey().getType();
  RankedTensorType value = getValue().getType();
  for (auto [name, type] :
       {std::pair<StringRef, RankedTensorType>{"query", query},
        {"key", key},
        {"value", value}})
    if (type.getRank() != 4)
      return emitOpError()
             << name << " must be [batch, seq, heads, head_dim], got rank "
             << type.getRank();
  if (key.getShape() != value.getShape())
    return emitOpError("key shape ")
           << formatShape(key.getShape()) << " and value shape "
           << formatShape(value.getShape()) << " differ";
  if (query.getDimSize(0) != key.getDimSize(0))
    return emitOpError("query batch ")
           << query.getDimSize(0) << " differs from key/value batch "
           << key.getDimSize(0);
  if (query.getDimSize(3) != key.getDimSize(3))
    return emitOpError("query head_dim ")
           << query.getDimSize(3) << " differs from key/value head_dim "
           << key.getDimSize(3);
  if (key.getDimSize(2) == 0 || query.getDimSize(2) % key.getDimSize(2) != 0)
    return emitOpError() << query.getDimSize(2)
                         << " query heads are not a multiple of "
                         << key.getDimSize(2) << " key/value heads";
  if (getCausal() && query.getDimSize(1) != key.getDimSize(1))
    return emitOpError("causal attention needs equal query and key lengths, "
                       "got ")
           << query.getDimSize(1) << " and " << key.getDimSize(1);
  if (query.getElementType() != key.getElementType() ||
      query.getElementType() != value.getElementType())
    return emitOpError("query, key and value element types differ: ")
           << query.getElementType() << ", " << key.getElementType() << ", "
           << value.getElementType();
  if (std::optional<APFloat> scale = getScale())
    if (!(scale->convertToDouble() > 0.0))
      return emitOpError("scale must be positive, got ")
             << scale->convertToDouble();
  return success();
}

/// The softmax scale of attention: `scale`, or 1/sqrt(head_dim).
static double getAttentionScale(std::optional<APFloat> scale,
                                RankedTensorType query) {
  if (scale)
    return scale->convertToDouble();
  return 1.0 / std::sqrt(static_cast<double>(query.getDimSize(3)));
}

double AttentionOp::getEffectiveScale() {
  return getAttentionScale(getScale(), getQuery().getType());
}

double AttentionGradOp::getEffectiveScale() {
  return getAttentionScale(getScale(), getQuery().getType());
}

//===----------------------------------------------------------------------===//
// SumOp and CrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult
SumOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                        Adaptor adaptor,
                        SmallVectorImpl<Type> &inferredReturnTypes) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  SmallVector<bool> reduced(input.getRank(), !adaptor.getDims().has_value());
  if (std::optional<ArrayRef<int64_t>> dims = adaptor.getDims()) {
    for (int64_t dim : *dims) {
      if (dim < 0 || dim >= input.getRank())
        return emitInferError<SumOp>(location, "sum dim ", dim,
                                     " is out of range for a tensor of rank ",
                                     input.getRank());
      if (reduced[dim])
        return emitInferError<SumOp>(location, "sum dim ", dim,
                                     " appears twice");
      reduced[dim] = true;
    }
  }
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(input.getShape()))
    if (!reduced[dim])
      shape.push_back(size);
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, input.getElementType()));
  return success();
}

SmallVector<int64_t> SumOp::getReducedDims() {
  if (std::optional<ArrayRef<int64_t>> dims = getDims())
    return SmallVector<int64_t>(*dims);
  return llvm::to_vector(llvm::seq<int64_t>(0, getInput().getType().getRank()));
}

LogicalResult CrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto logits = cast<RankedTensorType>(adaptor.getLogits().getType());
  auto labels = cast<RankedTensorType>(adaptor.getLabels().getType());
  if (logits.getRank() < 1)
    return emitInferError<CrossEntropyOp>(location,
                                          "logits must have rank 1 or more");
  if (logits.getShape().back() == 0)
    return emitInferError<CrossEntropyOp>(
        location, "logits have no classes: labels cannot index 0 classes");
  ArrayRef<int64_t> positions = logits.getShape().drop_back();
  if (labels.getShape() != positions)
    return emitInferError<CrossEntropyOp>(
        location, "labels have shape ", formatShape(labels.getShape()),
        " but logits ", formatShape(logits.getShape()), " need ",
        formatShape(positions));
  inferredReturnTypes.push_back(
      RankedTensorType::get({}, logits.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Training: backward ops and optimizer updates
//===----------------------------------------------------------------------===//

LogicalResult LinearInputGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto grad = cast<RankedTensorType>(adaptor.getGrad().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (weight.getRank() != 2 || grad.getRank() < 1)
    return emitInferError<LinearInputGradOp>(
        location, "layer '", adaptor.getLayer(),
        "': the weight must have rank 2 and the gradient rank 1 or more");
  SmallVector<int64_t> shape(grad.getShape());
  shape.back() = weight.getDimSize(1);
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, grad.getElementType()));
  return success();
}

LogicalResult LinearInputGradOp::verify() {
  RankedTensorType grad = getGrad().getType();
  RankedTensorType weight = getWeight().getType();
  if (failed(verifyLayerName(*this, getLayer())))
    return failure();
  if (grad.getShape().back() != weight.getDimSize(0))
    return emitOpError("layer '")
           << getLayer() << "': the gradient has " << grad.getShape().back()
           << " features but " << describeWeight(getWeight()) << " has "
           << weight.getDimSize(0) << " output features";
  if (grad.getElementType() != weight.getElementType())
    return emitOpError("layer '")
           << getLayer() << "': the gradient has element type "
           << grad.getElementType() << " but " << describeWeight(getWeight())
           << " has " << weight.getElementType();
  return success();
}

LogicalResult LinearWeightGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto grad = cast<RankedTensorType>(adaptor.getGrad().getType());
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (grad.getRank() < 1 || grad.getRank() != input.getRank() ||
      grad.getShape().drop_back() != input.getShape().drop_back())
    return emitInferError<LinearWeightGradOp>(
        location, "layer '", adaptor.getLayer(), "': the gradient ",
        formatShape(grad.getShape()), " and the input ",
        formatShape(input.getShape()),
        " must have rank 1 or more and the same leading dims");
  inferredReturnTypes.push_back(
      RankedTensorType::get({grad.getShape().back(), input.getShape().back()},
                            grad.getElementType()));
  return success();
}

LogicalResult LinearWeightGradOp::verify() {
  if (failed(verifyLayerName(*this, getLayer())))
    return failure();
  if (getGrad().getType().getElementType() !=
      getInput().getType().getElementType())
    return emitOpError("layer '")
           << getLayer() << "': the gradient has element type "
           << getGrad().getType().getElementType() << " but the input has "
           << getInput().getType().getElementType();
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  if (failed(verifyLayerName(*this, getLayer())))
    return failure();
  ArrayRef<int64_t> ids = getIds().getType().getShape();
  RankedTensorType grad = getGrad().getType();
  RankedTensorType table = getResult().getType();
  if (table.getRank() != 2 || grad.getRank() != ids.size() + 1 ||
      grad.getShape().drop_back() != ids ||
      grad.getShape().back() != table.getDimSize(1))
    return emitOpError("layer '")
           << getLayer() << "': the gradient " << formatShape(grad.getShape())
           << " must be the ids' shape " << formatShape(ids)
           << " followed by the table's " << table.getDimSize(1)
           << " columns, and the table rank 2";
  if (grad.getElementType() != table.getElementType())
    return emitOpError("layer '")
           << getLayer() << "': the gradient has element type "
           << grad.getElementType() << " but the table has "
           << table.getElementType();
  return success();
}

/// Checks a norm's weight gradient: one value per feature of the input.
static LogicalResult verifyNormWeightGrad(Operation *op, StringRef layer,
                                          RankedTensorType input,
                                          RankedTensorType result) {
  if (failed(verifyLayerName(op, layer)))
    return failure();
  if (input.getRank() < 1 || result.getRank() != 1 ||
      result.getDimSize(0) != input.getShape().back() ||
      result.getElementType() != input.getElementType())
    return op->emitOpError("layer '")
           << layer << "': the weight gradient " << result
           << " must hold one value per feature of the input " << input;
  return success();
}

LogicalResult RMSNormWeightGradOp::verify() {
  return verifyNormWeightGrad(*this, getLayer(), getInput().getType(),
                              getResult().getType());
}

LogicalResult LayerNormWeightGradOp::verify() {
  return verifyNormWeightGrad(*this, getLayer(), getInput().getType(),
                              getResult().getType());
}

LogicalResult BroadcastOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  ArrayRef<int64_t> dims = getDims();
  if (input.getElementType() != result.getElementType())
    return emitOpError("the result has element type ")
           << result.getElementType() << " but the input has "
           << input.getElementType();
  if (input.getRank() + static_cast<int64_t>(dims.size()) != result.getRank())
    return emitOpError("broadcasting a tensor of rank ")
           << input.getRank() << " along " << dims.size()
           << " new dims gives rank " << input.getRank() + dims.size()
           << ", not " << result.getRank();
  SmallVector<int64_t> kept;
  for (auto [index, dim] : llvm::enumerate(dims)) {
    if (failed(verifyDimInRange(*this, "broadcast dim", dim, result.getRank())))
      return failure();
    if (index > 0 && dim <= dims[index - 1])
      return emitOpError("broadcast dims must be ascending, each once");
  }
  for (int64_t dim = 0; dim < result.getRank(); ++dim)
    if (!llvm::is_contained(dims, dim))
      kept.push_back(result.getDimSize(dim));
  if (ArrayRef<int64_t>(kept) != input.getShape())
    return emitOpError("the result's dims but the broadcast ones are ")
           << formatShape(kept) << ", not the input's "
           << formatShape(input.getShape());
  return success();
}

/// Checks that an optimizer update's `operand` (named `what`) is a value
/// tp.get_parameter reads of a parameter marked optimizer_state or not as
/// `state` says: the update writes that parameter's storage. A symbol check
/// (verifySymbolUses), so that the parameter is found in the symbol table
/// rather than by a scan of the module per update.
static LogicalResult verifyUpdated(Operation *op, Value operand, StringRef what,
                                   bool state, SymbolTableCollection &symbols) {
  auto get = operand.getDefiningOp<GetParameterOp>();
  if (!get)
    return op->emitOpError("writes its ")
           << what << " in place, so it must be a value tp.get_parameter "
           << "reads";
  auto param =
      symbols.lookupNearestSymbolFrom<ParameterOp>(op, get.getNameAttr());
  if (param && param.getOptimizerState() != state)
    return op->emitOpError("its ")
           << what << " '" << get.getName() << "' " << (state ? "is not" : "is")
           << " a parameter marked "
           << "optimizer_state";
  return success();
}

/// Checks the parameter an optimizer update writes and the optimizer
/// `state` it keeps (its operands after the gradient, with their names).
static LogicalResult
verifyUpdatedAll(ParameterUpdateOpInterface update,
                 ArrayRef<std::pair<Value, StringRef>> state,
                 SymbolTableCollection &symbols) {
  Operation *op = update;
  if (failed(verifyUpdated(op, update.getParam(), "parameter",
                           /*state=*/false, symbols)))
    return failure();
  for (auto [operand, what] : state)
    if (failed(verifyUpdated(op, operand, what, /*state=*/true, symbols)))
      return failure();
  return success();
}

/// The checks every optimizer update shares: the types (the parameter's for
/// its gradient, `stateType` for its state) and the learning rate and weight
/// decay.
static LogicalResult verifyUpdate(ParameterUpdateOpInterface update,
                                  Type stateType, double lr,
                                  double weightDecay) {
  Operation *op = update;
  for (Value operand : op->getOperands().drop_front(2))
    if (operand.getType() != stateType)
      return op->emitOpError("its optimizer state must have type ")
             << stateType << ", got " << operand.getType();
  if (!(lr > 0.0))
    return op->emitOpError("the learning rate must be positive, got ") << lr;
  if (!(weightDecay >= 0.0))
    return op->emitOpError("the weight decay must not be negative, got ")
           << weightDecay;
  return success();
}

/// The f32 type of the master copy of a 16-bit parameter of `type`, or
/// null where it is not 16-bit (and needs none).
static RankedTensorType getMasterType(RankedTensorType type) {
  if (!type.getElementType().isF16() && !type.getElementType().isBF16())
    return {};
  return type.clone(Float32Type::get(type.getContext()));
}

/// Checks that a mixed-precision update's parameter is 16-bit, as only such
/// a parameter needs a master copy.
static LogicalResult verifyNeedsMaster(ParameterUpdateOpInterface update) {
  auto type = cast<RankedTensorType>(update.getParam().getType());
  if (!getMasterType(type))
    return update->emitOpError("updates a parameter of type ")
           << type
           << " through a master copy, which only an f16 or bf16 parameter "
              "needs";
  return success();
}

/// Checks that a mixed-precision update's master copy (already checked to be
/// read by tp.get_parameter, as its parameter) is the master of its
/// parameter.
static LogicalResult verifyMasterOf(ParameterUpdateOpInterface update,
                                    Value master,
                                    SymbolTableCollection &symbols) {
  StringRef param = update.getParam().getDefiningOp<GetParameterOp>().getName();
  auto copy = symbols.lookupNearestSymbolFrom<ParameterOp>(
      update, master.getDefiningOp<GetParameterOp>().getNameAttr());
  if (copy && copy.getMasterOf() != param)
    return update->emitOpError("its master copy '")
           << copy.getSymName() << "' is not master_of '" << param << "'";
  return success();
}

/// Checks AdamW's hyperparameters.
static LogicalResult verifyAdamW(Operation *op, APFloat beta1, APFloat beta2,
                                 APFloat eps) {
  for (auto [name, beta] :
       {std::pair{"beta1", beta1}, std::pair{"beta2", beta2}})
    if (!(beta.convertToDouble() >= 0.0 && beta.convertToDouble() < 1.0))
      return op->emitOpError(name)
             << " must be in [0, 1), got " << beta.convertToDouble();
  if (!(eps.convertToDouble() > 0.0))
    return op->emitOpError("eps must be positive, got ")
           << eps.convertToDouble();
  return success();
}

LogicalResult SGDOp::verify() {
  return verifyUpdate(*this, getParam().getType(), getLr().convertToDouble(),
                      getWeightDecay().convertToDouble());
}

LogicalResult SGDOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyUpdatedAll(*this, {}, symbols);
}

LogicalResult AdamWOp::verify() {
  if (failed(verifyUpdate(*this, getParam().getType(),
                          getLr().convertToDouble(),
                          getWeightDecay().convertToDouble())))
    return failure();
  return verifyAdamW(*this, getBeta1(), getBeta2(), getEps());
}

LogicalResult AdamWOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyUpdatedAll(
      *this, {{getExpAvg(), "exp_avg"}, {getExpAvgSq(), "exp_avg_sq"}},
      symbols);
}

LogicalResult SGDMasterOp::verify() {
  if (failed(verifyNeedsMaster(*this)))
    return failure();
  return verifyUpdate(*this, getMasterType(getParam().getType()),
                      getLr().convertToDouble(),
                      getWeightDecay().convertToDouble());
}

LogicalResult SGDMasterOp::verifySymbolUses(SymbolTableCollection &symbols) {
  if (failed(verifyUpdatedAll(*this, {{getMaster(), "master copy"}}, symbols)))
    return failure();
  return verifyMasterOf(*this, getMaster(), symbols);
}

LogicalResult AdamWMasterOp::verify() {
  if (failed(verifyNeedsMaster(*this)) ||
      failed(verifyUpdate(*this, getMasterType(getParam().getType()),
                          getLr().convertToDouble(),
                          getWeightDecay().convertToDouble())))
    return failure();
  return verifyAdamW(*this, getBeta1(), getBeta2(), getEps());
}

LogicalResult AdamWMasterOp::verifySymbolUses(SymbolTableCollection &symbols) {
  if (failed(verifyUpdatedAll(*this,
                              {{getMaster(), "master copy"},
                               {getExpAvg(), "exp_avg"},
                               {getExpAvgSq(), "exp_avg_sq"}},
                              symbols)))
    return failure();
  return verifyMasterOf(*this, getMaster(), symbols);
}

LogicalResult ParameterOp::verifySymbolUses(SymbolTableCollection &symbols) {
  std::optional<StringRef> weight = getMasterOf();
  if (!weight)
    return success();
  auto param =
      symbols.lookupNearestSymbolFrom<ParameterOp>(*this, getMasterOfAttr());
  RankedTensorType master =
      param ? getMasterType(param.getTensorType()) : RankedTensorType();
  if (!master)
    return emitOpError("is master_of '")
           << *weight << "', which is not an f16 or bf16 parameter";
  if (!getOptimizerState() || getTensorType() != master)
    return emitOpError("the master copy of '")
           << *weight << "' must be optimizer_state of type " << master;
  return success();
}

//===----------------------------------------------------------------------===//
// AnnotateOp
//===----------------------------------------------------------------------===//

/// A partial sum only means something for numbers that add up.
static LogicalResult verifyPartialIsFloat(Operation *op, LayoutAttr layout,
                                          RankedTensorType type) {
  bool partial = llvm::any_of(layout.getPlacements(),
                              [](Placement p) { return p.isPartial(); });
  if (partial && !isa<FloatType>(type.getElementType()))
    return op->emitOpError("a ")
           << type.getElementType()
           << " tensor cannot be a partial sum (P(sum)); only floating-point "
              "values add up";
  return success();
}

LogicalResult AnnotateOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<MeshOp> mesh =
      lookupMesh(*this, symbolTable, getLayout().getMesh());
  if (failed(mesh) ||
      failed(verifyPartialIsFloat(*this, getLayout(), getInput().getType())))
    return failure();
  return verifyLayout([&] { return emitOpError(); }, *mesh, getLayout(),
                      getInput().getType());
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

/// Checks a collective's mesh and axes; returns the number of ranks in each
/// of its groups (the product of its axes' sizes).
static FailureOr<int64_t> verifyCollectiveAxes(Operation *op,
                                               SymbolTableCollection &symbols,
                                               FlatSymbolRefAttr meshName,
                                               ArrayAttr axes) {
  FailureOr<MeshOp> mesh = lookupMesh(op, symbols, meshName);
  if (failed(mesh))
    return failure();
  if (axes.empty())
    return op->emitOpError("names no mesh axis to run over");
  int64_t groupSize = 1;
  llvm::SmallSet<StringRef, 4> seen;
  for (Attribute axisAttr : axes) {
    StringRef axis = cast<StringAttr>(axisAttr).getValue();
    std::optional<unsigned> index = mesh->getAxisIndex(axis);
    if (!index) {
      InFlightDiagnostic diag = op->emitOpError("mesh '")
                                << meshName.getValue() << "' has no axis '"
                                << axis << "' (its axes: ";
      llvm::interleaveComma(mesh->getAxisNames(), diag, [&](Attribute name) {
        diag << cast<StringAttr>(name).getValue();
      });
      return diag << ")";
    }
    if (!seen.insert(axis).second)
      return op->emitOpError("names mesh axis '") << axis << "' twice";
    groupSize *= mesh->getAxisSizes()[*index];
  }
  Type inputElement = mlir::getElementTypeOrSelf(op->getOperand(0).getType());
  Type resultElement = mlir::getElementTypeOrSelf(op->getResult(0).getType());
  if (inputElement != resultElement)
    return op->emitOpError("result element type ")
           << resultElement << " differs from input element type "
           << inputElement;
  return groupSize;
}

/// Accepts a collective's result type if it is the input type (the global
/// program) or `input` with dim `divided` divided and dim `multiplied`
/// multiplied by the group size (a rank's program); either dim may be absent.
static LogicalResult
verifyGlobalOrLocalResult(Operation *op, int64_t groupSize,
                          std::optional<int64_t> divided,
                          std::optional<int64_t> multiplied) {
  auto input = cast<RankedTensorType>(op->getOperand(0).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  if (input.getShape() == result.getShape())
    return success();
  SmallVector<int64_t> local(input.getShape());
  if (divided) {
    if (local[*divided] % groupSize != 0)
      return op->emitOpError("dim ")
             << *divided << " of size " << local[*divided]
             << " does not divide evenly over " << groupSize << " ranks";
    local[*divided] /= groupSize;
  }
  if (multiplied)
    local[*multiplied] *= groupSize;
  if (result.getShape() == ArrayRef<int64_t>(local))
    return success();
  return op->emitOpError("result shape ")
         << formatShape(result.getShape())
         << " is neither the input shape (global program) nor "
         << formatShape(local) << " (this rank's shard over " << groupSize
         << " ranks)";
}

LogicalResult AllReduceOp::verify() {
  if (!getAsync())
    return success();
  Operation *user =
      getResult().hasOneUse() ? *getResult().user_begin() : nullptr;
  if (!isa_and_nonnull<WaitOp>(user) || user->getBlock() != (*this)->getBlock())
    return emitOpError("is async, so its result must have exactly one user, "
                       "a tp.wait in the same block");
  if (user->isBeforeInBlock(*this))
    return emitOpError("is async, but its tp.wait comes before it");
  return success();
}

LogicalResult WaitOp::verify() {
  auto collective = getInput().getDefiningOp<AllReduceOp>();
  if (!collective || !collective.getAsync())
    return emitOpError("waits for a value that no async collective produces");
  return success();
}

LogicalResult AllReduceOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyCollectiveAxes(*this, symbols, getMeshAttr(), getAxes());
}

LogicalResult AllGatherOp::verifySymbolUses(SymbolTableCollection &symbols) {
  FailureOr<int64_t> groupSize =
      verifyCollectiveAxes(*this, symbols, getMeshAttr(), getAxes());
  if (failed(groupSize) ||
      failed(verifyDimInRange(*this, "dim", getDim(),
                              getInput().getType().getRank())))
    return failure();
  return verifyGlobalOrLocalResult(*this, *groupSize, std::nullopt, getDim());
}

LogicalResult
ReduceScatterOp::verifySymbolUses(SymbolTableCollection &symbols) {
  FailureOr<int64_t> groupSize =
      verifyCollectiveAxes(*this, symbols, getMeshAttr(), getAxes());
  if (failed(groupSize) ||
      failed(verifyDimInRange(*this, "dim", getDim(),
                              getInput().getType().getRank())))
    return failure();
  return verifyGlobalOrLocalResult(*this, *groupSize, getDim(), std::nullopt);
}

LogicalResult AllToAllOp::verifySymbolUses(SymbolTableCollection &symbols) {
  FailureOr<int64_t> groupSize =
      verifyCollectiveAxes(*this, symbols, getMeshAttr(), getAxes());
  int64_t rank = getInput().getType().getRank();
  if (failed(groupSize) ||
      failed(verifyDimInRange(*this, "split_dim", getSplitDim(), rank)) ||
      failed(verifyDimInRange(*this, "concat_dim", getConcatDim(), rank)))
    return failure();
  if (getSplitDim() == getConcatDim())
    return emitOpError("split_dim and concat_dim are both ")
           << getSplitDim() << "; an all_to_all moves a split between two "
           << "different dims";
  return verifyGlobalOrLocalResult(*this, *groupSize, getSplitDim(),
                                   getConcatDim());
}

LogicalResult LocalSliceOp::verifySymbolUses(SymbolTableCollection &symbols) {
  FailureOr<int64_t> groupSize =
      verifyCollectiveAxes(*this, symbols, getMeshAttr(), getAxes());
  if (failed(groupSize) ||
      failed(verifyDimInRange(*this, "dim", getDim(),
                              getInput().getType().getRank())))
    return failure();
  return verifyGlobalOrLocalResult(*this, *groupSize, getDim(), std::nullopt);
}

#define GET_OP_CLASSES
#include "tp/Dialect/TP/IR/TPOps.cpp.inc"
