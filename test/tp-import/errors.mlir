// Configs tp-import cannot import, or a request it cannot meet: an error
// naming the config key and its value, and a non-zero exit.

// RUN: not tp-import %S/Inputs/mistral-defaults.config.json -o %t.mlir --seq 17 2>&1 | FileCheck %s --check-prefix=WINDOW
// WINDOW: tp-import: error: {{.*}}mistral-defaults.config.json: 'sliding_window' is 16: --seq 17 exceeds it; sliding-window attention is not implemented, give --seq at most the window

// RUN: not tp-import %S/Inputs/llama-tiny.config.json -o %t.mlir --layers 4 2>&1 | FileCheck %s --check-prefix=LAYERS
// LAYERS: 'num_hidden_layers' is 3: --layers 4 asks for more

// RUN: sed 's/LlamaForCausalLM/GPT2LMHeadModel/' %S/Inputs/llama-tiny.config.json > %t.gpt2.json
// RUN: not tp-import %t.gpt2.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: 'architectures' is ["GPT2LMHeadModel"]: tp-import imports LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Phi3ForCausalLM

// RUN: grep -v intermediate_size %S/Inputs/llama-tiny.config.json > %t.missing.json
// RUN: not tp-import %t.missing.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: 'intermediate_size' is missing and has no default

// RUN: sed 's/"llama3"/"yarn"/' %S/Inputs/llama-tiny.config.json > %t.yarn.json
// RUN: not tp-import %t.yarn.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=YARN
// YARN: 'rope_scaling' is {{.*}}: rope_type 'yarn' is not supported (tp-import implements default, linear, llama3 and longrope)

// RUN: sed 's/"num_key_value_heads": 2/"num_key_value_heads": 3/' %S/Inputs/llama-tiny.config.json > %t.kv.json
// RUN: not tp-import %t.kv.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=KV
// KV: 'num_key_value_heads' is 3: it does not divide num_attention_heads 4

// RUN: sed 's/"hidden_size": 32/"hidden_size": "32"/' %S/Inputs/llama-tiny.config.json > %t.string.json
// RUN: not tp-import %t.string.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=STRING
// STRING: 'hidden_size' is "32"; expected a positive integer

// RUN: sed 's/"rms_norm_eps": 1e-05,/"hidden_act": "gelu",/' %S/Inputs/llama-tiny.config.json > %t.gelu.json
// RUN: not tp-import %t.gelu.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: 'hidden_act' is "gelu": tp-import implements silu

// RUN: not tp-import %S/Inputs/llama-tiny.config.json -o %t.mlir --dtype f64 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: tp-import: error: --dtype is 'f64'; give f32, bf16 or f16

// RUN: echo '{"architectures": [' > %t.bad.json
// RUN: not tp-import %t.bad.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=JSON
// JSON: tp-import: error: '{{.*}}bad.json' is not JSON:

// RUN: not tp-import %S/Inputs/none.json -o %t.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: tp-import: error: cannot read '{{.*}}none.json': No such file or directory

// Qwen2 windows only layers from max_window_layers (default 28) on: one
// layer past a window of 4 imports; with max_window_layers 0 it is refused.
// RUN: sed 's/"sliding_window": 32768/"sliding_window": 4/; s/"use_sliding_window": false/"use_sliding_window": true/' %S/Inputs/qwen2-tiny.config.json > %t.qwen-window.json
// RUN: tp-import %t.qwen-window.json -o %t.mlir --seq 8
// RUN: sed 's/"rope_scaling": null/"max_window_layers": 0/' %t.qwen-window.json > %t.qwen-window0.json
// RUN: not tp-import %t.qwen-window0.json -o %t.mlir --seq 8 2>&1 | FileCheck %s --check-prefix=QWEN-WINDOW
// QWEN-WINDOW: 'sliding_window' is 4: --seq 8 exceeds it
