// The seed's plan dict for its FeedForward, as PyTorch writes it (bare: the
// mesh comes from --mesh), compiles to the same program as the canonical
// plan: w1 and w3 column-wise, w2 row-wise, one all-reduce.
// RUN: tp-compile %examples/feedforward/model.mlir --mesh tp:2 \
// RUN:   --plan %S/Inputs/seed-plan.json --emit=tp -o %t.seed
// RUN: tp-compile %examples/feedforward/model.mlir --mesh tp:2 \
// RUN:   --plan %examples/feedforward/plan.json --emit=tp -o %t.canonical
// RUN: diff %t.canonical %t.seed
// RUN: FileCheck %s --implicit-check-not=tp.all_gather < %t.seed

// CHECK-LABEL: func.func @forward
// CHECK: tp.linear "w1"
// CHECK-NOT: tp.all_reduce
// CHECK: tp.linear "w2"
// CHECK-NEXT: tp.all_reduce
// CHECK-NOT: tp.all_reduce
