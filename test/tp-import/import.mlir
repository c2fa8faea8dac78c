// tp-import writes a Hugging Face config's model with Hugging Face's names:
// tied embeddings, llama3 rope scaling and GQA (Llama), q/k/v biases (Qwen2),
// fused weights read part by part with longrope (Phi-3), defaults for
// missing keys (Mistral), and the plan.

// RUN: tp-import %S/Inputs/llama-tiny.config.json -o %t.llama.mlir --layers 2 --batch 2 --seq 8 --plan-out %t.llama.plan.json
// RUN: FileCheck %s --check-prefix=LLAMA < %t.llama.mlir
// RUN: FileCheck %s --check-prefix=PLAN < %t.llama.plan.json
// RUN: tp-opt %t.llama.mlir --tp-parallelize="mesh=tp:2 plan=%t.llama.plan.json" > /dev/null

// LLAMA: // LlamaForCausalLM imported by tp-import from llama-tiny.config.json: 2 of 3 layers, batch 2, seq 8, f32.
// LLAMA-NEXT: // hidden 32, heads 4 (kv 2, head_dim 8), intermediate 48, vocab 64, tied output.
// LLAMA: tp.parameter @model.embed_tokens.weight : tensor<64x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.input_layernorm.weight : tensor<32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.self_attn.q_proj.weight : tensor<32x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.self_attn.k_proj.weight : tensor<16x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.self_attn.v_proj.weight : tensor<16x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.self_attn.o_proj.weight : tensor<32x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.post_attention_layernorm.weight : tensor<32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.mlp.gate_proj.weight : tensor<48x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.mlp.up_proj.weight : tensor<48x32xf32>
// LLAMA-NEXT: tp.parameter @model.layers.0.mlp.down_proj.weight : tensor<32x48xf32>
// LLAMA: tp.parameter @model.layers.1.mlp.down_proj.weight
// LLAMA-NEXT: tp.parameter @model.norm.weight : tensor<32xf32>
// LLAMA-NOT: tp.parameter
// LLAMA: func.func @forward(%[[TOKENS:.*]]: tensor<2x8xi64>) -> tensor<2x8x64xf32>
// LLAMA: %[[TABLE:.*]] = tp.get_parameter @model.embed_tokens.weight
// LLAMA: tp.embedding "model.embed_tokens" %[[TOKENS]], %[[TABLE]]
// LLAMA: tp.rms_norm "model.layers.0.input_layernorm" {{.*}} eps 1.000000e-05
// LLAMA: tp.rope {{.*}} theta 5.000000e+05 convention {{ *}}half freq_factors [1.000000e+00, 1.000000e+00, 3.2922621029408843, 3.200000e+01] : tensor<2x8x4x8xf32>
// LLAMA: tp.rope {{.*}} : tensor<2x8x2x8xf32>
// LLAMA: tp.attention {{.*}} causal : tensor<2x8x4x8xf32>, tensor<2x8x2x8xf32>, tensor<2x8x2x8xf32>
// LLAMA: %[[SILU:.*]] = tp.silu
// LLAMA: tp.mul %[[SILU]]
// The tied output layer reads the embedding's table.
// LLAMA: tp.linear "lm_head" %{{.*}}, %[[TABLE]] : tensor<2x8x32xf32>, tensor<64x32xf32>

// PLAN: "plan": {
// PLAN-NEXT: "lm_head": "colwise_rep",
// PLAN-NEXT: "model.embed_tokens": "rowwise",
// PLAN-NEXT: "model.layers.*.mlp.down_proj": "rowwise",
// PLAN-NEXT: "model.layers.*.mlp.gate_proj": "colwise",
// PLAN-NEXT: "model.layers.*.mlp.up_proj": "colwise",
// PLAN-NEXT: "model.layers.*.self_attn.k_proj": "colwise",
// PLAN-NEXT: "model.layers.*.self_attn.o_proj": "rowwise",
// PLAN-NEXT: "model.layers.*.self_attn.q_proj": "colwise",
// PLAN-NEXT: "model.layers.*.self_attn.v_proj": "colwise"

// RUN: tp-import %S/Inputs/qwen2-tiny.config.json -o - --seq 4 --dtype bf16 | FileCheck %s --check-prefix=QWEN
// QWEN: // Qwen2ForCausalLM imported by tp-import from qwen2-tiny.config.json: 1 of 1 layers, batch 1, seq 4, bf16.
// QWEN: tp.parameter @model.layers.0.self_attn.q_proj.weight : tensor<32x32xbf16>
// QWEN-NEXT: tp.parameter @model.layers.0.self_attn.q_proj.bias : tensor<32xbf16>
// QWEN-NEXT: tp.parameter @model.layers.0.self_attn.k_proj.weight : tensor<16x32xbf16>
// QWEN-NEXT: tp.parameter @model.layers.0.self_attn.k_proj.bias : tensor<16xbf16>
// QWEN-NEXT: tp.parameter @model.layers.0.self_attn.v_proj.weight : tensor<16x32xbf16>
// QWEN-NEXT: tp.parameter @model.layers.0.self_attn.v_proj.bias : tensor<16xbf16>
// QWEN-NEXT: tp.parameter @model.layers.0.self_attn.o_proj.weight : tensor<32x32xbf16>
// QWEN: tp.parameter @lm_head.weight : tensor<64x32xbf16>
// QWEN: tp.rms_norm {{.*}} eps 9.9999999999999995E-7
// QWEN: tp.rope {{.*}} theta 1.000000e+06 convention {{ *}}half : tensor<1x4x4x8xbf16>

