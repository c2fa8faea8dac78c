//===- TPDialect.cpp - tp dialect and attributes --------------------------===//
//
// This file registers the `tp` dialect and implements its layout attribute:
// parsing, printing and verification of `#tp.layout<@mesh, [R, S(1), P(sum)]>`.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/IR/TPDialect.h"
#include "tp/Dialect/TP/IR/TPAttrs.h"
#include "tp/Dialect/TP/IR/TPOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
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
// Placement
//===----------------------------------------------------------------------===//

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
