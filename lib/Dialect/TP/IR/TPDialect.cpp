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

/// Parses one placement: `R`, `S(<dim>)` or `P(sum)`.
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
    if (parser.parseLParen() || parser.parseInteger(dim) || parser.parseRParen())
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
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        return parsePlacement(parser, placements.emplace_back());
      }) ||
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

bool LayoutAttr::isFullyReplicated() const {
  return llvm::all_of(getPlacements(),
                      [](Placement p) { return p.isReplicate(); });
}

bool LayoutAttr::hasPartial() const {
  return llvm::any_of(getPlacements(), [](Placement p) { return p.isPartial(); });
}
