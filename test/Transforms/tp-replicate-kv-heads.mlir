// tp-replicate-kv-heads: where key/value heads are fewer than the ranks,
// the column-wise k and v projections read their weights (and biases) with
// each head repeated, so attention shards on heads with no collective.

// 4 query heads, 2 key/value heads (head_dim 8) on tp = 4: each head twice.
// RUN: tp-import %S/../tp-import/Inputs/qwen2-tiny.config.json -o %t.mlir --seq 4 --plan-out %t.plan.json
// RUN: tp-opt %t.mlir --tp-apply-plan="mesh=tp:4 plan=%t.plan.json" --tp-replicate-kv-heads | FileCheck %s
// RUN: tp-opt %t.mlir --tp-parallelize="mesh=tp:4 plan=%t.plan.json report=true" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: tp-opt %t.mlir --tp-parallelize="mesh=tp:4 plan=%t.plan.json" | FileCheck %s --check-prefix=RANK --implicit-check-not=tp.local_slice

// CHECK: %[[WQ:.*]] = tp.get_parameter @model.layers.0.self_attn.q_proj.weight : tensor<32x32xf32>
// CHECK: %[[WK:.*]] = tp.get_parameter @model.layers.0.self_attn.k_proj.weight repeat [8, 2] : tensor<32x32xf32>
// CHECK: %[[BK:.*]] = tp.get_parameter @model.layers.0.self_attn.k_proj.bias repeat [8, 2] : tensor<32xf32>
// CHECK: %[[K:.*]] = tp.linear "model.layers.0.self_attn.k_proj" %{{.*}}, %[[WK]], %[[BK]] {{.*}}: tensor<1x4x32xf32>, tensor<32x32xf32>, tensor<32xf32>
// CHECK: %[[WV:.*]] = tp.get_parameter @model.layers.0.self_attn.v_proj.weight repeat [8, 2] : tensor<32x32xf32>
// CHECK: tp.reshape %[[K]] {{.*}}: tensor<1x4x32xf32> -> tensor<1x4x4x8xf32>
// CHECK: tp.attention {{.*}} : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>
// CHECK-NOT: tp.get_parameter @model.layers.0.self_attn.k_proj.weight :

// REPORT: replicated key/value heads (fewer than ranks): 4 weights
// REPORT-NEXT: model.layers.0.self_attn.k_proj.weight: each key/value head (8 rows) held by 2 ranks
// REPORT-NEXT: model.layers.0.self_attn.k_proj.bias: each key/value head (8 rows) held by 2 ranks

// Each rank reads one head's rows of k and v and computes one query head;
// the only gather is the logits'.
// RANK-NOT: tp.all_gather
// RANK: tp.get_parameter @model.layers.0.self_attn.k_proj.weight repeat [8, 2] layout <@mesh, [S(0)]> {{.*}}: tensor<8x32xf32>
// RANK-NOT: tp.all_gather
// RANK: tp.attention {{.*}} : tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>
// RANK-NOT: tp.all_gather
// RANK: tp.all_gather {{.*}} after layer 'lm_head'


// With as many key/value heads as ranks, or a mesh the query heads do not
// divide, nothing changes.
// RUN: tp-opt %t.mlir --tp-apply-plan="mesh=tp:2 plan=%t.plan.json" --tp-replicate-kv-heads | FileCheck %s --check-prefix=NONE
// RUN: tp-opt %t.mlir --tp-apply-plan="mesh=tp:8 plan=%t.plan.json" --tp-replicate-kv-heads | FileCheck %s --check-prefix=NONE
// NONE-NOT: repeat

// Key/value projections that are not column-wise stay as they are.
// RUN: echo '{"plan": {"model.layers.*.self_attn.q_proj": "colwise", "model.layers.*.self_attn.o_proj": "rowwise"}}' > %t.q-only.json
// RUN: tp-opt %t.mlir --tp-apply-plan="mesh=tp:4 plan=%t.q-only.json" --tp-replicate-kv-heads | FileCheck %s --check-prefix=NONE
