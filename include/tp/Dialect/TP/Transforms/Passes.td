//===- Passes.td - tp sharding passes ----------------------*- tablegen -*-===//
//
// This file declares the passes that turn a global model into each rank's
// program: apply a plan, propagate layouts, insert collectives, partition,
// and report what it costs.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_TRANSFORMS_PASSES_TD
#define TP_DIALECT_TP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def Autodiff : Pass<"tp-autodiff", "::mlir::ModuleOp"> {
  let summary = "Turns a forward function into a training step";
  let description = [{
    Differentiates the global, unsharded model in reverse mode and builds one
    training step from it, `@train_step`, which replaces `@forward`:

    1. the forward, then the loss of its one result: `sum` (the seed's
       `output.sum()`) or `cross_entropy` against labels, a new last
       argument of the step (`i64`, the result's shape without its last
       dim);
    2. the backward: starting from `d loss / d loss = 1` (`tp.fill`), each op
       the loss depends on through a parameter builds its operands' gradients
       by its own derivative rule (DifferentiableOpInterface); gradients of
       a value used twice are added. No gradient is built for the inputs;
    3. the update of every parameter with a gradient, in place, by `sgd` or
       `adamw` (PyTorch's formulas and defaults); AdamW's moments are new
       parameters `optimizer.<name>.exp_avg` and `.exp_avg_sq` marked
       `optimizer_state`.

    The step returns the loss. The sharding passes then shard forward,
    backward and update together, so the backward's collectives follow from
    the layouts.

    Errors: a model whose function does not return one float tensor, an op
    on the way from a parameter to the loss with no derivative rule, a model
    with no parameter the loss depends on.
  }];
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"sum\"",
           "the loss of the forward's result: sum or cross_entropy">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"adamw\"",
           "the parameter update: sgd or adamw">,
    Option<"lr", "lr", "double", /*default=*/"1e-3", "the learning rate">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "AdamW's beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "AdamW's beta2">,
    Option<"eps", "eps", "double", /*default=*/"1e-8", "AdamW's eps">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1",
           "the weight decay (default: 0.01 for adamw, 0 for sgd, as "
           "PyTorch's)">
  ];
  let statistics = [
    Statistic<"numGradientOps", "gradients", "gradient terms the backward builds">,
    Statistic<"numUpdates", "updates", "parameters updated">
  ];
}

