//===- TPAttrs.h - tp dialect attributes ------------------------*- C++ -*-===//
//
// This file declares the placement of a tensor along one mesh axis and the
// layout attribute built from them.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPATTRS_H
#define TP_DIALECT_TP_IR_TPATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/Hashing.h"

namespace mlir::tp {

/// How a tensor is laid out along one mesh axis, as DTensor's placements:
/// Replicate, Shard(dim) or Partial(sum).
class Placement {
public:
  enum class Kind : uint8_t { Replicate, Shard, Partial };

  /// The default placement is Replicate.
  Placement() : Placement(Kind::Replicate, 0) {}

  static Placement replicate() { return Placement(Kind::Replicate, 0); }
  static Placement shard(int64_t dim) { return Placement(Kind::Shard, dim); }
  static Placement partial() { return Placement(Kind::Partial, 0); }

  Kind getKind() const { return kind; }
  bool isReplicate() const { return kind == Kind::Replicate; }
  bool isShard() const { return kind == Kind::Shard; }
  bool isPartial() const { return kind == Kind::Partial; }
  /// The sharded tensor dim; only meaningful for Shard.
  int64_t getDim() const { return dim; }

  bool operator==(const Placement &other) const {
    return kind == other.kind && dim == other.dim;
  }
  bool operator!=(const Placement &other) const { return !(*this == other); }

  /// Prints `R`, `S(d)` or `P(sum)`, the syntax layouts use.
  void print(llvm::raw_ostream &os) const;

private:
  Placement(Kind kind, int64_t dim) : kind(kind), dim(dim) {}

  Kind kind;
  int64_t dim;
};

inline llvm::hash_code hash_value(const Placement &placement) {
  return llvm::hash_combine(static_cast<uint8_t>(placement.getKind()),
                            placement.getDim());
}

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                                     const Placement &placement) {
  placement.print(os);
  return os;
}

} // namespace mlir::tp

#include "tp/Dialect/TP/IR/TPEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tp/Dialect/TP/IR/TPAttrs.h.inc"

#endif // TP_DIALECT_TP_IR_TPATTRS_H
