// tp-apply-plan reads a plan from a JSON file (Inputs/*.json) or from the
// module's tp.plan attribute, creates the mesh and attaches tp.style to the
// layers the plan's patterns match. Each model below is a split-file section
// so that every RUN line applies its own plan to its own model.
//
// RUN: split-file %s %t
//
// A plan file on the FeedForward; mesh= overrides the plan's mesh, in the
// order written.
// RUN: tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/ff-plan.json" \
// RUN:   | FileCheck %t/ff.mlir --check-prefix=FF
// RUN: tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/ff-plan.json mesh=tp:2,dp:2" \
// RUN:   | FileCheck %t/ff.mlir --check-prefix=OVERRIDE
//
// Globs over a two-layer Llama, without and with sequence parallelism.
// RUN: tp-opt %t/llama.mlir --tp-apply-plan="plan=%S/Inputs/llama-plan.json" \
// RUN:   | FileCheck %t/llama.mlir --check-prefix=LLAMA
// RUN: tp-opt %t/llama.mlir --tp-apply-plan="plan=%S/Inputs/llama-plan.json sequence-parallel=true" \
// RUN:   | FileCheck %t/llama.mlir --check-prefix=SP
//
// Inline plans (tp.plan), one module per case.
// RUN: tp-opt %t/inline.mlir --tp-apply-plan --split-input-file \
// RUN:   | FileCheck %t/inline.mlir
// RUN: tp-opt %t/tp-axis.mlir --tp-apply-plan="tp-axis=model" \
// RUN:   | FileCheck %t/tp-axis.mlir
//
// Errors.
// RUN: tp-opt %t/errors.mlir --tp-apply-plan --split-input-file --verify-diagnostics
//
// Errors in a plan file point at its line and column: the JSON parser's, or
// the key at fault.
// RUN: not tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/malformed-plan.json" \
// RUN:   2>&1 | FileCheck %s --check-prefix=MALFORMED
// MALFORMED: malformed-plan.json:5:5: error: malformed plan: Expected , or } after object property
// RUN: not tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/unmatched-plan.json" \
// RUN:   2>&1 | FileCheck %s --check-prefix=UNMATCHED
// UNMATCHED: unmatched-plan.json:5:5: error: plan pattern 'w9' matches no layer (layers: w1, w3, w2)
// RUN: not tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/unknown-style-plan.json" \
// RUN:   2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: unknown-style-plan.json:5:14: error: plan pattern 'w2': unknown style 'diagonal'; expected colwise, rowwise, sequence_parallel or replicate, Hugging Face's colwise_rep, rowwise_rep, local_colwise, local_rowwise or gather, or PyTorch's ColwiseParallel(), RowwiseParallel(), SequenceParallel() or PrepareModuleInput(...)
// An error in a PyTorch call points at its column in the string.
// RUN: not tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/bad-call-plan.json" \
// RUN:   2>&1 | FileCheck %s --check-prefix=BADCALL
// BADCALL: bad-call-plan.json:5:49: error: plan pattern 'w2': 'RowwiseParallel(output_layouts=Shard(one))', column 38: Shard(...) takes one integer, the tensor dim it splits (negative counts from the end): write Shard(1) or Shard(-1)
// RUN: not tp-opt %t/ff.mlir --tp-apply-plan="plan=%S/Inputs/no-tp-axis-plan.json" \
// RUN:   2>&1 | FileCheck %s --check-prefix=NOTP
// NOTP: no-tp-axis-plan.json:3:3: error: mesh axis 'tp' (the tensor-parallel axis, tp-axis=) is not in the mesh (axes: model)
// RUN: tp-opt %t/missing.mlir --tp-apply-plan="plan=%S/Inputs/missing-plan.json" \
// RUN:   --verify-diagnostics

//--- ff.mlir

// FF-LABEL: module attributes {tp.tp_axis = "tp"} {
// FF-NEXT: tp.mesh @mesh(tp = 2)
// FF-NOT: tp.mesh
// FF-LABEL: func.func @forward
// FF: tp.linear "w1" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// FF: tp.linear "w3" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// FF: tp.linear "w2" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"]>}