def ApplyPlan : Pass<"tp-apply-plan", "::mlir::ModuleOp"> {
  let summary = "Attaches a parallelization plan's styles to the layers it names";
  let description = [{
    Reads a plan in the spirit of PyTorch's `parallelize_module` plan dict,
    from a JSON file (`plan=`) or, without one, from the module attribute
    `tp.plan` (a dictionary with the same content):

    ```json
    {"mesh": {"dp": 2, "tp": 4},
     "plan": {"layers.*.attention.wq": "colwise",
              "layers.*.attention.wo": "rowwise",
              "output": {"style": "colwise", "output_layouts": "replicate"},
              "tok_embeddings": {"style": "rowwise",
                                 "input_layouts": "replicate"}}}
    ```

    or PyTorch's plan dict as it is written in Python, bare (the mesh then
    comes from `mesh=`), its styles as strings:

    ```json
    {"w1": "ColwiseParallel()",
     "w2": "RowwiseParallel(output_layouts=Shard(1))",
     "w3": "ColwiseParallel()"}
    ```

    Terms:
    - the *mesh* is created as `tp.mesh @mesh(...)`; `mesh=` overrides the
      plan's (`"tp:2"`, `"dp:2,tp:4"`, axes in the order written). In a JSON
      object the tensor-parallel axis is the innermost (last) axis and the
      others come first in name order, so a tensor-parallel group is a run of
      consecutive ranks;
    - a *layer* is an op with a module path (`tp.linear`, `tp.embedding`,
      `tp.rms_norm`, `tp.layer_norm`), a *module* the path above layers
      (`layers.0.attention` above `layers.0.attention.wq`); a *pattern* is an
      exact module path or a glob whose `*` matches one path segment
      (`layers.*.attention.wq`);
    - a *style* is `colwise`, `rowwise`, `sequence_parallel` or `replicate`,
      or an object with `style` and PyTorch's optional `input_layouts`,
      `output_layouts` (`"replicate"`, `"shard(d)"`, `"Replicate()"`,
      `"Shard(d)"`) and `use_local_output`, which override the style's. It
      may also be spelled as PyTorch or Hugging Face write it:

      | spelling | style |
      |---|---|
      | `ColwiseParallel(input_layouts=, output_layouts=, use_local_output=)` | colwise |
      | `RowwiseParallel(...)`, the same keywords | rowwise |
      | `SequenceParallel()` (`sequence_dim=1` only) | sequence_parallel |
      | `PrepareModuleInput(input_layouts=, desired_input_layouts=)` | none: on a module; desired layouts `Replicate()` or `None` |
      | `colwise`, `local_colwise` | colwise |
      | `rowwise`, `local_rowwise` | rowwise |
      | `colwise_rep` | colwise, output `Replicate()` |
      | `rowwise_rep` | rowwise, input `Replicate()` |
      | `gather` | replicate on a layer; none on a module |
      | `sequence_parallel`, `replicate` | the same |

      Layouts are `Replicate()` or `Shard(d)` (negative `d` counts from the
      end), alone or, for PrepareModuleInput, in tuples with `None`. Hugging
      Face's `local_*` styles keep weights as local tensors instead of
      DTensors, which computes the same. PrepareModuleInput and `gather` on a
      module ask for its input or output whole, which tp-propagate provides
      wherever a layer needs it. A style tp-mlir cannot express is an error
      that says what to write instead: `local_packed_rowwise` (a packed
      gate_up weight), `local` (experts), `PrepareModuleOutput`,
      `Partial()`;
    - `"loss_parallel": true` (beside `"plan"`) is PyTorch's loss_parallel:
      the layer computing a `tp.cross_entropy`'s logits (after
      `tp-autodiff loss=cross_entropy`) must be colwise and delivers them
      split on the classes (`Shard(-1)`), so the loss runs on vocabulary
      shards; `false` delivers them whole. Without the key the cheaper is
      chosen; a model without a cross-entropy is unaffected;
    - the styles run over the tensor-parallel axis (`tp-axis=`, default
      `tp`); with `sequence-parallel=true` every norm the plan does not name
      gets `sequence_parallel` and every row-wise layer without
      `output_layouts` delivers `shard(1)`.

    Each matched layer gets a `tp.style` attribute:

    ```mlir
    %h = tp.linear "w1" %x, %w1 {tp.style = #tp.style<colwise on @mesh["tp"]>}
        : tensor<8x8192xf32>, tensor<8192x8192xf32>
    ```

    Errors, each naming the culprit: a pattern that matches no layer (or
    module), a layer matched by two patterns, a style a layer cannot take, an
    unknown style or layout, a tensor-parallel axis missing from the mesh, a
    malformed plan (JSON errors with line and column; a PyTorch call's with
    its column in the string).
  }];
  let options = [
    Option<"planFile", "plan", "std::string", /*default=*/"",
           "JSON plan file; without one the module's `tp.plan` attribute">,
    Option<"meshSpec", "mesh", "std::string", /*default=*/"",
           "mesh overriding the plan's, e.g. `tp:2` or `dp:2,tp:4`">,
    Option<"tpAxis", "tp-axis", "std::string", /*default=*/"\"tp\"",
           "the mesh axis the styles split over">,
    Option<"sequenceParallel", "sequence-parallel", "bool", /*default=*/"false",
           "shard norms and residuals on the sequence dim between layers">
  ];
  let dependentDialects = ["::mlir::tp::TPDialect"];
}

