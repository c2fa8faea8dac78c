//===- TPDialect.cpp - tp dialect and attributes --------------------------===//
//
// This file registers the `tp` dialect and implements its layout attribute
// (parsing, printing and verification of `#tp.layout<@mesh, [R, S(1),
// P(sum)]>`) and the verification of the `tp.style` a layer carries.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/IR/TPDialect.h"
#include "tp/Dialect/TP/IR/TPAttrs.h"
#include "tp/Dialect/TP/IR/TPOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tp;

#include "tp/Dialect/TP/IR/TPDialect.cpp.inc"
#include "tp/Dialect/TP/IR/TPEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tp/Dialect/TP/IR/TPAttrs.cpp.inc"

void TPDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tp/Dialect/TP/IR/TPOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tp/Dialect/TP/IR/TPAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Styles
//===----------------------------------------------------------------------===//

LogicalResult mlir::tp::verifyStyleFits(LayerOpInterface layer,
                                        ParallelStyleKind kind,
                                        std::optional<Placement> input,
                                        std::optional<Placement> output) {
  Operation *op = layer;
  SmallVector<ParallelStyleKind> styles = layer.getParallelStyles();
  if (kind != ParallelStyleKind::Replicate &&
      !llvm::is_contained(styles, kind)) {
    SmallVector<StringRef> names =
        llvm::map_to_vector(styles, [](ParallelStyleKind style) {
          return stringifyParallelStyleKind(style);
        });
    return op->emitError("layer '")
           << layer.getLayer() << "' (" << op->getName() << ") cannot be "
           << stringifyParallelStyleKind(kind) << "; it takes "
           << llvm::join(names, ", ") << " or replicate";
  }
  for (auto [what, layout, value] :
       {std::tuple("input", input, op->getOperand(0)),
        std::tuple("output", output, Value(op->getResult(0)))}) {
    int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
    if (layout && layout->isShard() &&
        (layout->getDim() < -rank || layout->getDim() >= rank))
      return op->emitError("layer '")
             << layer.getLayer() << "': " << what << " layout "
             << describePlacement(*layout) << " is out of range for its rank-"
             << rank << " " << what;
  }
  return success();
}

LogicalResult TPDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attribute) {
  if (attribute.getName() != kStyleAttrName)
    return success();
  auto style = dyn_cast<StyleAttr>(attribute.getValue());
  if (!style)
    return op->emitOpError("has a tp.style that is not a #tp.style");
  auto layer = dyn_cast<LayerOpInterface>(op);
  if (!layer)
    return op->emitOpError("has a tp.style but is not a layer");
  auto mesh = SymbolTable::lookupNearestSymbolFrom<MeshOp>(op, style.getMesh());
  if (!mesh)
    return op->emitOpError("layer '")
           << layer.getLayer() << "': its style names mesh " << style.getMesh()
           << ", which is not a tp.mesh";
  StringRef axis = style.getAxis().getValue();
  if (!mesh.getAxisIndex(axis))
    return op->emitOpError("layer '")
           << layer.getLayer() << "': its style splits over mesh axis '" << axis
           << "', which is not an axis of mesh '" << mesh.getSymName() << "'";
  // Styles split over the tensor-parallel axis; the others split the batch.
  if (auto module = op->getParentOfType<ModuleOp>())
    if (auto tpAxis = module->getAttrOfType<StringAttr>(kTPAxisAttrName))
      if (tpAxis.getValue() != axis)
        return op->emitOpError("layer '")
               << layer.getLayer() << "': its style splits over mesh axis '"
               << axis << "', which is not the tensor-parallel axis '"
               << tpAxis.getValue() << "'";
  return verifyStyleFits(layer, style.getKind(), style.getInputLayout(),
                         style.getOutputLayout());
}

//===----------------------------------------------------------------------===//
// Placement
//===----------------------------------------------------------------------===//

std::string mlir::tp::describePlacement(Placement placement) {
  switch (placement.getKind()) {
  case Placement::Kind::Replicate:
    return "Replicate";
  case Placement::Kind::Shard:
    return "Shard(" + std::to_string(placement.getDim()) + ")";
  case Placement::Kind::Partial:
    return "Partial(sum)";
  }
  llvm_unreachable("unknown placement kind");
}

void Placement::print(llvm::raw_ostream &os) const {
  switch (kind) {
  case Kind::Replicate:
    os << "R";
    return;
  case Kind::Shard:
    os << "S(" << dim << ")";
    return;
  case Kind::Partial:
    os << "P(sum)";
    return;
  }
}