// RUN: tp-import %S/Inputs/phi3-tiny.config.json -o %t.phi3.mlir --seq 4 --plan-out %t.phi3.plan.json
// RUN: FileCheck %s --check-prefix=PHI3 < %t.phi3.mlir
// RUN: tp-opt %t.phi3.mlir --tp-parallelize="mesh=tp:2 plan=%t.phi3.plan.json" | FileCheck %s --check-prefix=PHI3-TP2
// PHI3: tp.parameter @model.layers.0.self_attn.qkv_proj.weight : tensor<96x32xf32>
// PHI3: tp.parameter @model.layers.0.mlp.gate_up_proj.weight : tensor<96x32xf32>
// PHI3: tp.get_parameter @model.layers.0.self_attn.qkv_proj.weight rows [0, 32] : tensor<32x32xf32>
// PHI3: tp.get_parameter @model.layers.0.self_attn.qkv_proj.weight rows [32, 64] : tensor<32x32xf32>
// PHI3: tp.get_parameter @model.layers.0.self_attn.qkv_proj.weight rows [64, 96] : tensor<32x32xf32>
// Short factors: 4 tokens are within original_max_position_embeddings; the
// attention factor is sqrt(1 + ln(131072 / 4096) / ln(4096)).
// PHI3: tp.rope {{.*}} freq_factors [1.000000e+00, 1.250000e+00, 1.500000e+00, 2.000000e+00] attention_factor 1.1902380714238083
// PHI3: tp.get_parameter @model.layers.0.mlp.gate_up_proj.weight rows [0, 48] : tensor<48x32xf32>
// PHI3: tp.get_parameter @model.layers.0.mlp.gate_up_proj.weight rows [48, 96] : tensor<48x32xf32>
// Each rank reads its share of q, of k and of v, and no collective joins
// them: one all-reduce after o_proj, one after down_proj, one for the
// logits' gather.
// PHI3-TP2: tp.get_parameter @model.layers.0.self_attn.qkv_proj.weight rows [0, 32] layout <@mesh, [S(0)]> {{.*}}: tensor<16x32xf32>
// PHI3-TP2: tp.get_parameter @model.layers.0.self_attn.qkv_proj.weight rows [32, 64] layout <@mesh, [S(0)]> {{.*}}: tensor<16x32xf32>
// PHI3-TP2: tp.get_parameter @model.layers.0.self_attn.qkv_proj.weight rows [64, 96] layout <@mesh, [S(0)]> {{.*}}: tensor<16x32xf32>
// PHI3-TP2-NOT: tp.all_gather {{.*}} tensor<1x4x16xf32>
// PHI3-TP2: tp.get_parameter @model.layers.0.mlp.gate_up_proj.weight rows [0, 48] layout <@mesh, [S(0)]> {{.*}}: tensor<24x32xf32>
// PHI3-TP2: tp.get_parameter @model.layers.0.mlp.gate_up_proj.weight rows [48, 96] layout <@mesh, [S(0)]> {{.*}}: tensor<24x32xf32>

// Long factors past original_max_position_embeddings.
// RUN: tp-import %S/Inputs/phi3-tiny.config.json -o - --seq 4097 | FileCheck %s --check-prefix=LONG
// LONG: freq_factors [1.500000e+00, 3.000000e+00, 9.000000e+00, 2.700000e+01]

// Mistral's defaults: 8 kv heads (MistralConfig's; null would mean as many
// as query heads), theta 10000, eps 1e-6, untied; a sequence within its
// sliding window.
// RUN: tp-import %S/Inputs/mistral-defaults.config.json -o - --seq 16 | FileCheck %s --check-prefix=MISTRAL
// MISTRAL: // MistralForCausalLM imported by tp-import from mistral-defaults.config.json: 1 of 1 layers, batch 1, seq 16, f32.
// MISTRAL-NEXT: // hidden 64, heads 16 (kv 8, head_dim 4), intermediate 48, vocab 64.
// MISTRAL: tp.parameter @lm_head.weight
// MISTRAL: eps 9.9999999999999995E-7
// MISTRAL: tp.rope {{.*}} theta 1.000000e+04 convention {{ *}}half : tensor<1x16x16x4xf32>
// RUN: sed 's/"vocab_size"/"num_key_value_heads": null, "vocab_size"/' %S/Inputs/mistral-defaults.config.json > %t.null-kv.json
// RUN: tp-import %t.null-kv.json -o - --seq 16 | FileCheck %s --check-prefix=NULL-KV
// NULL-KV: // hidden 64, heads 16 (kv 16, head_dim 4)