def ReplicateKVHeads : Pass<"tp-replicate-kv-heads", "::mlir::ModuleOp"> {
  let summary = "Replicates key/value heads where they are fewer than ranks";
  let description = [{
    Grouped-query attention with fewer key/value heads than the ranks of the
    tensor-parallel axis (TinyLlama's 4 on 8 ranks) cannot split its
    key/value heads over the ranks; sharding would gather them and run
    attention whole on every rank. Where the query heads divide over the
    ranks, the ranks divide by the key/value heads, and the keys and values
    come from column-wise projections (`[tp.rope](tp.reshape(tp.linear))`),
    this pass (run after `tp-apply-plan`) reads those projections' weights
    and biases with each head repeated (`tp.get_parameter ... repeat
    [head_dim, ranks / kv_heads]`): as many key/value heads as ranks, query
    head `h` still using original head `h / (q_heads / kv_heads)`. Each rank
    then holds and computes the one key/value head its query heads use, as
    Megatron replicates them, and attention shards on heads with no
    collective. The report lists the repeated reads. A training step is left
    as it is (its heads' gradients would need summing back).

    ```mlir
    // 8 query heads, 2 key/value heads, tp = 4:
    %wk = tp.get_parameter @"k_proj.weight" : tensor<16x64xf32>
    // becomes
    %wk = tp.get_parameter @"k_proj.weight" repeat [8, 2] : tensor<32x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let statistics = [
    Statistic<"numReplicated", "replicated-attentions",
              "The attention ops whose key/value heads were repeated">
  ];
}

def Propagate : Pass<"tp-propagate", "::mlir::ModuleOp"> {
  let summary = "Gives every value a layout";
  let description = [{
    Decides, for every value of `@forward` and every mesh axis, whether it is
    replicated (`R`), sharded on a dim (`S(d)`) or a partial sum (`P(sum)`).

    Fixed points: the styles of `tp-apply-plan` fix the layouts of layer
    weights (colwise: `S(0)`, rowwise: `S(1)`), the layout a layer needs of
    its input and the one it delivers; `tp.annotate` pins a value; on every
    mesh axis other than the tensor-parallel one, inputs are split on their
    batch dim (dim 0) and weights start replicated.

    Forward, each op's rule (ShardingRuleOpInterface) offers candidates:
    everything replicated, one of its factors split (a parallel factor splits
    the results, a reduction factor makes them partial sums), or a partial
    sum flowing through an operand the op is linear in. The candidate that
    moves the fewest bytes (per rank, ring algorithms) to bring its operands
    into place wins; ties go, in order, to a partial sum flowing on, to a
    split (the first factor first), then to replication. Backward, a
    replicated value whose every use needs it split on the same dim is
    computed split instead when its producer can do that without moving data
    (the slice moves up to its source, saving memory and compute).

    Results: `tp.result_layouts` on every op (the layouts it produces),
    `tp.operand_layouts` (the layouts it needs), `tp.layout` on the
    function's arguments and results. A layer whose style delivers a
    different layout than it produces gets `tp.annotate` after it.

    ```mlir
    // w2 rowwise, tp:2: the product is split on features, the output partial.
    %y = tp.linear "w2" %g, %w2 {
        tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [S(1)]>],
        tp.result_layouts = [#tp.layout<@mesh, [P(sum)]>], ...}
    ```
  }];
  let statistics = [
    Statistic<"numSplitOps", "split-ops", "ops computed on split data">,
    Statistic<"numReplicatedOps", "replicated-ops", "ops computed replicated">
  ];
  let dependentDialects = ["::mlir::tp::TPDialect"];
}

def Reshard : Pass<"tp-reshard", "::mlir::ModuleOp"> {
  let summary = "Inserts the collectives that bring values into the layouts their users need";
  let description = [{
    Wherever a value's layout differs from the one a user needs
    (`tp.operand_layouts`, or the function result's `tp.layout`), inserts the
    cheapest redistribution, axis by axis: `P -> R` all_reduce, `P -> S(d)`
    reduce_scatter, `S(d) -> R` all_gather, `S(i) -> S(j)` all_to_all,
    `R -> S(d)` local_slice (no data moves), and `R -> P(sum)` a `tp.scale`
    by `1/n` (no data moves; a row-wise layer's bias is added this way, once
    over the ranks). Nothing is inserted where they
    agree, and users that need the same layout share one collective.

    Every inserted op carries `tp.reason`, the layer and layouts that caused
    it, e.g. "all_reduce after 'w2': P(sum) met R at the function result".

    ```mlir
    %y = tp.linear "w2" %g, %w2 {...P(sum)...}
    %r = tp.all_reduce %y on @mesh ["tp"] {tp.reason = "..."} : tensor<8x8192xf32>
    return %r : tensor<8x8192xf32>
    ```
  }];
  let statistics = [
    Statistic<"numCollectives", "collectives",
              "collectives (and 1/n scales for R -> P) inserted">,
    Statistic<"numLocalSlices", "local-slices", "local slices inserted">
  ];
  let dependentDialects = ["::mlir::tp::TPDialect"];
}

def Partition : Pass<"tp-partition", "::mlir::ModuleOp"> {
  let summary = "Rewrites the global program into each rank's program";
  let description = [{
    Gives every value its per-rank (local) type: each dim split by a layout
    is divided by the ranks that split it. Each `tp.get_parameter` then reads
    only its rank's shard (the op carries the layout; the offsets follow from
    the rank's mesh coordinates), function arguments and results take their
    local types, collectives switch to their local form, and `tp.annotate`
    ops, which the collectives now satisfy, are removed. A mean-reducing
    loss over split positions is rescaled so the partial sums add up to the
    global mean (before this pass, such a loss holds a partial sum of
    per-rank means).

    ```mlir
    // tp:2, w1 colwise: before
    %w1 = tp.get_parameter @"w1.weight" : tensor<8192x8192xf32>
    // after
    %w1 = tp.get_parameter @"w1.weight" layout <@mesh, [S(0)]>
        : tensor<4096x8192xf32>
    ```

    Requires every value to have a layout (run `tp-propagate` and
    `tp-reshard` first) and every split dim to divide evenly; an uneven dim
    is an error naming the value, the dim, its size and the mesh axis.
  }];
  let dependentDialects = ["::mlir::tp::TPDialect"];
}

def OverlapCollectives : Pass<"tp-overlap-collectives", "::mlir::ModuleOp"> {
  let summary = "Overlaps all-reduces with the work that does not need them";
  let description = [{
    On a rank's program (after `tp-partition`), turns each `tp.all_reduce`
    with independent work to hide behind into a start and a wait: the sum
    starts (`async`) right after its input is computed and is waited for
    (`tp.wait`) just before its result's first use, so the ops in between run
    while the bytes move. The backward's classic case is Megatron's: a
    column-wise layer's input gradient is summed while the layer's weight
    gradient is computed. An optimizer update whose gradient is summed this
    way runs just before the next update (or at the end of the step), so
    that the sum of one layer's gradient hides behind the next layer's
    backward; each such gradient then lives until that point.

    ```mlir
    // before
    %dx = tp.linear_input_grad "w1" %dy, %w1 : ...
    %s = tp.all_reduce %dx on @mesh ["tp"] : tensor<8x8192xf32>
    %dw = tp.linear_weight_grad "w1" %dy, %x : ...
    %n = tp.rms_norm_input_grad "norm" %s, ...
    // after
    %dx = tp.linear_input_grad "w1" %dy, %w1 : ...
    %s = tp.all_reduce %dx on @mesh ["tp"] async : tensor<8x8192xf32>
    %dw = tp.linear_weight_grad "w1" %dy, %x : ...
    %ds = tp.wait %s : tensor<8x8192xf32>
    %n = tp.rms_norm_input_grad "norm" %ds, ...
    ```

    A sum with nothing to overlap (its result used by the next op) stays
    blocking, as does one that reads a parameter (an update in place could
    change it while the sum reads it). Every rank runs the same program, so
    all start their collectives in one order, as MPI and NCCL require.
    `tp-compile` runs this
    pass unless given `--overlap=false`; the report lists, for each
    collective, the ops it overlaps.
  }];
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let statistics = [
    Statistic<"numOverlapped", "overlapped-collectives",
              "The number of all-reduces made asynchronous">
  ];
}

def Report : Pass<"tp-report", "::mlir::ModuleOp"> {
  let summary = "Prints what each rank holds and moves";
  let description = [{
    On a rank's program (after `tp-partition`), prints per layer and in
    total: the bytes of parameters each rank holds, an estimate of the peak
    bytes of live activations, and the bytes every collective moves per
    rank (ring algorithms: all_reduce `2(n-1)/n` of its buffer, all_gather
    and reduce_scatter `(n-1)/n` of the full buffer, all_to_all `(n-1)/n` of
    the local buffer), with the reason each collective is there. The table
    goes to stdout (or `output=`), JSON to `json=` on request. The IR is not
    changed.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "where the table goes (`-` for stdout)">,
    Option<"jsonFile", "json", "std::string", /*default=*/"",
           "also write the report as JSON to this file">
  ];
}

#endif // TP_DIALECT_TP_TRANSFORMS_PASSES_TD
