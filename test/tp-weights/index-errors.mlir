// A checkpoint of shard files whose index is out of step with its shards,
// or malformed, is an error naming the file and the tensor, as is a shard
// whose tensor does not fit the model (the message of a single file, naming
// the shard), and a directory without a checkpoint Hugging Face would load.
// RUN: rm -rf %t && mkdir %t
// RUN: tp-weights init %S/sharded.mlir -o %t/good --max-shard-size 20KB
// RUN: cp -r %t/good %t/gone && rm %t/gone/model-00002-of-00003.safetensors
// RUN: not tp-weights ls %t/gone 2>&1 | FileCheck %s --check-prefix=GONE -DDIR=%t/gone
// RUN: cp -r %t/good %t/lacks && sed -i 's/"d.weight": "model-00003/"d.weight": "model-00001/' %t/lacks/model.safetensors.index.json
// RUN: not tp-weights ls %t/lacks 2>&1 | FileCheck %s --check-prefix=LACKS -DDIR=%t/lacks
// RUN: cp -r %t/good %t/elsewhere && sed -i 's/"b.weight": "model-00001/"b.weight": "model-00003/' %t/elsewhere/model.safetensors.index.json
// RUN: not tp-weights check %S/sharded.mlir %t/elsewhere 2>&1 | FileCheck %s --check-prefix=ELSEWHERE -DDIR=%t/elsewhere
// RUN: cp -r %t/good %t/unmapped && sed -i '/"c.weight"/d' %t/unmapped/model.safetensors.index.json
// RUN: not tp-weights ls %t/unmapped/model.safetensors.index.json 2>&1 | FileCheck %s --check-prefix=UNMAPPED -DDIR=%t/unmapped
// RUN: cp -r %t/good %t/twice && sed -i 's/"b.weight"/"a.weight"/' %t/twice/model.safetensors.index.json
// RUN: not tp-weights ls %t/twice 2>&1 | FileCheck %s --check-prefix=TWICE -DDIR=%t/twice
// RUN: cp -r %t/good %t/no-map && sed -i 's/weight_map/weights/' %t/no-map/model.safetensors.index.json
// RUN: not tp-weights ls %t/no-map 2>&1 | FileCheck %s --check-prefix=NO-MAP -DDIR=%t/no-map
// RUN: cp -r %t/good %t/cut && head -c 100 %t/good/model.safetensors.index.json > %t/cut/model.safetensors.index.json
// RUN: not tp-weights ls %t/cut 2>&1 | FileCheck %s --check-prefix=CUT -DDIR=%t/cut
// RUN: sed 's/tensor<64x64xf32>/tensor<32x128xf32>/' %S/sharded.mlir > %t/shape.mlir
// RUN: tp-weights init %t/shape.mlir -o %t/shape --max-shard-size 20KB
// RUN: not tp-weights check %S/sharded.mlir %t/shape 2>&1 | FileCheck %s --check-prefix=SHAPE -DDIR=%t/shape
// RUN: mkdir %t/empty && touch %t/empty/consolidated.safetensors %t/empty/config.json
// RUN: not tp-weights ls %t/empty 2>&1 | FileCheck %s --check-prefix=EMPTY -DDIR=%t/empty

// GONE: tp-weights: error: [[DIR]]/model-00002-of-00003.safetensors: cannot open: No such file or directory (the index [[DIR]]/model.safetensors.index.json maps 1 tensor to it, 'big.weight' first)
// LACKS: tp-weights: error: [[DIR]]/model-00001-of-00003.safetensors: no tensor named 'd.weight', which the index [[DIR]]/model.safetensors.index.json maps to this file
// ELSEWHERE: tp-weights: error: [[DIR]]/model-00001-of-00003.safetensors: tensor 'b.weight' is mapped by the index [[DIR]]/model.safetensors.index.json to [[DIR]]/model-00003-of-00003.safetensors, not to this file
// UNMAPPED: tp-weights: error: [[DIR]]/model-00003-of-00003.safetensors: tensor 'c.weight' is not in the weight_map of the index [[DIR]]/model.safetensors.index.json
// TWICE: tp-weights: error: [[DIR]]/model.safetensors.index.json: malformed index: key 'a.weight' appears twice in 'weight_map'
// NO-MAP: tp-weights: error: [[DIR]]/model.safetensors.index.json: malformed index: no "weight_map" object mapping each tensor to its file
// CUT: tp-weights: error: [[DIR]]/model.safetensors.index.json: malformed index: parse error at line
// SHAPE: tp-weights: error: [[DIR]]/model-00003-of-00003.safetensors: tensor 'c.weight' has shape [32, 128] but the model expects [64, 64]
// EMPTY: tp-weights: error: [[DIR]]: the directory holds neither model.safetensors nor model.safetensors.index.json (it holds config.json, consolidated.safetensors: name the checkpoint's file)