// OVERRIDE-LABEL: module attributes {tp.tp_axis = "tp"} {
// OVERRIDE-NEXT: tp.mesh @mesh(tp = 2, dp = 2)
// OVERRIDE: tp.linear "w1"
// OVERRIDE-SAME: {tp.style = #tp.style<colwise on @mesh["tp"]>}

tp.parameter @"w1.weight" : tensor<32x16xf32>
tp.parameter @"w2.weight" : tensor<16x32xf32>
tp.parameter @"w3.weight" : tensor<32x16xf32>

func.func @forward(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %w1 = tp.get_parameter @"w1.weight" : tensor<32x16xf32>
  %w2 = tp.get_parameter @"w2.weight" : tensor<16x32xf32>
  %w3 = tp.get_parameter @"w3.weight" : tensor<32x16xf32>
  %h1 = tp.linear "w1" %x, %w1 : tensor<4x16xf32>, tensor<32x16xf32>
  %a = tp.silu %h1 : tensor<4x32xf32>
  %h3 = tp.linear "w3" %x, %w3 : tensor<4x16xf32>, tensor<32x16xf32>
  %g = tp.mul %a, %h3 : tensor<4x32xf32>
  %y = tp.linear "w2" %g, %w2 : tensor<4x32xf32>, tensor<16x32xf32>
  return %y : tensor<4x16xf32>
}

//--- llama.mlir

// In a JSON mesh the tensor-parallel axis goes last.
// LLAMA: tp.mesh @mesh(dp = 2, tp = 2)
// LLAMA-LABEL: func.func @forward
// LLAMA: tp.embedding "tok_embeddings" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], input = R>}
// Norms the plan does not name keep no style.
// LLAMA: tp.rms_norm "layers.0.attention_norm" %{{.*}}, %{{.*}} eps 1.000000e-05 :
// LLAMA: tp.linear "layers.0.attention.wq" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// LLAMA: tp.linear "layers.0.attention.wo" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"]>}
// LLAMA: tp.linear "layers.0.feed_forward.w1" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// LLAMA: tp.linear "layers.0.feed_forward.w2" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], output = R>}
// LLAMA: tp.rms_norm "layers.1.attention_norm" %{{.*}}, %{{.*}} eps 1.000000e-05 :
// LLAMA: tp.linear "layers.1.attention.wq" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// LLAMA: tp.linear "layers.1.attention.wo" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"]>}
// LLAMA: tp.linear "layers.1.feed_forward.w1" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// LLAMA: tp.linear "layers.1.feed_forward.w2" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], output = R>}
// LLAMA: tp.rms_norm "norm" %{{.*}}, %{{.*}} eps 1.000000e-05 {tp.style = #tp.style<replicate on @mesh["tp"]>}
// LLAMA: tp.linear "output" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"], output = R, use_local_output = false>}

// Sequence parallelism: unnamed norms become sequence_parallel, row-wise
// layers without output_layouts deliver S(1); explicit choices stay.
// SP-LABEL: func.func @forward
// SP: tp.embedding "tok_embeddings" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], input = R, output = S(1)>}
// SP: tp.rms_norm "layers.0.attention_norm" {{.*}} {tp.style = #tp.style<sequence_parallel on @mesh["tp"]>}
// SP: tp.linear "layers.0.attention.wq" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// SP: tp.linear "layers.0.attention.wo" {{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], output = S(1)>}
// SP: tp.linear "layers.0.feed_forward.w1" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// SP: tp.linear "layers.0.feed_forward.w2" {{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], output = R>}
// SP: tp.rms_norm "layers.1.attention_norm" {{.*}} {tp.style = #tp.style<sequence_parallel on @mesh["tp"]>}
// SP: tp.linear "layers.1.attention.wo" {{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], output = S(1)>}
// SP: tp.rms_norm "norm" {{.*}} {tp.style = #tp.style<replicate on @mesh["tp"]>}
// SP: tp.linear "output" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"], output = R, use_local_output = false>}

