//===- TPAttrs.td - tp dialect attributes ------------------*- tablegen -*-===//
//
// This file defines the layout attribute: a mesh and one DTensor placement
// per mesh axis.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPATTRS_TD
#define TP_DIALECT_TP_IR_TPATTRS_TD

include "tp/Dialect/TP/IR/TPBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def TP_LayoutAttr : TP_Attr<"Layout", "layout"> {
  let summary = "How a tensor is laid out over a device mesh";
  let description = [{
    A layout names a mesh (`tp.mesh`) and gives one placement per mesh axis,
    in the mesh's axis order, as DTensor does:

    - `R`: every rank along the axis holds the whole tensor (Replicate);
    - `S(d)`: the tensor's dim `d` is split evenly over the ranks along the
      axis, in rank order (Shard(d));
    - `P(sum)`: every rank holds a tensor of the full shape whose sum over the
      axis is the value (Partial(sum)), as a row-wise linear layer produces.

    Two axes may shard the same dim; the first axis in mesh order then takes
    the outer split.

    Constraints (checked here):
    - a shard dim is not negative.

    Constraints (checked by the op that carries the layout, which knows the
    mesh and the tensor):
    - there is exactly one placement per mesh axis;
    - a shard dim is below the tensor's rank and its size divides evenly.

    Example:

    ```mlir
    // On tp.mesh @mesh(dp = 2, tp = 4): batch split on dp, features on tp.
    #tp.layout<@mesh, [S(0), S(1)]>
    // A row-wise linear layer's output on tp.mesh @mesh(tp = 2).
    #tp.layout<@mesh, [P(sum)]>
    ```
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    ArrayRefParameter<"::mlir::tp::Placement", "one placement per mesh axis">:$placements
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when no axis shards or holds a partial sum.
    bool isFullyReplicated() const;
    /// True when some axis holds a partial sum.
    bool hasPartial() const;
  }];
}

#endif // TP_DIALECT_TP_IR_TPATTRS_TD
