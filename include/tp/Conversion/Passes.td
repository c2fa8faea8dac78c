//===- Passes.td - tp conversion passes --------------------*- tablegen -*-===//
//
// This file declares the conversion of a rank's program into calls of the
// runtime.
//
//===----------------------------------------------------------------------===//

#ifndef TP_CONVERSION_PASSES_TD
#define TP_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTPToRuntime : Pass<"convert-tp-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lowers a rank's program to runtime calls in the LLVM dialect";
  let description = [{
    Turns the model function of a rank's program (after `tp-parallelize`)
    into `llvm.func @tp_model_forward(%ctx, %arena, %params)`, one call into
    the runtime (`runtime/include/tprt/tprt.h`) per op: `tprt_linear` for
    `tp.linear` (a GEMM), `tprt_all_reduce` for `tp.all_reduce`, and so on.
    The calls and their declarations are expanded from the runtime's list of
    entry points, `tprt_calls.def`, the list `tprt.h` is expanded from, so
    the two cannot disagree. Every call names its layer for the runtime's
    messages: a layer op's module path, for a collective the layer whose
    value it moves, else the op's name.

    `silu(a) * b` whose silu has no other user (a Llama MLP's SwiGLU) runs
    as one `tprt_silu_mul` call.

    The calls of a repeated block, the layers whose module path has the same
    prefix up to its first index (`layers.3` of `layers.3.attention.wq`, as
    PyTorch names the members of a `ModuleList`), go into an internal
    function of the same arguments, `@tp_model_forward.layers.3`, which
    `@tp_model_forward` calls; so the code generator's work per function
    stays bounded however deep the model. An op that names no layer (an add,
    a rope) joins the ops before it, a collective the layer whose value it
    moves. Where the step returns to a block (a layer's backward pass, after
    the loss), that run is another function, `@tp_model_forward.layers.3.part2`.
    Ops outside any block (`tok_embeddings`, `norm`) stay in
    `@tp_model_forward`.

    ```mlir
    llvm.func @tp_model_forward(%ctx: !llvm.ptr, %arena: !llvm.ptr, %params: !llvm.ptr) {
      llvm.call @tprt_embedding(%ctx, ...)
      llvm.call @tp_model_forward.layers.0(%ctx, %arena, %params)
      llvm.call @tp_model_forward.layers.1(%ctx, %arena, %params)
      llvm.call @tprt_rms_norm(%ctx, ...)
      ...
    }
    ```

    Buffers are planned statically: every activation gets an offset in one
    arena, assigned first-fit over live intervals so that buffers whose
    values are dead are reused (a reshape shares its input's buffer);
    inputs and outputs stay live for the whole step. The scratch of a call
    (the scores of `tprt_attention`, for many query rows at once) is planned
    the same way, live during that call only. Parameters get offsets
    in a second buffer that holds this rank's shards. The peak is therefore
    known at compile time.

    It also emits `tp_model_manifest`, a JSON description the runtime reads
    (schema and version in `docs/Manifest.md`): the mesh, each parameter
    (state-dict name, global and local shape, the mesh axes that split each
    dim, its offset), each input and output, the arena sizes, the FLOPs of a
    step and the per-rank report.

    ```mlir
    // before
    %y = tp.linear "w2" %g, %w2 : tensor<8x4096xf32>, tensor<8192x4096xf32>
    // after
    llvm.call @tprt_linear(%ctx, %w2_name, %f32, %g_ptr, %w2_ptr, %null,
                           %y_ptr, %c8, %c8192, %c4096) : (...) -> ()
    ```

    Supported element types: f32, f16 and bf16 tensors (each call names its
    dtype, `tprt_dtype`) and i64 token ids and labels.

    `symbol-prefix` names the two exported symbols, `<prefix>_forward` and
    `<prefix>_manifest` (the block functions follow the step's name).
    tp-compile lowers the rank's program with the default, `tp_model`, and
    the same model compiled unsharded, which the executable's `--verify`
    runs on rank 0, with `tp_unsharded`, so that both live in one
    executable.
  }];
  let options = [
    Option<"symbolPrefix", "symbol-prefix", "std::string",
           /*default=*/"\"tp_model\"",
           "the prefix of the exported step function and manifest">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // TP_CONVERSION_PASSES_TD