tp.parameter @"tok_embeddings.weight" : tensor<64x16xf32>
tp.parameter @"layers.0.attention_norm.weight" : tensor<16xf32>
tp.parameter @"layers.0.attention.wq.weight" : tensor<16x16xf32>
tp.parameter @"layers.0.attention.wo.weight" : tensor<16x16xf32>
tp.parameter @"layers.0.feed_forward.w1.weight" : tensor<32x16xf32>
tp.parameter @"layers.0.feed_forward.w2.weight" : tensor<16x32xf32>
tp.parameter @"layers.1.attention_norm.weight" : tensor<16xf32>
tp.parameter @"layers.1.attention.wq.weight" : tensor<16x16xf32>
tp.parameter @"layers.1.attention.wo.weight" : tensor<16x16xf32>
tp.parameter @"layers.1.feed_forward.w1.weight" : tensor<32x16xf32>
tp.parameter @"layers.1.feed_forward.w2.weight" : tensor<16x32xf32>
tp.parameter @"norm.weight" : tensor<16xf32>
tp.parameter @"output.weight" : tensor<64x16xf32>

func.func @forward(%tokens: tensor<2x4xi64>) -> tensor<2x4x64xf32> {
  %emb = tp.get_parameter @"tok_embeddings.weight" : tensor<64x16xf32>
  %h = tp.embedding "tok_embeddings" %tokens, %emb : tensor<2x4xi64>, tensor<64x16xf32>

  %n0w = tp.get_parameter @"layers.0.attention_norm.weight" : tensor<16xf32>
  %wq0 = tp.get_parameter @"layers.0.attention.wq.weight" : tensor<16x16xf32>
  %wo0 = tp.get_parameter @"layers.0.attention.wo.weight" : tensor<16x16xf32>
  %w10 = tp.get_parameter @"layers.0.feed_forward.w1.weight" : tensor<32x16xf32>
  %w20 = tp.get_parameter @"layers.0.feed_forward.w2.weight" : tensor<16x32xf32>
  %n0 = tp.rms_norm "layers.0.attention_norm" %h, %n0w eps 1.0e-05 : tensor<2x4x16xf32>, tensor<16xf32>
  %q0 = tp.linear "layers.0.attention.wq" %n0, %wq0 : tensor<2x4x16xf32>, tensor<16x16xf32>
  %o0 = tp.linear "layers.0.attention.wo" %q0, %wo0 : tensor<2x4x16xf32>, tensor<16x16xf32>
  %h0 = tp.add %h, %o0 : tensor<2x4x16xf32>
  %f0 = tp.linear "layers.0.feed_forward.w1" %h0, %w10 : tensor<2x4x16xf32>, tensor<32x16xf32>
  %g0 = tp.linear "layers.0.feed_forward.w2" %f0, %w20 : tensor<2x4x32xf32>, tensor<16x32xf32>
  %r0 = tp.add %h0, %g0 : tensor<2x4x16xf32>

  %n1w = tp.get_parameter @"layers.1.attention_norm.weight" : tensor<16xf32>
  %wq1 = tp.get_parameter @"layers.1.attention.wq.weight" : tensor<16x16xf32>
  %wo1 = tp.get_parameter @"layers.1.attention.wo.weight" : tensor<16x16xf32>
  %w11 = tp.get_parameter @"layers.1.feed_forward.w1.weight" : tensor<32x16xf32>
  %w21 = tp.get_parameter @"layers.1.feed_forward.w2.weight" : tensor<16x32xf32>
  %n1 = tp.rms_norm "layers.1.attention_norm" %r0, %n1w eps 1.0e-05 : tensor<2x4x16xf32>, tensor<16xf32>
  %q1 = tp.linear "layers.1.attention.wq" %n1, %wq1 : tensor<2x4x16xf32>, tensor<16x16xf32>
  %o1 = tp.linear "layers.1.attention.wo" %q1, %wo1 : tensor<2x4x16xf32>, tensor<16x16xf32>
  %h1 = tp.add %r0, %o1 : tensor<2x4x16xf32>
  %f1 = tp.linear "layers.1.feed_forward.w1" %h1, %w11 : tensor<2x4x16xf32>, tensor<32x16xf32>
  %g1 = tp.linear "layers.1.feed_forward.w2" %f1, %w21 : tensor<2x4x32xf32>, tensor<16x32xf32>
  %r1 = tp.add %h1, %g1 : tensor<2x4x16xf32>

  %nw = tp.get_parameter @"norm.weight" : tensor<16xf32>
  %out = tp.get_parameter @"output.weight" : tensor<64x16xf32>
  %n = tp.rms_norm "norm" %r1, %nw eps 1.0e-05 : tensor<2x4x16xf32>, tensor<16xf32>
  %logits = tp.linear "output" %n, %out : tensor<2x4x16xf32>, tensor<64x16xf32>
  return %logits : tensor<2x4x64xf32>
}

