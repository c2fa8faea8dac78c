//===- TPOps.td - tp dialect operations --------------------*- tablegen -*-===//
//
// This file defines the ops of the `tp` dialect: the device mesh, named
// parameters, the model ops (global semantics, PyTorch conventions), the
// layout annotation and the collectives.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPOPS_TD
#define TP_DIALECT_TP_IR_TPOPS_TD

include "tp/Dialect/TP/IR/TPBase.td"
include "tp/Dialect/TP/IR/TPAttrs.td"
include "tp/Dialect/TP/Interfaces/ShardingRuleInterface.td"
include "tp/Dialect/TP/Interfaces/TrainingInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// The storage of the parameters (and optimizer state): tp.get_parameter reads
// it, optimizer updates write it in place.
def TP_ParameterStorage : Resource<"::mlir::tp::ParameterStorageResource">;

//===----------------------------------------------------------------------===//
// Mesh and parameters
//===----------------------------------------------------------------------===//

def TP_MeshOp : TP_Op<"mesh", [Symbol]> {
  let summary = "A named device mesh";
  let description = [{
    Declares a device mesh: an n-dimensional grid of ranks whose axes have
    names and sizes, e.g. a data-parallel axis of 2 and a tensor-parallel axis
    of 4. Layouts and collectives refer to the mesh by its symbol and to its
    axes by name. Ranks are numbered row-major: the last axis varies fastest,
    so in `(dp = 2, tp = 4)` ranks 0-3 form the first tensor-parallel group.

    Constraints:
    - the mesh has at least one axis;
    - every axis name is non-empty and appears once;
    - every axis size is at least 1.

    Example:

    ```mlir
    tp.mesh @mesh(dp = 2, tp = 4)
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    StrArrayAttr:$axis_names,
    DenseI64ArrayAttr:$axis_sizes
  );
  let assemblyFormat = [{
    $sym_name `` custom<MeshAxes>($axis_names, $axis_sizes) attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The number of ranks in the mesh (the product of the axis sizes).
    int64_t getNumRanks();
    /// The position of the axis called `name`, if there is one.
    std::optional<unsigned> getAxisIndex(llvm::StringRef name);
  }];
}

def TP_ParameterOp : TP_Op<"parameter",
    [Symbol, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "A named model weight";
  let description = [{
    Declares a weight of the model by its PyTorch state-dict key (e.g.
    `layers.0.feed_forward.w1.weight`) with its global shape and element type,
    so that a checkpoint can be checked against the model before any compute.
    Ops read the weight with `tp.get_parameter`.

    A parameter marked `optimizer_state` is not a weight of the model but
    state a training step keeps beside one (AdamW's moments): it starts at
    zero and is saved and resumed with the weights. One that is also
    `master_of` a 16-bit weight is that weight's f32 master copy (mixed
    precision): it starts as the weight's values.

    Constraints:
    - the type is a statically shaped tensor of floating-point values;
    - with `master_of`: the parameter is optimizer state of type f32 and the
      shape of the weight it names, an f16 or bf16 parameter.

    Example:

    ```mlir
    tp.parameter @"w1.weight" : tensor<8192x8192xf32>
    tp.parameter @"optimizer.w1.weight.exp_avg" : tensor<8192x8192xf32>
        {optimizer_state}
    tp.parameter @"optimizer.w2.weight.master" : tensor<8192x8192xf32>
        {master_of = @"w2.weight", optimizer_state}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<TP_FloatTensor>:$type,
    UnitAttr:$optimizer_state,
    OptionalAttr<FlatSymbolRefAttr>:$master_of
  );
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let extraClassDeclaration = [{
    RankedTensorType getTensorType() {
      return llvm::cast<RankedTensorType>(getType());
    }
  }];
}

def TP_GetParameterOp : TP_Op<"get_parameter",
    [MemoryEffects<[MemRead<TP_ParameterStorage>]>,
     DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Reads a named model weight, or this rank's slice of it";
  let description = [{
    Yields the value of the weight declared by `tp.parameter`. In the global
    program the result has the declared type. In a rank's program (after
    partitioning) the op carries the weight's layout and yields only the
    rank's shard: the declared shape divided on each sharded dim, at offsets
    the rank's mesh coordinates decide, so no rank ever reads the whole
    tensor.

    A fused weight, which packs the weights of several projections into one
    checkpoint tensor (Phi-3's `qkv_proj`: the rows of q, then k, then v),
    is read part by part: `rows [begin, end)` reads those rows of dim 0 as a
    weight of its own, which a layout then shards like any other. Each rank
    thus holds its share of every part, as Megatron shards fused weights,
    and reads only its rows from the checkpoint.

    Constraints:
    - the symbol names a `tp.parameter`;
    - `rows`, if given, is `[begin, end)` with `0 <= begin < end <=` the
      declared dim 0; the read weight is the declared one with dim 0
      `end - begin`;
    - without a layout, the result type is the read weight's type;
    - with a layout, the layout fits the read weight on its mesh and the
      result type is the read weight divided by the layout.

    Example:

    ```mlir
    %w1 = tp.get_parameter @"w1.weight" : tensor<8192x8192xf32>
    // Rank program, tp.mesh @mesh(tp = 2), w1 colwise:
    %s1 = tp.get_parameter @"w1.weight" layout <@mesh, [S(0)]>
        : tensor<4096x8192xf32>
    // The k rows of a fused [q | k | v] weight of 96 rows.
    %k = tp.get_parameter @"qkv_proj.weight" rows [64, 80]
        : tensor<16x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name,
                       OptionalAttr<DenseI64ArrayAttr>:$rows,
                       OptionalAttr<TP_LayoutAttr>:$layout);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $name (`rows` $rows^)? (`layout` $layout^)? attr-dict `:` type($result)
  }];
  let extraClassDeclaration = [{
    /// The type of the weight this op reads in the global program: the
    /// parameter's `declared` type, or its `rows` of it.
    RankedTensorType getReadType(RankedTensorType declared);
  }];
}

//===----------------------------------------------------------------------===//
// Layers with weights
//===----------------------------------------------------------------------===//

def TP_LinearOp : TP_Op<"linear",
    [Pure, DeclareOpInterfaceMethods<TP_LayerOpInterface>, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     InferTypeOpAdaptor,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "PyTorch's nn.Linear: y = x W^T + b";
  let description = [{
    A linear layer named by its module path (`layer`, e.g.
    `layers.0.feed_forward.w1`), the name a parallelization plan matches.
    The weight is stored `[out_features, in_features]` as in PyTorch; the
    input has any number of leading (batch, sequence) dims and
    `in_features` last; the result has the same leading dims and
    `out_features` last.

    Constraints:
    - the layer name is not empty;
    - the weight has rank 2 and the input rank 1 or more;
    - the input's last dim equals the weight's in_features (dim 1);
    - the bias, if any, has rank 1 and out_features elements;
    - input, weight and bias have the same element type.

    Example:

    ```mlir
    %h = tp.linear "w1" %x, %w1 : tensor<8x8192xf32>, tensor<8192x8192xf32>
    %o = tp.linear "proj" %x, %w, %b
        : tensor<8x16x64xf32>, tensor<32x64xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins
    StrAttr:$layer,
    TP_FloatTensor:$input,
    TP_FloatTensor:$weight,
    Optional<TP_FloatTensor>:$bias
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $input `,` $weight (`,` $bias^)? attr-dict
    `:` type($input) `,` type($weight) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

def TP_EmbeddingOp : TP_Op<"embedding",
    [Pure, DeclareOpInterfaceMethods<TP_LayerOpInterface>, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     InferTypeOpAdaptor,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "PyTorch's nn.Embedding: a table lookup by token id";
  let description = [{
    Looks up row `ids[...]` of the table `[num_embeddings, embedding_dim]`;
    the result has the ids' shape followed by `embedding_dim`. An id outside
    `[0, num_embeddings)` is a run-time error of the executable.

    Constraints:
    - the layer name is not empty;
    - the table has rank 2 and at least one row.

    Example:

    ```mlir
    %h = tp.embedding "tok_embeddings" %tokens, %table
        : tensor<2x16xi64>, tensor<256x64xf32>
    ```
  }];
  let arguments = (ins
    StrAttr:$layer,
    TP_IndexTensor:$ids,
    TP_FloatTensor:$table
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $ids `,` $table attr-dict `:` type($ids) `,` type($table)
  }];
  let hasVerifier = 1;
}

// What a norm says as a layer (LayerOpInterface): it takes sequence
// parallelism, which splits dim 1 of its [batch, seq, ..., features] input.
defvar TP_NormStyles = [{
  ::llvm::SmallVector<::mlir::tp::ParallelStyleKind> getParallelStyles() {
    return {::mlir::tp::ParallelStyleKind::SequenceParallel};
  }
  ::mlir::FailureOr<::mlir::tp::StyleSplit>
  getStyleSplit(::mlir::tp::ParallelStyleKind,
                const ::mlir::tp::ShardingRule &rule) {
    return ::mlir::tp::getSequenceSplit(*this, rule);
  }
}];

def TP_RMSNormOp : TP_Op<"rms_norm",
    [Pure, TP_LayerOpInterface, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     AllTypesMatch<["input", "result"]>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "RMSNorm over the last dim, with a learned scale";
  let description = [{
    `y = x / sqrt(mean(x^2, last dim) + epsilon) * weight`, as in Llama's
    `RMSNorm` module; `weight` has one element per feature.

    Constraints:
    - the layer name is not empty;
    - the input has rank 1 or more;
    - the weight has rank 1 and as many elements as the input's last dim;
    - the weight has the input's element type;
    - epsilon is positive.

    Example:

    ```mlir
    %n = tp.rms_norm "attention_norm" %x, %w eps 1.0e-05
        : tensor<2x16x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins
    StrAttr:$layer,
    TP_FloatTensor:$input,
    TP_FloatTensor:$weight,
    F64Attr:$epsilon
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $input `,` $weight `eps` $epsilon attr-dict
    `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = TP_NormStyles;
}

def TP_LayerNormOp : TP_Op<"layer_norm",
    [Pure, TP_LayerOpInterface, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     AllTypesMatch<["input", "result"]>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "LayerNorm over the last dim, with a learned scale and shift";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * weight + bias` over the last dim,
    as PyTorch's `nn.LayerNorm(features)` (biased variance).

    Constraints:
    - the layer name is not empty;
    - the input has rank 1 or more;
    - the weight has rank 1 and as many elements as the input's last dim;
    - the bias, if any, has the weight's type;
    - weight and bias have the input's element type;
    - epsilon is positive.

    Example:

    ```mlir
    %n = tp.layer_norm "ln_f" %x, %w, %b eps 1.0e-05
        : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins
    StrAttr:$layer,
    TP_FloatTensor:$input,
    TP_FloatTensor:$weight,
    Optional<TP_FloatTensor>:$bias,
    F64Attr:$epsilon
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $input `,` $weight (`,` $bias^)? `eps` $epsilon attr-dict
    `:` type($input) `,` type($weight) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = TP_NormStyles;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class TP_BinaryOp<string mnemonic, string what> : TP_Op<mnemonic,
    [Pure, Commutative, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>, AllTypesMatch<["lhs", "rhs", "result"]>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Elementwise " # what;
  let description = [{
    Elementwise }] # what # [{ of two tensors of the same type (no implicit
    broadcasting: a broadcast is written as an explicit op so that its
    layout is explicit too).

    Constraints:
    - both operands have the same shape and element type.

    Example:

    ```mlir
    %r = tp.}] # mnemonic # [{ %a, %b : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$lhs, TP_FloatTensor:$rhs);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def TP_AddOp : TP_BinaryOp<"add", "sum">;
def TP_MulOp : TP_BinaryOp<"mul", "product">;

class TP_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : TP_Op<mnemonic, !listconcat([Pure, AllTypesMatch<["input", "result"]>,
                                   TP_ShardingRuleOpInterface], traits)> {
  let summary = "Elementwise " # formula;
  let description = [{
    Applies `}] # formula # [{` to every element.

    Example:

    ```mlir
    %r = tp.}] # mnemonic # [{ %x : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def TP_SiLUOp : TP_UnaryOp<"silu", "silu(x) = x * sigmoid(x)",
                           [DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>]>;
def TP_ReLUOp : TP_UnaryOp<"relu", "relu(x) = max(x, 0)",
                           [DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>]>;

def TP_SiLUGradOp : TP_Op<"silu_grad", [Pure,
    AllTypesMatch<["input", "grad", "result"]>, TP_ShardingRuleOpInterface]> {
  let summary = "The backward of silu: dy * silu'(x)";
  let description = [{
    Given silu's input `x` and the gradient `dy` of its output, yields the
    gradient of its input, `dy * s(x) * (1 + x * (1 - s(x)))` with `s` the
    logistic function: the backward of `tp.silu` in a training step.

    Constraints:
    - input, gradient and result have the same type.

    Example:

    ```mlir
    %dx = tp.silu_grad %x, %dy : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, TP_FloatTensor:$grad);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($result)";
}

def TP_GELUOp : TP_Op<"gelu", [Pure, AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
    TP_ShardingRuleOpInterface]> {
  let summary = "Elementwise GELU";
  let description = [{
    `gelu(x) = x * Phi(x)` with the exact normal CDF, or with `tanh` the
    tanh approximation (PyTorch's `approximate="tanh"`).

    Example:

    ```mlir
    %r = tp.gelu %x : tensor<8x8192xf32>
    %s = tp.gelu %x tanh : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, UnitAttr:$tanh);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input (`tanh` $tanh^)? attr-dict `:` type($result)";
}

def TP_ScaleOp : TP_Op<"scale", [Pure, AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Multiplies every element by a constant";
  let description = [{
    `y = factor * x`, e.g. the `1/sqrt(head_dim)` of attention written
    out by hand.

    Example:

    ```mlir
    %r = tp.scale %x by 1.250000e-01 : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, F64Attr:$factor);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def TP_ReshapeOp : TP_Op<"reshape", [Pure, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Reshapes a row-major tensor";
  let description = [{
    Reinterprets the elements, in row-major order, with a new shape, as
    PyTorch's `view`; typically splits the features into heads
    (`[b, s, heads*hd] -> [b, s, heads, hd]`) and merges them back.

    Constraints:
    - the result has as many elements as the input;
    - the result has the input's element type.

    Example:

    ```mlir
    %h = tp.reshape %q : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def TP_TransposeOp : TP_Op<"transpose",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Permutes the dims of a tensor";
  let description = [{
    Result dim `i` is input dim `permutation[i]`, as PyTorch's `permute`.

    Constraints:
    - the permutation has one entry per input dim;
    - it holds each of `0 .. rank-1` exactly once.

    Example:

    ```mlir
    %t = tp.transpose %x [0, 2, 1, 3] : tensor<2x16x4x8xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Matmul, softmax, rope, attention
//===----------------------------------------------------------------------===//

def TP_MatmulOp : TP_Op<"matmul",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Batched matrix product";
  let description = [{
    `result[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n]`, as
    `torch.matmul` on tensors of equal rank with identical batch dims.

    Constraints:
    - both operands have rank 2 or more, and the same rank;
    - their batch dims (all but the last two) are equal;
    - the lhs's last dim equals the rhs's second-to-last dim;
    - both have the same element type.

    Example:

    ```mlir
    %s = tp.matmul %q, %kt : tensor<2x4x16x8xf32>, tensor<2x4x8x16xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$lhs, TP_FloatTensor:$rhs);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)
  }];
}

def TP_SoftmaxOp : TP_Op<"softmax", [Pure, AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Softmax along one dim";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `dim`; a negative `dim` counts
    from the end, as in PyTorch, and `-1` (the last dim) is the default.

    Constraints:
    - `dim` is in `[-rank, rank)`.

    Example:

    ```mlir
    %p = tp.softmax %s : tensor<2x4x16x16xf32>
    %q = tp.softmax %s dim 2 : tensor<2x4x16x16xf32>
    ```
  }];
  let arguments = (ins
    TP_FloatTensor:$input,
    DefaultValuedAttr<I64Attr, "-1">:$dim
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`dim` $dim^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax dim counted from the front, in [0, rank).
    int64_t getNormalizedDim();
  }];
}

def TP_RoPEOp : TP_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Rotary position embedding, as in Llama";
  let description = [{
    Rotates pairs of features of every head at sequence position `p` (counted
    from 0): pair `i`, for `0 <= i < head_dim / 2`, rotates by the angle
    `p * theta^(-2i / head_dim)`, `(a, b) -> (a cos - b sin, a sin + b cos)`.
    The input is `[batch, seq, heads, head_dim]`. The `convention`
    (`#tp<rope_convention ...>`) says which features pair `i` is:

    - `interleaved` (the default): `(x[2i], x[2i+1])`, as Meta's Llama
      `apply_rotary_emb` does with `freqs_cis`;
    - `half`: `(x[i], x[i + head_dim/2])`, as Hugging Face's `rotate_half`
      (`x * cos + rotate_half(x) * sin`), with the same frequencies.

    A Hugging Face checkpoint converted from Meta's has the rows of its query
    and key projections permuted, per head, into the order
    `[0, 2, 4, ..., 1, 3, 5, ...]`; `half` on it computes what `interleaved`
    computes on Meta's. Each convention on the other's weights gives wrong
    numbers, with no error.

    Scaled rotary embeddings (Hugging Face's `rope_scaling`) change the
    frequencies and the magnitude, never the pairing:

    - `freq_factors`, one per pair, divide pair `i`'s inverse frequency: the
      angle becomes `p * theta^(-2i / head_dim) / freq_factors[i]` (`llama3`
      and `longrope` scaling come to this; the importer computes them);
    - `attention_factor` multiplies the rotated pair (cos and sin), as
      `longrope` and `yarn` scaling do.

    Constraints:
    - the input has rank 4: `[batch, seq, heads, head_dim]`;
    - head_dim is even;
    - theta is positive;
    - `freq_factors`, if given, has head_dim / 2 positive entries;
    - `attention_factor`, if given, is positive.

    Example:

    ```mlir
    %q = tp.rope %x theta 5.000000e+05 : tensor<2x16x4x16xf32>
    %k = tp.rope %y theta 1.000000e+04 convention half : tensor<2x16x4x16xf32>
    %s = tp.rope %z theta 1.000000e+04 convention half
        freq_factors [1.0, 1.5] attention_factor 1.19 : tensor<2x16x4x4xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, F64Attr:$theta,
      DefaultValuedAttr<TP_RopeConventionAttr,
                        "::mlir::tp::RopeConvention::Interleaved">:$convention,
      OptionalAttr<F64ArrayAttr>:$freq_factors,
      OptionalAttr<F64Attr>:$attention_factor);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $input `theta` $theta (`convention` $convention^)?
    (`freq_factors` $freq_factors^)? (`attention_factor` $attention_factor^)?
    attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def TP_AttentionOp : TP_Op<"attention",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Fused scaled-dot-product attention with grouped-query heads";
  let description = [{
    `softmax(q k^T * scale [+ causal mask]) v`, per batch and per query head,
    on tensors laid out `[batch, seq, heads, head_dim]` (the layout a linear
    projection reshaped into heads has, so no transpose is needed). With
    grouped-query attention the key/value heads are fewer: query head `h`
    uses key/value head `h / (q_heads / kv_heads)`, as Llama's `repeat_kv`.
    `causal` masks key positions after the query's; `scale` defaults to
    `1/sqrt(head_dim)`.

    Constraints:
    - q, k and v have rank 4;
    - k and v have the same shape;
    - q, k and v have the same batch size and head_dim;
    - the query heads are a multiple of the key/value heads;
    - with `causal`, q and k have the same sequence length;
    - q, k and v have the same element type;
    - the scale, if given, is positive.

    Example:

    ```mlir
    %o = tp.attention %q, %k, %v causal
        : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
    ```
  }];
  let arguments = (ins
    TP_FloatTensor:$query,
    TP_FloatTensor:$key,
    TP_FloatTensor:$value,
    UnitAttr:$causal,
    OptionalAttr<F64Attr>:$scale
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`causal` $causal^)? (`scale` $scale^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: the given one or 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// Reductions and the loss
//===----------------------------------------------------------------------===//

def TP_SumOp : TP_Op<"sum",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Sum over some dims, or all of them";
  let description = [{
    Sums over `dims` (all dims when omitted), removing them from the shape,
    as `torch.sum(x, dims)`; summing all dims gives a rank-0 tensor, the
    `output.sum()` of a toy loss.

    Constraints:
    - every dim is in `[0, rank)` and appears once.

    Example:

    ```mlir
    %loss = tp.sum %y : tensor<8x8192xf32>
    %rows = tp.sum %y dims [1] : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, OptionalAttr<DenseI64ArrayAttr>:$dims);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input (`dims` $dims^)? attr-dict `:` type($input)";
  let extraClassDeclaration = [{
    /// The dims summed over: `dims` if given, else every dim.
    llvm::SmallVector<int64_t> getReducedDims();
  }];
}

def TP_CrossEntropyOp : TP_Op<"cross_entropy",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Mean cross-entropy loss of logits against class labels";
  let description = [{
    `mean(-log_softmax(logits)[..., label])` over every position, as
    `F.cross_entropy(logits.flatten(0, -2), labels.flatten())`; the result
    is a rank-0 tensor of the logits' element type. A label outside
    `[0, classes)` is a run-time error of the executable.

    Constraints:
    - the logits have rank 1 or more and at least one class;
    - the labels' shape is the logits' shape without its last dim.

    Example:

    ```mlir
    %loss = tp.cross_entropy %logits, %labels
        : tensor<2x16x256xf32>, tensor<2x16xi64>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$logits, TP_IndexTensor:$labels);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels)
  }];
}

//===----------------------------------------------------------------------===//
// Training: backward ops and optimizer updates
//===----------------------------------------------------------------------===//

def TP_LinearInputGradOp : TP_Op<"linear_input_grad",
    [Pure, InferTypeOpAdaptor, TP_LayerGradientOpInterface,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of a linear layer for its input: dx = dy W";
  let description = [{
    Given the gradient `dy` of a `tp.linear`'s result (`[..., out_features]`)
    and its weight `[out_features, in_features]`, yields the gradient of its
    input, `[..., in_features]`. Where the layer's output features are split
    (column-wise), each rank holds part of the sum over them: the result is
    a partial sum, reduced once where a replicated value needs it.

    Constraints:
    - the layer name is not empty;
    - the weight has rank 2 and the gradient rank 1 or more;
    - the gradient's last dim equals the weight's out_features (dim 0);
    - both have the same element type.

    Example:

    ```mlir
    %dx = tp.linear_input_grad "w1" %dy, %w1
        : tensor<8x8192xf32>, tensor<8192x8192xf32>
    ```
  }];
  let arguments = (ins StrAttr:$layer, TP_FloatTensor:$grad,
                       TP_FloatTensor:$weight);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $grad `,` $weight attr-dict `:` type($grad) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def TP_LinearWeightGradOp : TP_Op<"linear_weight_grad",
    [Pure, InferTypeOpAdaptor, TP_LayerGradientOpInterface,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of a linear layer for its weight: dW = dy^T x";
  let description = [{
    Given the gradient `dy` of a `tp.linear`'s result (`[..., out_features]`)
    and its input (`[..., in_features]`), yields the gradient of its weight,
    `[out_features, in_features]`, summed over every leading (batch,
    sequence) position. Where those positions are split (data parallelism),
    each rank holds part of the sum.

    Constraints:
    - the layer name is not empty;
    - gradient and input have rank 1 or more and the same leading dims;
    - both have the same element type.

    Example:

    ```mlir
    %dw = tp.linear_weight_grad "w1" %dy, %x
        : tensor<8x8192xf32>, tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins StrAttr:$layer, TP_FloatTensor:$grad,
                       TP_FloatTensor:$input);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $grad `,` $input attr-dict `:` type($grad) `,` type($input)
  }];
  let hasVerifier = 1;
}

def TP_EmbeddingGradOp : TP_Op<"embedding_grad",
    [Pure, TP_LayerGradientOpInterface,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of an embedding for its table";
  let description = [{
    Given the ids a `tp.embedding` looked up and the gradient of its result,
    yields the gradient of its table `[num_embeddings, embedding_dim]`: row
    `r` is the sum of the gradients at the positions whose id is `r`. A rank
    holding some rows of the table (row-wise) sums into those rows only; a
    rank holding some positions (data parallelism) holds a partial sum.

    Constraints:
    - the layer name is not empty;
    - the gradient's shape is the ids' shape followed by embedding_dim;
    - the result has rank 2, the gradient's element type, and
      `embedding_dim` columns.

    Example:

    ```mlir
    %dt = tp.embedding_grad "tok_embeddings" %ids, %dy
        : tensor<2x16xi64>, tensor<2x16x64xf32> -> tensor<256x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$layer, TP_IndexTensor:$ids,
                       TP_FloatTensor:$grad);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $ids `,` $grad attr-dict `:` type($ids) `,` type($grad) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

class TP_ActivationGradOp<string mnemonic, string what>
    : TP_Op<mnemonic, [Pure, AllTypesMatch<["input", "grad", "result"]>,
                       TP_ShardingRuleOpInterface]> {
  let summary = "The backward of " # what # ": dy * " # what # "'(x)";
  let description = [{
    Given the input `x` of `tp.}] # what # [{` and the gradient `dy` of its
    result, yields the gradient of its input.

    Example:

    ```mlir
    %dx = tp.}] # mnemonic # [{ %x, %dy : tensor<8x8192xf32>
    ```
  }];
}

def TP_ReLUGradOp : TP_ActivationGradOp<"relu_grad", "relu"> {
  let arguments = (ins TP_FloatTensor:$input, TP_FloatTensor:$grad);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($result)";
}

def TP_GELUGradOp : TP_ActivationGradOp<"gelu_grad", "gelu"> {
  let arguments = (ins TP_FloatTensor:$input, TP_FloatTensor:$grad,
                       UnitAttr:$tanh);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad (`tanh` $tanh^)? attr-dict `:` type($result)
  }];
}

// The backward ops of a norm layer: the gradient of its input (which needs
// the weight) and of its weight (a sum over the rows), as two ops, since
// split rows make the first split and the second a partial sum.
class TP_NormInputGradOp<string mnemonic, string norm>
    : TP_Op<mnemonic, [Pure, TP_LayerGradientOpInterface,
                       AllTypesMatch<["input", "grad", "result"]>,
        DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of " # norm # " for its input";
  let description = [{
    Given the input `x` of `tp.}] # norm # [{`, its weight and the gradient
    of its result, yields the gradient of its input.

    Example:

    ```mlir
    %dx = tp.}] # mnemonic # [{ "norm" %x, %w, %dy eps 1.0e-05
        : tensor<2x16x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$layer, TP_FloatTensor:$input,
                       TP_FloatTensor:$weight, TP_FloatTensor:$grad,
                       F64Attr:$epsilon);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $input `,` $weight `,` $grad `eps` $epsilon attr-dict
    `:` type($input) `,` type($weight)
  }];
}

class TP_NormWeightGradOp<string mnemonic, string norm>
    : TP_Op<mnemonic, [Pure, TP_LayerGradientOpInterface,
                       AllTypesMatch<["input", "grad"]>,
        DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of " # norm # " for its weight";
  let description = [{
    Given the input `x` of `tp.}] # norm # [{` and the gradient of its
    result, yields the gradient of its weight: one value per feature, summed
    over the rows.

    Example:

    ```mlir
    %dw = tp.}] # mnemonic # [{ "norm" %x, %dy eps 1.0e-05
        : tensor<2x16x64xf32> -> tensor<64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$layer, TP_FloatTensor:$input,
                       TP_FloatTensor:$grad, F64Attr:$epsilon);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $layer $input `,` $grad `eps` $epsilon attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TP_RMSNormInputGradOp : TP_NormInputGradOp<"rms_norm_input_grad", "rms_norm">;
def TP_RMSNormWeightGradOp : TP_NormWeightGradOp<"rms_norm_weight_grad", "rms_norm">;
def TP_LayerNormInputGradOp : TP_NormInputGradOp<"layer_norm_input_grad", "layer_norm">;
def TP_LayerNormWeightGradOp : TP_NormWeightGradOp<"layer_norm_weight_grad", "layer_norm">;

def TP_SoftmaxGradOp : TP_Op<"softmax_grad", [Pure,
    AllTypesMatch<["output", "grad", "result"]>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of softmax, from its output";
  let description = [{
    Given the output `y` of `tp.softmax` along `dim` and the gradient of it,
    yields the gradient of its input: `y * (dy - sum(dy * y, dim))`.

    Example:

    ```mlir
    %dx = tp.softmax_grad %y, %dy dim 3 : tensor<2x4x16x16xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$output, TP_FloatTensor:$grad,
                       I64Attr:$dim);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$output `,` $grad `dim` $dim attr-dict `:` type($result)";
}

def TP_CrossEntropyGradOp : TP_Op<"cross_entropy_grad", [Pure,
    AllTypesMatch<["logits", "result"]>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of the cross-entropy loss for its logits";
  let description = [{
    Given the logits and labels of `tp.cross_entropy` and the gradient of the
    loss (rank 0), yields the gradient of the logits:
    `(softmax(logits) - onehot(labels)) * dloss / positions`, with
    `positions` every position of the global logits (the loss is their mean).

    Example:

    ```mlir
    %dl = tp.cross_entropy_grad %logits, %labels, %dloss
        : tensor<2x16x256xf32>, tensor<2x16xi64>, tensor<f32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$logits, TP_IndexTensor:$labels,
                       TP_FloatTensor:$loss_grad);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $loss_grad attr-dict
    `:` type($logits) `,` type($labels) `,` type($loss_grad)
  }];
}

def TP_RoPEGradOp : TP_Op<"rope_grad", [Pure, AllTypesMatch<["grad", "result"]>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of rope: the rotation by the opposite angle";
  let description = [{
    Given the gradient of `tp.rope`'s result, yields the gradient of its
    input: each pair is rotated back by the angle the forward rotated it by
    (and multiplied by the same `attention_factor`). `theta`, `convention`,
    `freq_factors` and `attention_factor` are the forward's.

    Example:

    ```mlir
    %dx = tp.rope_grad %dy theta 5.000000e+05 : tensor<2x16x4x16xf32>
    %dk = tp.rope_grad %dz theta 1.000000e+04 convention half
        : tensor<2x16x4x16xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$grad, F64Attr:$theta,
      DefaultValuedAttr<TP_RopeConventionAttr,
                        "::mlir::tp::RopeConvention::Interleaved">:$convention,
      OptionalAttr<F64ArrayAttr>:$freq_factors,
      OptionalAttr<F64Attr>:$attention_factor);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `theta` $theta (`convention` $convention^)?
    (`freq_factors` $freq_factors^)? (`attention_factor` $attention_factor^)?
    attr-dict `:` type($result)
  }];
}

def TP_AttentionGradOp : TP_Op<"attention_grad", [Pure,
    AllTypesMatch<["query", "grad", "query_grad"]>,
    AllTypesMatch<["key", "key_grad"]>,
    AllTypesMatch<["value", "value_grad"]>,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "The backward of attention for its query, key and value";
  let description = [{
    Given the operands of `tp.attention` (with its `causal` and `scale`) and
    the gradient of its result, yields the gradients of the query, key and
    value, recomputing the attention probabilities rather than keeping them
    from the forward. A key/value head's gradient sums over the query heads
    that read it.

    Example:

    ```mlir
    %dq, %dk, %dv = tp.attention_grad %q, %k, %v, %do causal
        : tensor<2x16x8x16xf32>, tensor<2x16x2x16xf32>, tensor<2x16x2x16xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$query, TP_FloatTensor:$key,
                       TP_FloatTensor:$value, TP_FloatTensor:$grad,
                       UnitAttr:$causal, OptionalAttr<F64Attr>:$scale);
  let results = (outs TP_FloatTensor:$query_grad, TP_FloatTensor:$key_grad,
                      TP_FloatTensor:$value_grad);
  let extraClassDeclaration = [{
    /// The softmax scale: the given one or 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $grad (`causal` $causal^)?
    (`scale` $scale^)? attr-dict `:` type($query) `,` type($key) `,`
    type($value)
  }];
}

def TP_BroadcastOp : TP_Op<"broadcast", [Pure,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "Repeats a tensor along new dims (the backward of tp.sum)";
  let description = [{
    Inserts the result dims listed in `dims` and repeats the input along
    them: `result[i] = input[i without dims]`. It is `tp.sum`'s backward:
    the gradient of a sum reaches every summed element.

    Constraints:
    - `dims` are in `[0, result rank)`, ascending, each once;
    - the result's other dims are the input's dims, in order;
    - input and result have the same element type.

    Example:

    ```mlir
    %g = tp.broadcast %dloss dims [0, 1] : tensor<f32> -> tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dims` $dims attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TP_FillOp : TP_Op<"fill", [Pure,
    DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>]> {
  let summary = "A tensor with every element set to one value";
  let description = [{
    Yields a tensor of the result type whose elements are all `value`: the
    1 that seeds the backward pass of a training step, `d loss / d loss`.

    Example:

    ```mlir
    %one = tp.fill 1.000000e+00 : tensor<f32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
}

// What the two optimizer updates share: they write the parameter and the
// state they are given in place, which therefore must be what
// tp.get_parameter read, all of one type.
class TP_UpdateOp<string mnemonic, list<string> operands> : TP_Op<mnemonic,
    [MemoryEffects<[MemRead<TP_ParameterStorage>,
                    MemWrite<TP_ParameterStorage>]>,
     AllTypesMatch<operands>, TP_ParameterUpdateOpInterface,
     DeclareOpInterfaceMethods<TP_ShardingRuleOpInterface, ["getShardingRule"]>,
     DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let hasVerifier = 1;
}

def TP_SGDOp : TP_UpdateOp<"sgd", ["param", "grad"]> {
  let summary = "Updates a parameter in place by SGD";
  let description = [{
    `param -= lr * (grad + weight_decay * param)`, as `torch.optim.SGD`
    without momentum.

    Constraints:
    - the parameter is a value read by `tp.get_parameter`;
    - parameter and gradient have the same type;
    - lr is positive and weight_decay is not negative.

    Example:

    ```mlir
    tp.sgd %w, %dw lr 1.0e-03 weight_decay 0.0 : tensor<8192x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$param, TP_FloatTensor:$grad,
                       F64Attr:$lr, F64Attr:$weight_decay);
  let assemblyFormat = [{
    $param `,` $grad `lr` $lr `weight_decay` $weight_decay attr-dict
    `:` type($param)
  }];
}

def TP_AdamWOp : TP_UpdateOp<"adamw",
    ["param", "grad", "exp_avg", "exp_avg_sq"]> {
  let summary = "Updates a parameter and its moments in place by AdamW";
  let description = [{
    One step of `torch.optim.AdamW` (the step number comes from the
    runtime): the parameter decays by `lr * weight_decay`, the moments
    `exp_avg` and `exp_avg_sq` (parameters marked `optimizer_state`) move
    towards the gradient and its square, and the parameter moves by the
    bias-corrected ratio of the two.

    Constraints:
    - the parameter and both moments are values read by `tp.get_parameter`,
      the moments of parameters marked `optimizer_state`;
    - parameter, gradient and moments have the same type;
    - lr and eps are positive, the betas are in [0, 1), weight_decay is not
      negative.

    Example:

    ```mlir
    tp.adamw %w, %dw, %m, %v lr 1.0e-03 betas(9.0e-01, 9.99e-01)
        eps 1.0e-08 weight_decay 1.0e-02 : tensor<8192x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$param, TP_FloatTensor:$grad,
                       TP_FloatTensor:$exp_avg, TP_FloatTensor:$exp_avg_sq,
                       F64Attr:$lr, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$eps, F64Attr:$weight_decay);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `lr` $lr
    `betas` `(` $beta1 `,` $beta2 `)` `eps` $eps `weight_decay` $weight_decay
    attr-dict `:` type($param)
  }];
}

def TP_SGDMasterOp : TP_UpdateOp<"sgd_master", ["param", "grad"]> {
  let summary = "Updates a 16-bit parameter by SGD through its f32 master copy";
  let description = [{
    Mixed precision: `tp.sgd`'s update of the f32 master copy from the
    gradient (widened), then the parameter becomes the master rounded to its
    type.

    Constraints:
    - parameter and master are values read by `tp.get_parameter`, the master
      of a parameter `master_of` the parameter;
    - the parameter is f16 or bf16 and its gradient has its type; the master
      is f32 of the parameter's shape;
    - lr is positive and weight_decay is not negative.

    Example:

    ```mlir
    tp.sgd_master %w, %dw, %master lr 1.0e-03 weight_decay 0.0
        : tensor<64x64xbf16>, tensor<64x64xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$param, TP_FloatTensor:$grad,
                       TP_FloatTensor:$master, F64Attr:$lr,
                       F64Attr:$weight_decay);
  let assemblyFormat = [{
    $param `,` $grad `,` $master `lr` $lr `weight_decay` $weight_decay
    attr-dict `:` type($param) `,` type($master)
  }];
}

def TP_AdamWMasterOp : TP_UpdateOp<"adamw_master", ["param", "grad"]> {
  let summary = "Updates a 16-bit parameter by AdamW through its f32 master copy";
  let description = [{
    Mixed precision: `tp.adamw`'s update of the f32 master copy and the f32
    moments from the gradient (widened), then the parameter becomes the
    master rounded to its type.

    Constraints:
    - parameter, master and moments are values read by `tp.get_parameter`,
      the master of a parameter `master_of` the parameter, the moments of
      optimizer state;
    - the parameter is f16 or bf16 and its gradient has its type; master and
      moments are f32 of the parameter's shape;
    - lr and eps are positive, the betas are in [0, 1), weight_decay is not
      negative.

    Example:

    ```mlir
    tp.adamw_master %w, %dw, %master, %m, %v lr 1.0e-03
        betas(9.0e-01, 9.99e-01) eps 1.0e-08 weight_decay 1.0e-02
        : tensor<64x64xbf16>, tensor<64x64xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$param, TP_FloatTensor:$grad,
                       TP_FloatTensor:$master, TP_FloatTensor:$exp_avg,
                       TP_FloatTensor:$exp_avg_sq, F64Attr:$lr,
                       F64Attr:$beta1, F64Attr:$beta2, F64Attr:$eps,
                       F64Attr:$weight_decay);
  let assemblyFormat = [{
    $param `,` $grad `,` $master `,` $exp_avg `,` $exp_avg_sq `lr` $lr
    `betas` `(` $beta1 `,` $beta2 `)` `eps` $eps `weight_decay` $weight_decay
    attr-dict `:` type($param) `,` type($master) `,` type($exp_avg) `,`
    type($exp_avg_sq)
  }];
}

//===----------------------------------------------------------------------===//
// Layouts and collectives
//===----------------------------------------------------------------------===//

def TP_AnnotateOp : TP_Op<"annotate", [Pure, AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<TP_DifferentiableOpInterface>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Pins a value to a layout";
  let description = [{
    States that the value must have the given layout at this point, as
    `shard.shard` or JAX's `with_sharding_constraint` do: propagation takes it
    as a fixed point and inserts collectives around it where needed.

    Constraints:
    - the layout's mesh is a `tp.mesh`;
    - the layout has one placement per mesh axis;
    - every shard dim is below the tensor's rank;
    - every sharded dim divides evenly by the mesh axes that split it.

    Example:

    ```mlir
    %y = tp.annotate %x layout <@mesh, [S(1)]> : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_AnyTensor:$input, TP_LayoutAttr:$layout);
  let results = (outs TP_AnyTensor:$result);
  let assemblyFormat = [{
    $input `layout` $layout attr-dict `:` type($result)
  }];
}

class TP_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : TP_Op<mnemonic, !listconcat([Pure,
          DeclareOpInterfaceMethods<SymbolUserOpInterface>], traits)> {
  code commonConstraints = [{
    - the mesh is a `tp.mesh` and every axis is one of its axes;
    - at least one axis is named, and none twice;
    - input and result have the same element type;
  }];
}

def TP_AllReduceOp : TP_CollectiveOp<"all_reduce",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "Sums partial values over mesh axes (P(sum) -> R)";
  let description = [{
    Every rank of each group along `axes` ends with the sum of the group's
    inputs: a `P(sum)` layout on those axes becomes `R`. This completes a
    row-wise linear layer.

    With `async` (set by `tp-overlap-collectives`) the sum only starts here:
    the result may be read only through the one `tp.wait` that takes it,
    and the ops in between run while the bytes move.

    Constraints:
  }] # commonConstraints # [{
    - an `async` sum's one user is a `tp.wait` later in its block.

    Example:

    ```mlir
    %y = tp.all_reduce %p on @mesh ["tp"] : tensor<8x8192xf32>
    %s = tp.all_reduce %g on @mesh ["tp"] async : tensor<8x8192xf32>
    %dw = tp.linear_weight_grad "w1" %dy, %x : tensor<8x4096xf32>, tensor<8x8192xf32>
    %ds = tp.wait %s : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins
    TP_FloatTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    UnitAttr:$async
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh $axes (`async` $async^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def TP_WaitOp : TP_Op<"wait", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Completes an asynchronous collective";
  let description = [{
    Waits until the `async` collective that produced `input` has completed,
    and gives its result. `tp-overlap-collectives` places it just before the
    result's first use; the result shares the collective's storage.

    Constraints:
    - the input is the result of an `async` collective.

    Example:

    ```mlir
    %s = tp.all_reduce %g on @mesh ["tp"] async : tensor<8x8192xf32>
    %ds = tp.wait %s : tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins TP_FloatTensor:$input);
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def TP_AllGatherOp : TP_CollectiveOp<"all_gather"> {
  let summary = "Concatenates shards over mesh axes (S(d) -> R)";
  let description = [{
    Every rank of each group along `axes` ends with the concatenation, in
    rank order along `dim`, of the group's inputs: `S(dim)` becomes `R`.

    In the global program input and result have the same (global) type; in a
    rank's program the result's `dim` is the input's times the group size.

    Constraints:
  }] # commonConstraints # [{
    - `dim` is below the rank;
    - the result type is the input type (global program) or the input type
      with `dim` multiplied by the group size (rank program).

    Example:

    ```mlir
    // Rank program, tp.mesh @mesh(tp = 2).
    %y = tp.all_gather %x on @mesh ["tp"] dim 1
        : tensor<8x4096xf32> -> tensor<8x8192xf32>
    ```
  }];
  let arguments = (ins
    TP_AnyTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$dim
  );
  let results = (outs TP_AnyTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh $axes `dim` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

def TP_ReduceScatterOp : TP_CollectiveOp<"reduce_scatter"> {
  let summary = "Sums partial values and scatters the sum (P(sum) -> S(d))";
  let description = [{
    Sums the inputs of each group along `axes` and leaves each rank the
    part of the sum at its position along `dim`: `P(sum)` becomes `S(dim)`.
    This completes a row-wise layer under sequence parallelism.

    In the global program input and result have the same (global) type; in a
    rank's program the result's `dim` is the input's divided by the group
    size.

    Constraints:
  }] # commonConstraints # [{
    - `dim` is below the rank;
    - the result type is the input type (global program) or the input type
      with `dim` divided by the group size, which must divide it (rank
      program).

    Example:

    ```mlir
    // Rank program, tp.mesh @mesh(tp = 2).
    %y = tp.reduce_scatter %p on @mesh ["tp"] dim 1
        : tensor<2x16x64xf32> -> tensor<2x8x64xf32>
    ```
  }];
  let arguments = (ins
    TP_FloatTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$dim
  );
  let results = (outs TP_FloatTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh $axes `dim` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

def TP_AllToAllOp : TP_CollectiveOp<"all_to_all"> {
  let summary = "Moves the split from one dim to another (S(i) -> S(j))";
  let description = [{
    Each rank splits its input along `split_dim` into group-size pieces,
    sends piece `r` to rank `r` of its group along `axes`, and concatenates
    what it receives along `concat_dim`: `S(concat_dim)` becomes
    `S(split_dim)`.

    In the global program input and result have the same (global) type; in a
    rank's program the result's `split_dim` is divided and its `concat_dim`
    multiplied by the group size.

    Constraints:
  }] # commonConstraints # [{
    - `split_dim` and `concat_dim` are different and below the rank;
    - the result type is the input type (global program) or the input type
      with `split_dim` divided (evenly) and `concat_dim` multiplied by the
      group size (rank program).

    Example:

    ```mlir
    // Rank program, tp.mesh @mesh(tp = 2): S(1) -> S(2).
    %y = tp.all_to_all %x on @mesh ["tp"] split_dim 2 concat_dim 1
        : tensor<2x8x4x16xf32> -> tensor<2x16x2x16xf32>
    ```
  }];
  let arguments = (ins
    TP_AnyTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$split_dim,
    I64Attr:$concat_dim
  );
  let results = (outs TP_AnyTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh $axes `split_dim` $split_dim `concat_dim` $concat_dim
    attr-dict `:` type($input) `->` type($result)
  }];
}

def TP_LocalSliceOp : TP_CollectiveOp<"local_slice"> {
  let summary = "Keeps this rank's shard of a replicated value (R -> S(d))";
  let description = [{
    Each rank keeps the part of its (replicated) input at its position along
    `dim` in its group along `axes`: `R` becomes `S(dim)`. No data moves; it
    is listed with the collectives because it changes a layout over mesh
    axes.

    In the global program input and result have the same (global) type; in a
    rank's program the result's `dim` is the input's divided by the group
    size.

    Constraints:
  }] # commonConstraints # [{
    - `dim` is below the rank;
    - the result type is the input type (global program) or the input type
      with `dim` divided by the group size, which must divide it (rank
      program).

    Example:

    ```mlir
    // Rank program, tp.mesh @mesh(tp = 2).
    %y = tp.local_slice %x on @mesh ["tp"] dim 1
        : tensor<2x16x64xf32> -> tensor<2x8x64xf32>
    ```
  }];
  let arguments = (ins
    TP_AnyTensor:$input,
    FlatSymbolRefAttr:$mesh,
    StrArrayAttr:$axes,
    I64Attr:$dim
  );
  let results = (outs TP_AnyTensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh $axes `dim` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

#endif // TP_DIALECT_TP_IR_TPOPS_TD
