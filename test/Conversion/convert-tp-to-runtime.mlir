// RUN: tp-opt %s --convert-tp-to-runtime --split-input-file --verify-diagnostics --allow-unregistered-dialect | FileCheck %s
// RUN: tp-opt %s --convert-tp-to-runtime=symbol-prefix=tp_unsharded --split-input-file --verify-diagnostics --allow-unregistered-dialect | FileCheck %s --check-prefix=PREFIX --implicit-check-not=tp_model_

// A rank's program (tp:2, w1 colwise, w2 rowwise) becomes one runtime call per
// op; parameters live in the parameter buffer, activations in the arena.
// The arena reuses the space of dead values: five 128-byte activations (x, h,
// a viewed twice by reshapes, y, z) fit in 384 bytes, because y takes h's
// place once the relu has read it, and x (an input) stays live throughout.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w1.weight" : tensor<16x8xf32>
  tp.parameter @"w2.weight" : tensor<8x16xf32>
  func.func @forward(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>})
      -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}) {
    %w1 = tp.get_parameter @"w1.weight" layout <@mesh, [S(0)]> : tensor<8x8xf32>
    %w2 = tp.get_parameter @"w2.weight" layout <@mesh, [S(1)]> : tensor<8x8xf32>
    %h = tp.linear "w1" %x, %w1 : tensor<4x8xf32>, tensor<8x8xf32>
    %a = tp.relu %h : tensor<4x8xf32>
    %r = tp.reshape %a : tensor<4x8xf32> -> tensor<2x16xf32>
    %b = tp.reshape %r : tensor<2x16xf32> -> tensor<4x8xf32>
    %y = tp.linear "w2" %b, %w2 : tensor<4x8xf32>, tensor<8x8xf32>
    %z = tp.all_reduce %y on @mesh ["tp"] : tensor<4x8xf32>
    return %z : tensor<4x8xf32>
  }
}

// Only the LLVM dialect is left.
// CHECK-NOT: tp.
// CHECK-NOT: func.func
// Layer names for the runtime's messages; ops outside a layer by their name.
// CHECK: llvm.mlir.global internal constant @[[$W2NAME:tp_str_[0-9]+]]("w2\00")
// CHECK: llvm.mlir.global internal constant @{{tp_str_[0-9]+}}("relu\00")
// CHECK: llvm.mlir.global internal constant @{{tp_str_[0-9]+}}("w1\00")
// CHECK-LABEL: llvm.func @tp_model_forward(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr, %[[PARAMS:.*]]: !llvm.ptr)
// w1: f32 (tprt_dtype 0), x in the arena, w1 in the parameters, no bias.
// CHECK: %[[F32:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: %[[X:.*]] = llvm.getelementptr %[[ARENA]][%{{.*}}]
// CHECK: %[[PW1:.*]] = llvm.getelementptr %[[PARAMS]][%{{.*}}]
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[H:.*]] = llvm.getelementptr %[[ARENA]][%{{.*}}]
// CHECK: llvm.call @tprt_linear(%[[CTX]], %{{.*}}, %[[F32]], %[[X]], %[[PW1]], %[[NULL]], %[[H]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: llvm.call @tprt_relu(
// The reshapes are views: no call.
// CHECK-NOT: tprt_copy
// CHECK: llvm.call @tprt_linear(
// The all-reduce is named after the layer whose output it sums.
// CHECK: %[[W2:.*]] = llvm.mlir.addressof @[[$W2NAME]]
// CHECK: llvm.call @tprt_all_reduce(%[[CTX]], %[[W2]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64) -> ()
// CHECK: llvm.return
// CHECK-DAG: llvm.func @tprt_linear(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64)
// CHECK-DAG: llvm.func @tprt_all_reduce(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64)
// CHECK: llvm.mlir.global external constant @tp_model_manifest(
// CHECK-SAME: \22arena_bytes\22:384
// CHECK-SAME: \22inputs\22:[{\22dtype\22:\22F32\22,\22local_shape\22:[4,8],\22name\22:\22input0\22,\22offset\22:0,\22shape\22:[4,8],\22split\22:{{\[\[\],\[\]\]}}}]
// CHECK-SAME: \22param_bytes\22:512
// CHECK-SAME: \22parameters\22:[{\22dtype\22:\22F32\22,\22local_shape\22:[8,8],\22name\22:\22w1.weight\22,\22offset\22:0,\22shape\22:[16,8],\22split\22:{{\[\[0\],\[\]\]}}},{\22dtype\22:\22F32\22,\22local_shape\22:[8,8],\22name\22:\22w2.weight\22,\22offset\22:256,\22shape\22:[8,16],\22split\22:{{\[\[\],\[0\]\]}}}]