//--- inline.mlir

// A 1-D mesh from the inline plan; a layer the plan does not name keeps no
// style, and the plan stays on the module.
// CHECK-LABEL: module @inline_plan
// CHECK-SAME: attributes {tp.plan = {{.*}}, tp.tp_axis = "tp"}
// CHECK-NEXT: tp.mesh @mesh(tp = 2)
// CHECK: tp.linear "w1" %{{.*}}, %{{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// CHECK: tp.linear "w3" %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<32x16xf32>
// CHECK: tp.linear "w2" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"]>}
module @inline_plan attributes {tp.plan = {mesh = {tp = 2 : i64},
                                           plan = {w1 = "colwise", w2 = "rowwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w1: tensor<32x16xf32>,
                     %w2: tensor<16x32xf32>, %w3: tensor<32x16xf32>) -> tensor<4x16xf32> {
    %h1 = tp.linear "w1" %x, %w1 : tensor<4x16xf32>, tensor<32x16xf32>
    %h3 = tp.linear "w3" %x, %w3 : tensor<4x16xf32>, tensor<32x16xf32>
    %g = tp.mul %h1, %h3 : tensor<4x32xf32>
    %y = tp.linear "w2" %g, %w2 : tensor<4x32xf32>, tensor<16x32xf32>
    return %y : tensor<4x16xf32>
  }
}

// -----

// A mesh given as a string; every style kind and layout spelling.
// CHECK-LABEL: module @styles
// CHECK-NEXT: tp.mesh @mesh(dp = 2, tp = 2)
// CHECK: tp.embedding "tok_embeddings" %{{.*}}, %{{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], input = R>}
// CHECK: tp.layer_norm "norm" {{.*}} {tp.style = #tp.style<sequence_parallel on @mesh["tp"]>}
// CHECK: tp.linear "proj" {{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"], input = S(-1), output = S(1)>}
// CHECK: tp.linear "head" {{.*}} {tp.style = #tp.style<replicate on @mesh["tp"]>}
// CHECK: tp.linear "output" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"], input = S(1), output = R, use_local_output = false>}
module @styles attributes {tp.plan = {
    mesh = "dp:2,tp:2",
    plan = {tok_embeddings = {style = "rowwise", input_layouts = "R"},
            norm = "sequence_parallel",
            proj = {style = "rowwise", input_layouts = "shard(-1)",
                    output_layouts = "S(1)"},
            head = {style = "replicate", use_local_output = true},
            output = {style = "colwise", input_layouts = "shard(1)",
                      output_layouts = "replicate", use_local_output = false}}}} {
  func.func @forward(%tokens: tensor<2x4xi64>, %emb: tensor<64x16xf32>,
                     %nw: tensor<16xf32>, %wp: tensor<16x16xf32>,
                     %wh: tensor<16x16xf32>, %wo: tensor<64x16xf32>) -> tensor<2x4x64xf32> {
    %h = tp.embedding "tok_embeddings" %tokens, %emb : tensor<2x4xi64>, tensor<64x16xf32>
    %n = tp.layer_norm "norm" %h, %nw eps 1.0e-05 : tensor<2x4x16xf32>, tensor<16xf32>
    %p = tp.linear "proj" %n, %wp : tensor<2x4x16xf32>, tensor<16x16xf32>
    %q = tp.linear "head" %p, %wh : tensor<2x4x16xf32>, tensor<16x16xf32>
    %o = tp.linear "output" %q, %wo : tensor<2x4x16xf32>, tensor<64x16xf32>
    return %o : tensor<2x4x64xf32>
  }
}

// -----

// A glob's `*` matches exactly one segment; a layer applied twice gets the
// style on every op.
// CHECK-LABEL: module @glob
// CHECK: tp.linear "layers.0.attention.wq" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// CHECK: tp.linear "layers.0.attention.wo" %{{.*}}, %{{.*}} : tensor
// CHECK: tp.linear "layers.1.attention.wq" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
// CHECK: tp.linear "layers.1.x.attention.wq" %{{.*}}, %{{.*}} : tensor
// CHECK-COUNT-2: tp.linear "shared" {{.*}} {tp.style = #tp.style<replicate on @mesh["tp"]>}
module @glob attributes {tp.plan = {mesh = {tp = 2 : i64},
                                    plan = {"layers.*.attention.wq" = "colwise",
                                            shared = "replicate"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %a = tp.linear "layers.0.attention.wq" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %b = tp.linear "layers.0.attention.wo" %a, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %c = tp.linear "layers.1.attention.wq" %b, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %d = tp.linear "layers.1.x.attention.wq" %c, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %e = tp.linear "shared" %d, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %f = tp.linear "shared" %e, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %f : tensor<4x16xf32>
  }
}

// -----

// The module's own mesh is reused when it has the plan's shape.
// CHECK-LABEL: module @same_mesh
// CHECK-NEXT: tp.mesh @mesh(dp = 2, tp = 2)
// CHECK-NOT: tp.mesh
// CHECK: tp.linear "w1" {{.*}} {tp.style = #tp.style<colwise on @mesh["tp"]>}
module @same_mesh attributes {tp.plan = {mesh = {dp = 2 : i64, tp = 2 : i64},
                                         plan = {w1 = "colwise"}}} {
  tp.mesh @mesh(dp = 2, tp = 2)
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %y = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %y : tensor<4x16xf32>
  }
}

// -----

// Without a mesh in the plan, the module's mesh serves.
// CHECK-LABEL: module @module_mesh
// CHECK-NEXT: tp.mesh @mesh(tp = 4)
// CHECK-NOT: tp.mesh
// CHECK: tp.linear "w1" {{.*}} {tp.style = #tp.style<rowwise on @mesh["tp"]>}
module @module_mesh attributes {tp.plan = {plan = {w1 = "rowwise"}}} {
  tp.mesh @mesh(tp = 4)
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %y = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %y : tensor<4x16xf32>
  }
}

