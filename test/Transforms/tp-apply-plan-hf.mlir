// Hugging Face's base_model_tp_plan styles give the same program as the
// canonical plan they stand for: local_colwise and local_rowwise are colwise
// and rowwise (local weights instead of DTensors compute the same, and every
// tensor of a compiled program is local), colwise_rep gathers the output,
// rowwise_rep takes the input whole, and gather asks of a module what
// tp-propagate does anyway (on a layer it is replicate).
//
// RUN: tp-opt %s --tp-parallelize="plan=%S/Inputs/hf-plan.json" > %t.hf
// RUN: tp-opt %s --tp-parallelize="plan=%S/Inputs/hf-canonical-plan.json" > %t.canonical
// RUN: diff %t.canonical %t.hf
// RUN: FileCheck %s --check-prefix=HF < %t.hf
// RUN: tp-opt %s --tp-parallelize="plan=%S/Inputs/hf-rep-plan.json" > %t.rep
// RUN: tp-opt %s --tp-parallelize="plan=%S/Inputs/hf-rep-canonical-plan.json" > %t.rep-canonical
// RUN: diff %t.rep-canonical %t.rep
// RUN: FileCheck %s --check-prefix=REP < %t.rep

// One all-reduce per block, then colwise_rep gathers the logits.
// HF-LABEL: func.func @forward
// HF: tp.linear "layers.0.self_attn.q_proj"
// HF-NOT: tp.all_
// HF: tp.linear "layers.0.self_attn.o_proj"
// HF-NEXT: tp.all_reduce
// HF-NOT: tp.all_
// HF: tp.linear "layers.0.mlp.down_proj"
// HF-NEXT: tp.all_reduce
// HF-NOT: tp.all_
// HF: tp.linear "lm_head"
// HF-NEXT: tp.all_gather

// rowwise_rep slices the replicated input of lm_head and all-reduces its
// output.
// REP-LABEL: func.func @forward
// REP: tp.linear "lm_head"
// REP-NEXT: tp.all_reduce

tp.parameter @"layers.0.self_attn.q_proj.weight" : tensor<8x8xf32>
tp.parameter @"layers.0.self_attn.k_proj.weight" : tensor<8x8xf32>
tp.parameter @"layers.0.self_attn.v_proj.weight" : tensor<8x8xf32>
tp.parameter @"layers.0.self_attn.o_proj.weight" : tensor<8x8xf32>
tp.parameter @"layers.0.mlp.gate_proj.weight" : tensor<16x8xf32>
tp.parameter @"layers.0.mlp.up_proj.weight" : tensor<16x8xf32>
tp.parameter @"layers.0.mlp.down_proj.weight" : tensor<8x16xf32>
tp.parameter @"norm.weight" : tensor<8xf32>
tp.parameter @"lm_head.weight" : tensor<32x8xf32>

func.func @forward(%x: tensor<2x4x8xf32>) -> tensor<2x4x32xf32> {
  %wq = tp.get_parameter @"layers.0.self_attn.q_proj.weight" : tensor<8x8xf32>
  %wk = tp.get_parameter @"layers.0.self_attn.k_proj.weight" : tensor<8x8xf32>
  %wv = tp.get_parameter @"layers.0.self_attn.v_proj.weight" : tensor<8x8xf32>
  %wo = tp.get_parameter @"layers.0.self_attn.o_proj.weight" : tensor<8x8xf32>
  %q = tp.linear "layers.0.self_attn.q_proj" %x, %wq : tensor<2x4x8xf32>, tensor<8x8xf32>
  %k = tp.linear "layers.0.self_attn.k_proj" %x, %wk : tensor<2x4x8xf32>, tensor<8x8xf32>
  %v = tp.linear "layers.0.self_attn.v_proj" %x, %wv : tensor<2x4x8xf32>, tensor<8x8xf32>
  %q4 = tp.reshape %q : tensor<2x4x8xf32> -> tensor<2x4x2x4xf32>
  %k4 = tp.reshape %k : tensor<2x4x8xf32> -> tensor<2x4x2x4xf32>
  %v4 = tp.reshape %v : tensor<2x4x8xf32> -> tensor<2x4x2x4xf32>
  %o4 = tp.attention %q4, %k4, %v4 causal : tensor<2x4x2x4xf32>, tensor<2x4x2x4xf32>, tensor<2x4x2x4xf32>
  %o = tp.reshape %o4 : tensor<2x4x2x4xf32> -> tensor<2x4x8xf32>
  %a = tp.linear "layers.0.self_attn.o_proj" %o, %wo : tensor<2x4x8xf32>, tensor<8x8xf32>
  %h = tp.add %x, %a : tensor<2x4x8xf32>
  %wg = tp.get_parameter @"layers.0.mlp.gate_proj.weight" : tensor<16x8xf32>
  %wu = tp.get_parameter @"layers.0.mlp.up_proj.weight" : tensor<16x8xf32>
  %wd = tp.get_parameter @"layers.0.mlp.down_proj.weight" : tensor<8x16xf32>
  %g = tp.linear "layers.0.mlp.gate_proj" %h, %wg : tensor<2x4x8xf32>, tensor<16x8xf32>
  %s = tp.silu %g : tensor<2x4x16xf32>
  %u = tp.linear "layers.0.mlp.up_proj" %h, %wu : tensor<2x4x8xf32>, tensor<16x8xf32>
  %m = tp.mul %s, %u : tensor<2x4x16xf32>
  %d = tp.linear "layers.0.mlp.down_proj" %m, %wd : tensor<2x4x16xf32>, tensor<8x16xf32>
  %h2 = tp.add %h, %d : tensor<2x4x8xf32>
  %wn = tp.get_parameter @"norm.weight" : tensor<8xf32>
  %n = tp.rms_norm "norm" %h2, %wn eps 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>
  %wl = tp.get_parameter @"lm_head.weight" : tensor<32x8xf32>
  %logits = tp.linear "lm_head" %n, %wl : tensor<2x4x8xf32>, tensor<32x8xf32>
  return %logits : tensor<2x4x32xf32>
}