// -----

// A row-split embedding table: each rank's rows start at its group index
// times its row count.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"emb.weight" : tensor<32x8xf32>
  func.func @forward(%ids: tensor<2x4xi64> {tp.layout = #tp.layout<@mesh, [R]>})
      -> (tensor<2x4x8xf32> {tp.layout = #tp.layout<@mesh, [P(sum)]>}) {
    %t = tp.get_parameter @"emb.weight" layout <@mesh, [S(0)]> : tensor<16x8xf32>
    %e = tp.embedding "emb" %ids, %t {tp.operand_layouts = [#tp.layout<@mesh, [R]>, #tp.layout<@mesh, [S(0)]>]} : tensor<2x4xi64>, tensor<16x8xf32>
    return %e : tensor<2x4x8xf32>
  }
}
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: %[[MASK:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[INDEX:.*]] = llvm.call @tprt_group_index(%{{.*}}, %{{.*}}, %[[MASK]]) : (!llvm.ptr, !llvm.ptr, i64) -> i64
// CHECK-NEXT: %[[ROWS:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-NEXT: %[[OFFSET:.*]] = llvm.mul %[[INDEX]], %[[ROWS]]
// CHECK: llvm.call @tprt_embedding({{.*}}, %[[OFFSET]], %{{.*}})
// CHECK: @tp_model_manifest({{.*}}\22id_bound\22:32

// -----

// Labels of a cross-entropy whose logits are split on the classes
// (loss_parallel) index all 16 classes, not a rank's 8.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  func.func @forward(%logits: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [S(1)]>},
                     %labels: tensor<4xi64> {tp.layout = #tp.layout<@mesh, [R]>})
      -> (tensor<f32> {tp.layout = #tp.layout<@mesh, [R]>}) {
    %l = tp.cross_entropy %logits, %labels {tp.operand_layouts = [#tp.layout<@mesh, [S(1)]>, #tp.layout<@mesh, [R]>], tp.result_layouts = [#tp.layout<@mesh, [R]>]} : tensor<4x8xf32>, tensor<4xi64>
    return %l : tensor<f32>
  }
}
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: @tp_model_manifest({{.*}}\22id_bound\22:16,

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    // expected-error @+1 {{the runtime supports f32, f16 and bf16 tensors and i64 token ids; got 'tensor<4x8xf64>'}}
    %a = "test.cast"(%x) : (tensor<4x8xf32>) -> tensor<4x8xf64>
    %b = "test.cast"(%a) : (tensor<4x8xf64>) -> tensor<4x8xf32>
    return %b : tensor<4x8xf32>
  }
}

// -----

// A bf16 model: every float call carries tprt_dtype 2 (an f16 one 1), the
// buffers take 2 bytes an element, and the manifest names the dtype as
// safetensors does.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"w1.weight" : tensor<16x8xbf16>
  tp.parameter @"w2.weight" : tensor<8x16xbf16>
  func.func @forward(%x: tensor<4x8xbf16> {tp.layout = #tp.layout<@mesh, [R]>},
                     %g: tensor<4x8xf16> {tp.layout = #tp.layout<@mesh, [R]>})
      -> (tensor<4x8xbf16> {tp.layout = #tp.layout<@mesh, [R]>},
          tensor<4x8xf16> {tp.layout = #tp.layout<@mesh, [R]>}) {
    %w1 = tp.get_parameter @"w1.weight" layout <@mesh, [S(0)]> : tensor<8x8xbf16>
    %w2 = tp.get_parameter @"w2.weight" layout <@mesh, [S(1)]> : tensor<8x8xbf16>
    %h = tp.linear "w1" %x, %w1 : tensor<4x8xbf16>, tensor<8x8xbf16>
    %a = tp.silu %h : tensor<4x8xbf16>
    %y = tp.linear "w2" %a, %w2 : tensor<4x8xbf16>, tensor<8x8xbf16>
    %z = tp.all_reduce %y on @mesh ["tp"] : tensor<4x8xbf16>
    %r = tp.relu %g : tensor<4x8xf16>
    return %z, %r : tensor<4x8xbf16>, tensor<4x8xf16>
  }
}
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: %[[BF16:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.call @tprt_linear(%{{.*}}, %{{.*}}, %[[BF16]],
// CHECK: %[[BF16_2:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.call @tprt_silu(%{{.*}}, %[[BF16_2]],
// CHECK: %[[BF16_3:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.call @tprt_linear(%{{.*}}, %{{.*}}, %[[BF16_3]],
// CHECK: %[[BF16_4:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.call @tprt_all_reduce(%{{.*}}, %[[BF16_4]],
// CHECK: %[[F16:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call @tprt_relu(%{{.*}}, %[[F16]],
// CHECK: @tp_model_manifest(
// CHECK-SAME: \22dtype\22:\22BF16\22,\22local_shape\22:[4,8],\22name\22:\22input0\22
// CHECK-SAME: \22dtype\22:\22F16\22,\22local_shape\22:[4,8],\22name\22:\22input1\22
// CHECK-SAME: \22param_bytes\22:256
// CHECK-SAME: \22dtype\22:\22BF16\22,\22local_shape\22:[8,8],\22name\22:\22w1.weight\22

// -----

// Attention gets a workspace in the arena, live during the call only: the
// scores of min(q_seq, 256 MiB / row) query rows of every (batch, head),
// 64 * (n + 1) + 8 * n * kv_seq * rows bytes with n = batch * q_heads: here
// 64 * 3 + 8 * 2 * 4 * 4 = 448, after the inputs (512 bytes) and the output.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  func.func @forward(%q: tensor<1x4x2x8xf32>, %k: tensor<1x4x1x8xf32>,
                     %v: tensor<1x4x1x8xf32>) -> tensor<1x4x2x8xf32> {
    %o = tp.attention %q, %k, %v causal : tensor<1x4x2x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>
    return %o : tensor<1x4x2x8xf32>
  }
}
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: %[[OFFSET:.*]] = llvm.mlir.constant(768 : i64) : i64
// CHECK-NEXT: %[[WORKSPACE:.*]] = llvm.getelementptr %{{.*}}[%[[OFFSET]]]
// CHECK-NEXT: %[[BYTES:.*]] = llvm.mlir.constant(448 : i64) : i64
// CHECK: llvm.call @tprt_attention(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[WORKSPACE]], %[[BYTES]],
// CHECK: @tp_model_manifest({{.*}}\22arena_bytes\22:1216

// -----

// The SwiGLU product silu(a) * b runs as one call; a silu with another user
// keeps its own.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  func.func @forward(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>)
      -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
    %s = tp.silu %a : tensor<4x8xf32>
    %y = tp.mul %s, %b : tensor<4x8xf32>
    %t = tp.silu %b : tensor<4x8xf32>
    %z = tp.mul %b, %t : tensor<4x8xf32>
    return %y, %z, %t : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  }
}
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK-NOT: call @tprt_silu(
// CHECK: llvm.call @tprt_silu_mul(
// CHECK: llvm.call @tprt_silu(
// CHECK: llvm.call @tprt_mul(

// -----

// The backward of silu, in bf16: x, dy and dx in the arena, one element count.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  func.func @forward(%x: tensor<4x8xbf16>, %dy: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
    %dx = tp.silu_grad %x, %dy : tensor<4x8xbf16>
    return %dx : tensor<4x8xbf16>
  }
}
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: %[[BF16:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: %[[X:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}]
// CHECK: %[[DY:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}]
// CHECK: %[[DX:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}]
// CHECK: %[[COUNT:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK: llvm.call @tprt_silu_grad(%{{.*}}, %{{.*}}, %[[BF16]], %[[X]], %[[DY]], %[[DX]], %[[COUNT]]) : (!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64) -> ()

// -----

// A rotary embedding passes its convention, as a tprt_rope_convention (half
// is 1, interleaved, written or left out, 0), then its frequency factors (a
// constant global, or null) and its attention factor (1 when not given);
// rope_grad passes its own.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  func.func @forward(%x: tensor<1x4x2x8xf32>)
      -> (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) {
    %h = tp.rope %x theta 1.0e+04 convention half : tensor<1x4x2x8xf32>
    %i = tp.rope %x theta 5.0e+05 : tensor<1x4x2x8xf32>
    %g = tp.rope_grad %x theta 1.0e+04 convention half freq_factors [1.0, 2.0, 4.0, 8.0] attention_factor 1.25 : tensor<1x4x2x8xf32>
    return %h, %i, %g : tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>
  }
}
// CHECK: llvm.mlir.global internal constant @[[$FACTORS:tp_f64_[0-9]+]](dense<[1.000000e+00, 2.000000e+00, 4.000000e+00, 8.000000e+00]> : tensor<4xf64>) {addr_space = 0 : i32} : !llvm.array<4 x f64>
// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: %[[THETA:.*]] = llvm.mlir.constant(1.000000e+04 : f64) : f64
// CHECK-NEXT: %[[HALF:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1.000000e+00 : f64) : f64
// CHECK-NEXT: llvm.call @tprt_rope(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[THETA]], %[[HALF]], %[[NULL]], %[[ONE]]) : (!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, f64, i32, !llvm.ptr, f64) -> ()
// CHECK: %[[THETA2:.*]] = llvm.mlir.constant(5.000000e+05 : f64) : f64
// CHECK-NEXT: %[[INTERLEAVED:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @tprt_rope(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[THETA2]], %[[INTERLEAVED]], %{{.*}}, %{{.*}})
// CHECK: %[[HALF2:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: %[[ADDRESS:.*]] = llvm.mlir.addressof @[[$FACTORS]] : !llvm.ptr
// CHECK-NEXT: %[[SCALE:.*]] = llvm.mlir.constant(1.250000e+00 : f64) : f64
// CHECK-NEXT: llvm.call @tprt_rope_grad(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[HALF2]], %[[ADDRESS]], %[[SCALE]]) : (!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, f64, i32, !llvm.ptr, f64) -> ()
// CHECK-DAG: llvm.func @tprt_rope(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, f64, i32, !llvm.ptr, f64)
// CHECK-DAG: llvm.func @tprt_rope_grad(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, f64, i32, !llvm.ptr, f64)

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  tp.parameter @"w.weight" : tensor<8xf32>
  func.func @forward() -> tensor<8xf32> {
    %w = tp.get_parameter @"w.weight" layout <@mesh, [R]> : tensor<8xf32>
    // expected-error @+1 {{output #0 is parameter 'w.weight' itself; the outputs of a compiled model must be computed}}
    return %w : tensor<8xf32>
  }
}

// -----

// Sizes are checked before they are added up: a tensor of 2^64 bytes names
// itself instead of wrapping around to a small buffer.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  tp.parameter @"w.weight" : tensor<4294967296x4294967296xf32>
  func.func @forward(%x: tensor<4x4294967296xf32>) -> tensor<4x4294967296xf32> {
    // expected-error @+1 {{parameter 'w.weight': 'tensor<4294967296x4294967296xf32>' holds 2^62 bytes or more on each rank}}
    %w = tp.get_parameter @"w.weight" layout <@mesh, [R]> : tensor<4294967296x4294967296xf32>
    %y = tp.linear "w" %x, %w : tensor<4x4294967296xf32>, tensor<4294967296x4294967296xf32>
    return %y : tensor<4x4294967296xf32>
  }
}

// -----

// Two tensors of 2^61 bytes each fit, but not together.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 1)
  func.func @forward(%x: tensor<576460752303423488xf32>) -> tensor<576460752303423488xf32> {
    // expected-error @+1 {{the tensors of the rank's program add up to 2^62 bytes or more, at tp.relu}}
    %a = tp.relu %x : tensor<576460752303423488xf32>
    return %a : tensor<576460752303423488xf32>
  }
}

// -----

// An async sum is a start and a wait on one request; the next sum started
// while it is pending takes the next request, and request 0 is free again
// once waited for.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  func.func @forward(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [P(sum)]>})
      -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}) {
    %a = tp.relu %x : tensor<4x8xf32>
    %s = tp.all_reduce %a on @mesh ["tp"] async : tensor<4x8xf32>
    %b = tp.silu %x : tensor<4x8xf32>
    %t = tp.all_reduce %b on @mesh ["tp"] async : tensor<4x8xf32>
    %c = tp.relu %b : tensor<4x8xf32>
    %ds = tp.wait %s : tensor<4x8xf32>
    %dt = tp.wait %t : tensor<4x8xf32>
    %e = tp.add %ds, %dt : tensor<4x8xf32>
    %u = tp.all_reduce %c on @mesh ["tp"] async : tensor<4x8xf32>
    %f = tp.relu %e : tensor<4x8xf32>
    %du = tp.wait %u : tensor<4x8xf32>
    %g = tp.add %f, %du : tensor<4x8xf32>
    return %g : tensor<4x8xf32>
  }
}

// CHECK-LABEL: llvm.func @tp_model_forward
// CHECK: llvm.call @tprt_relu(
// CHECK: llvm.mlir.constant(32 : i64) : i64
// CHECK-NEXT: llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[R0:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-NEXT: llvm.call @tprt_all_reduce_start({{.*}}, %[[R0]]) : (!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, i64, i64, i64) -> ()
// CHECK: llvm.call @tprt_silu(
// CHECK: llvm.mlir.constant(32 : i64) : i64
// CHECK-NEXT: llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[R1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.call @tprt_all_reduce_start({{.*}}, %[[R1]])
// CHECK: llvm.call @tprt_relu(
// CHECK-NEXT: llvm.mlir.addressof
// CHECK-NEXT: %[[W0:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-NEXT: llvm.call @tprt_wait(%{{.*}}, %{{.*}}, %[[W0]]) : (!llvm.ptr, !llvm.ptr, i64) -> ()
// CHECK-NEXT: llvm.mlir.addressof
// CHECK-NEXT: %[[W1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.call @tprt_wait(%{{.*}}, %{{.*}}, %[[W1]])
// CHECK: llvm.call @tprt_add(
// CHECK: llvm.mlir.constant(32 : i64) : i64
// CHECK-NEXT: llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[R2:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-NEXT: llvm.call @tprt_all_reduce_start({{.*}}, %[[R2]])
// CHECK: llvm.call @tprt_relu(
// CHECK: llvm.call @tprt_wait(
// CHECK: llvm.call @tprt_add(

// -----

// The calls of each repeated block (`layers.N`, a module path up to its first
// index) are a function of their own, which tp_model_forward calls, so that
// LLVM's work per function does not grow with depth. Ops outside any block
// stay in tp_model_forward; an op naming no layer (the relu, the slice of its
// result) stays with the ops before it, a collective with the layer whose
// value it moves; a block met again later (as a backward pass would be) is
// another part.

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(tp = 2)
  tp.parameter @"layers.0.w.weight" : tensor<8x8xf32>
  tp.parameter @"layers.1.w.weight" : tensor<8x8xf32>
  tp.parameter @"head.weight" : tensor<8x8xf32>
  func.func @forward(%x: tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>})
      -> (tensor<4x8xf32> {tp.layout = #tp.layout<@mesh, [R]>}) {
    %w0 = tp.get_parameter @"layers.0.w.weight" layout <@mesh, [S(1)]> : tensor<8x4xf32>
    %w1 = tp.get_parameter @"layers.1.w.weight" layout <@mesh, [S(1)]> : tensor<8x4xf32>
    %wh = tp.get_parameter @"head.weight" layout <@mesh, [R]> : tensor<8x8xf32>
    %xs = tp.local_slice %x on @mesh ["tp"] dim 1 : tensor<4x8xf32> -> tensor<4x4xf32>
    %a = tp.linear "layers.0.w" %xs, %w0 : tensor<4x4xf32>, tensor<8x4xf32>
    %b = tp.all_reduce %a on @mesh ["tp"] : tensor<4x8xf32>
    %c = tp.relu %b : tensor<4x8xf32>
    %cs = tp.local_slice %c on @mesh ["tp"] dim 1 : tensor<4x8xf32> -> tensor<4x4xf32>
    %d = tp.linear "layers.1.w" %cs, %w1 : tensor<4x4xf32>, tensor<8x4xf32>
    %e = tp.all_reduce %d on @mesh ["tp"] : tensor<4x8xf32>
    %f = tp.linear "head" %e, %wh : tensor<4x8xf32>, tensor<8x8xf32>
    %fs = tp.local_slice %f on @mesh ["tp"] dim 1 : tensor<4x8xf32> -> tensor<4x4xf32>
    %g = tp.linear "layers.1.w" %fs, %w1 : tensor<4x4xf32>, tensor<8x4xf32>
    %h = tp.all_reduce %g on @mesh ["tp"] : tensor<4x8xf32>
    return %h : tensor<4x8xf32>
  }
}
// symbol-prefix renames what the program exports, and its blocks after them
// (tp-compile's unsharded program of --verify).
// PREFIX-LABEL: llvm.func @tp_unsharded_forward(
// PREFIX: llvm.call @tp_unsharded_forward.layers.0(
// PREFIX: llvm.call @tp_unsharded_forward.layers.1(
// PREFIX: llvm.call @tp_unsharded_forward.layers.1.part2(
// PREFIX: llvm.func internal @tp_unsharded_forward.layers.0(
// PREFIX: llvm.mlir.global external constant @tp_unsharded_manifest(
// CHECK-LABEL: llvm.func @tp_model_forward(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr, %[[PARAMS:.*]]: !llvm.ptr)
// CHECK: llvm.call @tprt_local_slice(
// CHECK-NEXT: llvm.call @tp_model_forward.layers.0(%[[CTX]], %[[ARENA]], %[[PARAMS]])
// CHECK-NEXT: llvm.call @tp_model_forward.layers.1(%[[CTX]], %[[ARENA]], %[[PARAMS]])
// CHECK-NOT: llvm.call @tp_model_forward
// CHECK: llvm.call @tprt_linear(
// CHECK-NOT: llvm.call @tp_model_forward
// CHECK: llvm.call @tprt_local_slice(
// CHECK-NEXT: llvm.call @tp_model_forward.layers.1.part2(%[[CTX]], %[[ARENA]], %[[PARAMS]])
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func internal @tp_model_forward.layers.0(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_linear(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_all_reduce(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_relu(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_local_slice(
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func internal @tp_model_forward.layers.1(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_linear(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_all_reduce(
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func internal @tp_model_forward.layers.1.part2(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_linear(
// CHECK-NOT: llvm.call
// CHECK: llvm.call @tprt_all_reduce(
// CHECK-NEXT: llvm.return