//--- tp-axis.mlir

// tp-axis=model: the styles split over `model`, which goes last in the mesh
// although it sorts first.
// CHECK-LABEL: module attributes
// CHECK-SAME: tp.tp_axis = "model"
// CHECK-NEXT: tp.mesh @mesh(replica = 2, model = 4)
// CHECK: tp.linear "w1" {{.*}} {tp.style = #tp.style<colwise on @mesh["model"]>}
module attributes {tp.plan = {mesh = {model = 4 : i64, replica = 2 : i64},
                              plan = {w1 = "colwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %y = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %y : tensor<4x16xf32>
  }
}

//--- errors.mlir

// expected-error @+1 {{no plan: pass plan=<file> or set tp.plan on the module}}
module @no_plan {
}

// -----

// expected-error @+1 {{a plan must be an object: {pattern: style} or {"mesh": ..., "plan": {pattern: style}}}}
module @plan_not_an_object attributes {tp.plan = "colwise"} {
}

// -----

// expected-error @+1 {{tp.plan holds 1.500000e+00 : f64; a plan holds dictionaries, strings, integers and booleans}}
module @plan_unsupported_attr attributes {tp.plan = {mesh = {tp = 1.5}}} {
}

// -----

// expected-error @+1 {{unknown plan key 'layers'; expected loss_parallel, mesh or plan (a bare plan dict {pattern: style} has none of them)}}
module @unknown_plan_key attributes {tp.plan = {mesh = {tp = 2 : i64}, layers = {}}} {
}

// -----

// expected-error @+1 {{the plan's "plan" must be an object {pattern: style}}}
module @plan_entry_not_an_object attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = "colwise"}} {
}

// -----

// expected-error @+1 {{mesh axis 'tp' (the tensor-parallel axis, tp-axis=) is not in the mesh (axes: dp)}}
module @no_tp_axis attributes {tp.plan = {mesh = {dp = 2 : i64}, plan = {}}} {
}

// -----

// expected-error @+1 {{'tp.mesh' op mesh 'mesh' axis 'tp' has size 0; axis sizes must be at least 1}}
module @zero_axis attributes {tp.plan = {mesh = {tp = 0 : i64}, plan = {}}} {
}

