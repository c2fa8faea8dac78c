//===- TPAttrs.td - tp dialect attributes ------------------*- tablegen -*-===//
//
// This file defines the layout attribute (a mesh and one DTensor placement
// per mesh axis), the parallel style a plan gives a layer, and the rotary
// embedding's pairing convention.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPATTRS_TD
#define TP_DIALECT_TP_IR_TPATTRS_TD

include "tp/Dialect/TP/IR/TPBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/EnumAttr.td"

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
}

def TP_ParallelStyleKind : I32EnumAttr<"ParallelStyleKind",
    "how a plan parallelizes one layer", [
      I32EnumAttrCase<"Colwise", 0, "colwise">,
      I32EnumAttrCase<"Rowwise", 1, "rowwise">,
      I32EnumAttrCase<"SequenceParallel", 2, "sequence_parallel">,
      I32EnumAttrCase<"Replicate", 3, "replicate">
    ]> {
  let cppNamespace = "::mlir::tp";
  let genSpecializedAttr = 0;
}

def TP_RopeConvention : I32EnumAttr<"RopeConvention",
    "which features a rotary embedding rotates together", [
      I32EnumAttrCase<"Interleaved", 0, "interleaved">,
      I32EnumAttrCase<"Half", 1, "half">
    ]> {
  let cppNamespace = "::mlir::tp";
  let genSpecializedAttr = 0;
}

def TP_RopeConventionAttr : EnumAttr<TP_Dialect, TP_RopeConvention,
    "rope_convention"> {
  let summary = "The pairing of features in a rotary embedding";
  let description = [{
    Which two features of a head `tp.rope` and `tp.rope_grad` rotate together
    as pair `i` (`0 <= i < head_dim / 2`):

    - `interleaved`: `(x[2i], x[2i+1])`, Meta's Llama convention;
    - `half`: `(x[i], x[i + head_dim/2])`, Hugging Face's `rotate_half`.

    In an op it is written as its keyword, after `convention`.

    Example:

    ```mlir
    #tp<rope_convention half>
    %q = tp.rope %x theta 1.000000e+04 convention half : tensor<1x8x4x16xf32>
    ```
  }];
}

def TP_StyleAttr : TP_Attr<"Style", "style"> {
  let summary = "The parallel style a plan gives one layer";
  let description = [{
    Attached by `tp-apply-plan` to the layer ops a plan names, as PyTorch's
    `ColwiseParallel`, `RowwiseParallel`, `SequenceParallel` or a replicated
    layer, over one mesh axis (the tensor-parallel axis):

    - `colwise`: the weight (and bias) is split on dim 0, the output
      features; the input is replicated and the output sharded on its last
      dim (`S(-1)`). On an embedding, the table is split on dim 1.
    - `rowwise`: the weight is split on dim 1, the input features; the input
      is sharded on its last dim and the output is a partial sum, completed
      into `R` (or, with `output = S(1)`, reduce-scattered). On an embedding,
      the table is split on dim 0 (the vocabulary).
    - `sequence_parallel`: a norm computed on a sequence shard: input and
      output `S(1)`, weight replicated.
    - `replicate`: weights, input and output replicated.

    `input` and `output` are PyTorch's `input_layouts` / `output_layouts`:
    the layout the layer's input arrives in and the one its output must be
    delivered in, each `R` or `S(d)` (negative `d` counts from the end).
    `use_local_output` is kept for fidelity with PyTorch plans; in a compiled
    program every value is already the rank's local tensor, so it changes
    nothing.

    Example:

    ```mlir
    #tp.style<colwise on @mesh["tp"]>
    #tp.style<rowwise on @mesh["tp"], input = R, output = S(1)>
    ```
  }];
  let parameters = (ins
    EnumParameter<TP_ParallelStyleKind>:$kind,
    "::mlir::FlatSymbolRefAttr":$mesh,
    "::mlir::StringAttr":$axis,
    OptionalParameter<"std::optional<::mlir::tp::Placement>">:$inputLayout,
    OptionalParameter<"std::optional<::mlir::tp::Placement>">:$outputLayout,
    DefaultValuedParameter<"bool", "true">:$useLocalOutput
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // TP_DIALECT_TP_IR_TPATTRS_TD