/// Parses one placement: `R`, `S(<dim>)` (a negative dim is allowed in
/// styles, where it counts from the end) or `P(sum)`.
static ParseResult parsePlacement(AsmParser &parser, Placement &placement) {
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef kind;
  if (parser.parseKeyword(&kind))
    return failure();
  if (kind == "R") {
    placement = Placement::replicate();
    return success();
  }
  if (kind == "S") {
    int64_t dim;
    if (parser.parseLParen() || parser.parseInteger(dim) ||
        parser.parseRParen())
      return failure();
    placement = Placement::shard(dim);
    return success();
  }
  if (kind == "P") {
    if (parser.parseLParen() || parser.parseKeyword("sum") ||
        parser.parseRParen())
      return failure();
    placement = Placement::partial();
    return success();
  }
  return parser.emitError(loc, "unknown placement '")
         << kind << "'; expected R, S(<dim>) or P(sum)";
}

//===----------------------------------------------------------------------===//
// LayoutAttr
//===----------------------------------------------------------------------===//

Attribute LayoutAttr::parse(AsmParser &parser, Type) {
  StringAttr meshName;
  SmallVector<Placement> placements;
  if (parser.parseLess() || parser.parseSymbolName(meshName) ||
      parser.parseComma() ||
      parser.parseCommaSeparatedList(
          AsmParser::Delimiter::Square,
          [&] { return parsePlacement(parser, placements.emplace_back()); }) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<LayoutAttr>(
      parser.getContext(), FlatSymbolRefAttr::get(meshName), placements);
}

void LayoutAttr::print(AsmPrinter &printer) const {
  printer << "<" << getMesh() << ", [";
  llvm::interleaveComma(getPlacements(), printer.getStream());
  printer << "]>";
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 FlatSymbolRefAttr mesh,
                                 ArrayRef<Placement> placements) {
  for (Placement placement : placements)
    if (placement.isShard() && placement.getDim() < 0)
      return emitError() << "layout shards dim " << placement.getDim()
                         << "; shard dims must not be negative";
  return success();
}

//===----------------------------------------------------------------------===//
// StyleAttr
//===----------------------------------------------------------------------===//

/// Parses `<kind> on @mesh["axis"] (, input = P)? (, output = P)?
/// (, use_local_output = true|false)?`.
Attribute StyleAttr::parse(AsmParser &parser, Type) {
  llvm::SMLoc loc = parser.getCurrentLocation();
  StringRef kindName;
  StringAttr meshName;
  std::string axis;
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<ParallelStyleKind> kind = symbolizeParallelStyleKind(kindName);
  if (!kind) {
    parser.emitError(loc, "unknown parallel style '")
        << kindName << "'; expected colwise, rowwise, sequence_parallel or "
        << "replicate";
    return {};
  }
  if (parser.parseKeyword("on") || parser.parseSymbolName(meshName) ||
      parser.parseLSquare() || parser.parseString(&axis) ||
      parser.parseRSquare())
    return {};
  std::optional<Placement> input, output;
  bool useLocalOutput = true;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    if (key == "input" || key == "output") {
      Placement placement;
      if (parsePlacement(parser, placement))
        return {};
      (key == "input" ? input : output) = placement;
    } else if (key == "use_local_output") {
      StringRef value;
      if (parser.parseKeyword(&value))
        return {};
      if (value != "true" && value != "false") {
        parser.emitError(parser.getCurrentLocation(),
                         "use_local_output must be true or false, got '")
            << value << "'";
        return {};
      }
      useLocalOutput = value == "true";
    } else {
      parser.emitError(parser.getCurrentLocation(), "unknown style field '")
          << key << "'; expected input, output or use_local_output";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<StyleAttr>(
      parser.getContext(), *kind, FlatSymbolRefAttr::get(meshName),
      StringAttr::get(parser.getContext(), axis), input, output,
      useLocalOutput);
}

void StyleAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyParallelStyleKind(getKind()) << " on " << getMesh()
          << "[\"" << getAxis().getValue() << "\"]";
  if (getInputLayout())
    printer << ", input = " << *getInputLayout();
  if (getOutputLayout())
    printer << ", output = " << *getOutputLayout();
  if (!getUseLocalOutput())
    printer << ", use_local_output = false";
  printer << ">";
}

LogicalResult StyleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ParallelStyleKind kind, FlatSymbolRefAttr mesh,
                                StringAttr axis, std::optional<Placement> input,
                                std::optional<Placement> output,
                                bool useLocalOutput) {
  if (axis.getValue().empty())
    return emitError() << "style names an empty mesh axis";
  for (std::optional<Placement> placement : {input, output})
    if (placement && placement->isPartial())
      return emitError() << "a layer's input or output layout must be R or "
                            "S(d), not P(sum)";
  return success();
}