// -----

// expected-error @+1 {{mesh axis 'tp' has size "2"; expected a positive integer}}
module @size_not_an_integer attributes {tp.plan = {mesh = {tp = "2"}, plan = {}}} {
}

// -----

// expected-error @+1 {{mesh 'tp=2': axis 'tp=2' is not <name>:<size>}}
module @bad_mesh_string attributes {tp.plan = {mesh = "tp=2", plan = {}}} {
}

// -----

// expected-error @+1 {{'tp.mesh' op mesh 'mesh' names axis 'tp' twice}}
module @duplicate_axis attributes {tp.plan = {mesh = "tp:2,tp:2", plan = {}}} {
}

// -----

// expected-error @+1 {{the plan's mesh must be an object {axis: size} or a string "dp:2,tp:4"}}
module @mesh_not_an_object attributes {tp.plan = {mesh = 2 : i64, plan = {}}} {
}

// -----

// expected-error @+1 {{no mesh: the plan has no "mesh"; pass mesh=<axes> or add one to the plan}}
module @no_mesh attributes {tp.plan = {plan = {}}} {
}

// -----

module @different_mesh attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {}}} {
  // expected-error @+1 {{the module's tp.mesh @mesh(tp = 4) differs from the plan's tp.mesh @mesh(tp = 2)}}
  tp.mesh @mesh(tp = 4)
}

// -----

// expected-error @+1 {{plan pattern 'w1': unknown style 'columnwise'; expected colwise, rowwise, sequence_parallel or replicate, Hugging Face's}}
module @unknown_style attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {w1 = "columnwise"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': a style must be a string or an object}}
module @style_not_a_string attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {w1 = 1 : i64}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': style must be a string}}
module @style_field_not_a_string attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {w1 = {style = true}}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': unknown key 'output_layout'; expected style, input_layouts, output_layouts or use_local_output}}
module @unknown_style_key attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = {style = "colwise", output_layout = "replicate"}}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': the object has no "style"}}
module @no_style attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = {output_layouts = "replicate"}}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w2': output_layouts: unknown layout 'partial'; expected Replicate(), Shard(d), replicate, shard(d), R or S(d)}}
module @partial_layout attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w2 = {style = "rowwise", output_layouts = "partial"}}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': input_layouts must be a string}}
module @layout_not_a_string attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = {style = "colwise", input_layouts = 0 : i64}}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': use_local_output must be true or false}}
module @local_output_not_a_bool attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = {style = "colwise", use_local_output = "yes"}}}} {
}

// -----

// Every pattern that matches nothing is reported; the hint lists layers in
// program order.
// expected-error @+2 {{plan pattern 'layers.*.wq' matches no layer (layers: w1, w3, w2)}}
// expected-error @+1 {{plan pattern 'w1.weight' matches no layer (layers: w1, w3, w2)}}
module @unmatched attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {"layers.*.wq" = "colwise", "w1.weight" = "colwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %a = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %b = tp.linear "w3" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %c = tp.linear "w2" %b, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %c : tensor<4x16xf32>
  }
}

// -----

// expected-error @+1 {{plan pattern 'wq' matches no layer (layers: w1, w2, w3, w4, ...)}}
module @unmatched_many attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {wq = "colwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %a = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %b = tp.linear "w2" %a, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %c = tp.linear "w3" %b, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %d = tp.linear "w4" %c, %w : tensor<4x16xf32>, tensor<16x16xf32>
    %e = tp.linear "w5" %d, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %e : tensor<4x16xf32>
  }
}

// -----

// expected-error @+1 {{plan pattern 'w1' matches no layer (the model has no layers)}}
module @no_layers attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {w1 = "colwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
    return %x : tensor<4x16xf32>
  }
}

// -----

module @two_patterns attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {"layers.*.attention.wq" = "colwise", "layers.0.attention.wq" = "rowwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    // expected-error @+1 {{layer 'layers.0.attention.wq' is matched by plan patterns 'layers.*.attention.wq' and 'layers.0.attention.wq'}}
    %a = tp.linear "layers.0.attention.wq" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %a : tensor<4x16xf32>
  }
}

// -----

