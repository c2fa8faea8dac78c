// tp-weights init --max-shard-size writes a checkpoint as Hugging Face's
// save_pretrained does: tensors in order, a new file when the next would
// take the current one past the size, a tensor larger than the size in a
// file of its own (placed before the file still being filled), files named
// model-0000i-of-0000N.safetensors, headers padded with spaces to a
// multiple of 8 bytes, and model.safetensors.index.json with the total size
// of the tensors and the weight map sorted. ls and check read it through
// the index or its directory; a bf16 checkpoint converts to the f32 model
// on load, and check says so; shard files may lie in a directory below
// the index. Weights that fit are one model.safetensors,
// and a checkpoint written there before is removed.
// RUN: rm -rf %t && mkdir %t
// RUN: tp-weights init %s --seed 2 -o %t/ckpt --max-shard-size 20KB | FileCheck %s --check-prefix=WROTE -DDIR=%t/ckpt
// RUN: FileCheck %s --input-file=%t/ckpt/model.safetensors.index.json --check-prefix=INDEX --match-full-lines --strict-whitespace
// RUN: for f in %t/ckpt/*.safetensors; do test $(( $(od -An -tu8 -N8 $f) % 8 )) -eq 0; done
// RUN: tp-weights ls %t/ckpt | FileCheck %s --check-prefix=LS
// RUN: tp-weights ls %t/ckpt/model.safetensors.index.json | FileCheck %s --check-prefix=LS
// RUN: tp-weights check %s %t/ckpt | FileCheck %s --check-prefix=OK
// RUN: cp -r %t/ckpt %t/nested && mkdir %t/nested/shards && mv %t/nested/model-0* %t/nested/shards
// RUN: sed -i 's|"model-0|"shards/model-0|' %t/nested/model.safetensors.index.json
// RUN: tp-weights ls %t/nested | FileCheck %s --check-prefix=NESTED
// RUN: sed 's/xf32>/xbf16>/' %s > %t/bf16.mlir
// RUN: tp-weights init %t/bf16.mlir -o %t/bf16 --max-shard-size 10KiB
// RUN: tp-weights check %s %t/bf16/model.safetensors.index.json | FileCheck %s --check-prefix=CONVERT
// RUN: tp-weights init %s --seed 2 -o %t/ckpt --max-shard-size 1MB | FileCheck %s --check-prefix=ONE -DDIR=%t/ckpt
// RUN: ls %t/ckpt | FileCheck %s --check-prefix=FILES --implicit-check-not=model- --implicit-check-not=index
// RUN: tp-weights init %s --seed 2 -o %t/w.safetensors
// RUN: cmp %t/w.safetensors %t/ckpt/model.safetensors
// RUN: not tp-weights init %s -o %t/x.safetensors --max-shard-size 1MB 2>&1 | FileCheck %s --check-prefix=NOT-DIR
// RUN: not tp-weights init %s -o %t/x --max-shard-size 100 2>&1 | FileCheck %s --check-prefix=NO-UNIT

// WROTE: wrote [[DIR]]/model-00001-of-00003.safetensors
// WROTE-NEXT: wrote [[DIR]]/model-00002-of-00003.safetensors
// WROTE-NEXT: wrote [[DIR]]/model-00003-of-00003.safetensors
// WROTE-NEXT: wrote [[DIR]]/model.safetensors.index.json

//      INDEX:{
// INDEX-NEXT:  "metadata": {
// INDEX-NEXT:    "total_size": 65792
// INDEX-NEXT:  },
// INDEX-NEXT:  "weight_map": {
// INDEX-NEXT:    "a.weight": "model-00001-of-00003.safetensors",
// INDEX-NEXT:    "b.weight": "model-00001-of-00003.safetensors",
// INDEX-NEXT:    "big.weight": "model-00002-of-00003.safetensors",
// INDEX-NEXT:    "c.weight": "model-00003-of-00003.safetensors",
// INDEX-NEXT:    "d.weight": "model-00003-of-00003.safetensors"
// INDEX-NEXT:  }
// INDEX-NEXT:}

// LS:      a.weight F32 [32, 64] 8192 bytes model-00001-of-00003.safetensors
// LS-NEXT: b.weight F32 [32, 64] 8192 bytes model-00001-of-00003.safetensors
// LS-NEXT: big.weight F32 [128, 64] 32768 bytes model-00002-of-00003.safetensors
// LS-NEXT: c.weight F32 [64, 64] 16384 bytes model-00003-of-00003.safetensors
// LS-NEXT: d.weight F32 [64] 256 bytes model-00003-of-00003.safetensors
// LS-NEXT: 5 tensors, 65792 bytes in 3 files
// LS-NEXT: metadata total_size: 65792

// NESTED: a.weight F32 [32, 64] 8192 bytes shards/model-00001-of-00003.safetensors

// OK:      a.weight F32 [32, 64] model-00001-of-00003.safetensors
// OK:      d.weight F32 [64] model-00003-of-00003.safetensors
// OK-NEXT: ok: the checkpoint in 3 files holds every parameter of the model; converted on load: none; ignored: 0; unused: 0

// CONVERT:      a.weight BF16 -> F32 on load [32, 64] model-00001-of-00003.safetensors
// CONVERT:      big.weight BF16 -> F32 on load [128, 64] model-00002-of-00003.safetensors
// CONVERT:      ok: the checkpoint in 3 files holds every parameter of the model; converted on load: 5 BF16 -> F32; ignored: 0; unused: 0

// ONE: wrote [[DIR]]/model.safetensors
// ONE-NOT: wrote
// FILES: model.safetensors

// NOT-DIR: tp-weights: error: with --max-shard-size, -o names the directory to write the checkpoint's files into, not '{{.*}}x.safetensors'
// NO-UNIT: tp-weights: error: --max-shard-size: '100' is not a size such as 100MB, 5GB or 500MiB (KB, MB, GB, TB count powers of 1000, KiB, MiB, GiB, TiB powers of 1024)

tp.mesh @mesh(tp = 1)
tp.parameter @"a.weight" : tensor<32x64xf32>
tp.parameter @"b.weight" : tensor<32x64xf32>
tp.parameter @"c.weight" : tensor<64x64xf32>
tp.parameter @"big.weight" : tensor<128x64xf32>
tp.parameter @"d.weight" : tensor<64xf32>