// A glob within a segment, as fnmatch: `w*` matches w1 too.
module @segment_glob_overlap attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {"w*" = "colwise", w1 = "rowwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    // expected-error @+1 {{layer 'w1' is matched by plan patterns 'w*' and 'w1'}}
    %a = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %a : tensor<4x16xf32>
  }
}

// -----

module @norm_colwise attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {attention_norm = "colwise"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16xf32>) -> tensor<4x16xf32> {
    // expected-error @+1 {{layer 'attention_norm' (tp.rms_norm) cannot be colwise; it takes sequence_parallel or replicate}}
    %n = tp.rms_norm "attention_norm" %x, %w eps 1.0e-05 : tensor<4x16xf32>, tensor<16xf32>
    return %n : tensor<4x16xf32>
  }
}

// -----

module @linear_sequence_parallel attributes {tp.plan = {mesh = {tp = 2 : i64}, plan = {w1 = "sequence_parallel"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    // expected-error @+1 {{layer 'w1' (tp.linear) cannot be sequence_parallel; it takes colwise, rowwise or replicate}}
    %a = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %a : tensor<4x16xf32>
  }
}

// -----

module @shard_dim_out_of_range attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = {style = "colwise", output_layouts = "shard(2)"}}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    // expected-error @+1 {{layer 'w1': output layout Shard(2) is out of range for its rank-2 output}}
    %a = tp.linear "w1" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %a : tensor<4x16xf32>
  }
}

// -----

// PyTorch's call syntax: errors give the column in the string.
// expected-error @+1 {{plan pattern 'w1': 'ColwiseParallel(output_layouts=Replicate()', column 43: expected ',' or ')' to close the '(' at column 16}}
module @unclosed_call attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel(output_layouts=Replicate()"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': 'ColwiseParallel() colwise', column 19: unexpected 'colwise' after 'ColwiseParallel()'}}
module @text_after_call attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel() colwise"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': 'ColwiseParallel(output_layout=Replicate())', column 17: unknown keyword argument 'output_layout' of ColwiseParallel; expected input_layouts, output_layouts, use_local_output}}
module @unknown_keyword attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel(output_layout=Replicate())"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': 'ColwiseParallel(Replicate())', column 17: ColwiseParallel takes keyword arguments only: input_layouts, output_layouts, use_local_output}}
module @positional_argument attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel(Replicate())"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': 'ColwiseParallel(use_local_output=True, use_local_output=False)', column 40: keyword argument 'use_local_output' repeated}}
module @repeated_keyword attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel(use_local_output=True, use_local_output=False)"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': 'ColwiseParallel(use_local_output=1)', column 34: use_local_output must be True or False}}
module @local_output_not_a_python_bool attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel(use_local_output=1)"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w2': 'RowwiseParallel(output_layouts=Partial())', column 32: a plan cannot ask for Partial(): partial sums are what row-wise layers produce; write Replicate() or Shard(d)}}
module @partial_call attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w2 = "RowwiseParallel(output_layouts=Partial())"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': write ColwiseParallel(), a call}}
module @class_not_called attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "ColwiseParallel"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'w1': 'DiagonalParallel()', column 1: unknown style 'DiagonalParallel()'; expected ColwiseParallel(), RowwiseParallel(), SequenceParallel() or PrepareModuleInput(...)}}
module @unknown_call attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {w1 = "DiagonalParallel()"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'norm': 'SequenceParallel(sequence_dim=0)', column 31: tp-mlir's sequence parallelism splits dim 1 ([batch, sequence, features]); write SequenceParallel() or sequence_dim=1}}
module @sequence_dim attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {norm = "SequenceParallel(sequence_dim=0)"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'attention': 'PrepareModuleInput(input_layouts=(Replicate(),), desired_input_layouts=(Shard(1),))', column 73: PrepareModuleInput can only ask for Replicate() (or None): tp-mlir brings a module's input to the layout its layers' styles need; to have a layer take its input split, give that layer input_layouts}}
module @desired_shard attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {attention = "PrepareModuleInput(input_layouts=(Replicate(),), desired_input_layouts=(Shard(1),))"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'attention': 'PrepareModuleInput(input_layouts=(Shard(1), None), desired_input_layouts=(Replicate(),))', column 52: input_layouts has 2 entries but desired_input_layouts 1; give one of each per input}}
module @layout_counts attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {attention = "PrepareModuleInput(input_layouts=(Shard(1), None), desired_input_layouts=(Replicate(),))"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'attention': 'PrepareModuleOutput(output_layouts=Shard(1))', column 1: PrepareModuleOutput is not supported: a module's output has the layout its last layer delivers; give that layer output_layouts, e.g. RowwiseParallel(output_layouts=Shard(1))}}
module @prepare_output attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {attention = "PrepareModuleOutput(output_layouts=Shard(1))"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'out': 'loss_parallel()', column 1: loss_parallel is not a style: write "loss_parallel": true beside "plan"}}
module @loss_parallel_style attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {out = "loss_parallel()"}}} {
}

// -----

// Hugging Face's styles tp-mlir cannot express say what to write instead.
// expected-error @+1 {{plan pattern 'mlp.gate_up_proj': Hugging Face's 'local_packed_rowwise' splits a packed weight (gate_up_proj: the gate's rows, then the up's) half by half; tp-mlir reads a packed weight part by part (tp.get_parameter rows, as tp-import writes Phi-3's), each part a layer op of its own: write 'colwise' for the packed layer}}
module @local_packed_rowwise attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {"mlp.gate_up_proj" = "local_packed_rowwise"}}} {
}

// -----

// expected-error @+1 {{plan pattern 'mlp.experts': Hugging Face's 'local' (IsolatedParallel) gives each rank its own experts of a mixture of experts, and tp-mlir has no experts: write 'replicate'}}
module @local attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {"mlp.experts" = "local"}}} {
}

// -----

// A pattern that may name a module matches a layer or a module above one.
// expected-error @+1 {{plan pattern 'feed_forward' matches no layer or module (layers: attention.wq)}}
module @unmatched_module attributes {tp.plan = {mesh = {tp = 2 : i64},
    plan = {feed_forward = "PrepareModuleInput(desired_input_layouts=Replicate())"}}} {
  func.func @forward(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x16xf32> {
    %a = tp.linear "attention.wq" %x, %w : tensor<4x16xf32>, tensor<16x16xf32>
    return %a : tensor<4x16xf32>
  }
}

// -----

// expected-error @+1 {{loss_parallel must be true or false}}
module @loss_parallel_not_a_bool attributes {tp.plan = {mesh = {tp = 2 : i64},
    loss_parallel = "yes", plan = {}}} {
}

// -----

module @loss_parallel_rowwise attributes {tp.plan = {mesh = {tp = 2 : i64},
    loss_parallel = true, plan = {out = "RowwiseParallel()"}}} {
  func.func @forward(%x: tensor<4x8xf32>, %labels: tensor<4xi64>, %w: tensor<32x8xf32>) -> tensor<f32> {
    // expected-error @+1 {{loss_parallel: the cross-entropy's logits come from layer 'out', which the plan does not make colwise; give it ColwiseParallel(output_layouts=Shard(-1))}}
    %y = tp.linear "out" %x, %w : tensor<4x8xf32>, tensor<32x8xf32>
    %loss = tp.cross_entropy %y, %labels : tensor<4x32xf32>, tensor<4xi64>
    return %loss : tensor<f32>
  }
}

// -----

module @loss_parallel_replicated_output attributes {tp.plan = {mesh = {tp = 2 : i64},
    loss_parallel = true, plan = {out = "ColwiseParallel(output_layouts=Replicate())"}}} {
  func.func @forward(%x: tensor<4x8xf32>, %labels: tensor<4xi64>, %w: tensor<32x8xf32>) -> tensor<f32> {
    // expected-error @+1 {{loss_parallel is true but layer 'out' delivers its output as Replicate; write output_layouts=Shard(-1) or leave it out}}
    %y = tp.linear "out" %x, %w : tensor<4x8xf32>, tensor<32x8xf32>
    %loss = tp.cross_entropy %y, %labels : tensor<4x32xf32>, tensor<4xi64>
    return %loss : tensor<f32>
  }
}

//--- missing.mlir

// expected-error-re @+1 {{cannot read plan file '{{.*}}missing-plan.json': {{.+}}}}
module {
}
