// RUN: tp-opt %s -split-input-file -verify-diagnostics

// Every verifier rule, result type inference error and custom-syntax error
// of the tp dialect, one case each. Checks that need the mesh (collectives,
// layouts) or a parameter are made from verifySymbolUses, so those cases
// declare the symbols at the top of their module.

//===----------------------------------------------------------------------===//
// tp.mesh
//===----------------------------------------------------------------------===//

// expected-error @+1 {{mesh 'm' must have at least one axis}}
tp.mesh @m()

// -----

// Only the generic form can give names and sizes of different lengths.
// expected-error @+1 {{the number of axis names (2) and of axis sizes (1) differ}}
"tp.mesh"() <{axis_names = ["dp", "tp"], axis_sizes = array<i64: 2>, sym_name = "mesh_names_sizes_mismatch"}> : () -> ()

// -----

// expected-error @+1 {{mesh 'm' has an axis with an empty name}}
tp.mesh @m("" = 2)

// -----

// expected-error @+1 {{mesh 'm' names axis 'tp' twice}}
tp.mesh @m(tp = 2, tp = 4)

// -----

// expected-error @+1 {{mesh 'm' axis 'tp' has size 0; axis sizes must be at least 1}}
tp.mesh @m(dp = 2, tp = 0)

// -----

// expected-error @+1 {{mesh 'm' axis 'dp' has size -2; axis sizes must be at least 1}}
tp.mesh @m(dp = -2)

//===----------------------------------------------------------------------===//
// tp.parameter and tp.get_parameter
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'tp.parameter' op attribute 'type' failed to satisfy constraint: type attribute of statically shaped tensor of floating-point values}}
tp.parameter @integer_parameter : tensor<4xi32>

// -----

// expected-error @+1 {{'tp.parameter' op attribute 'type' failed to satisfy constraint: type attribute of statically shaped tensor of floating-point values}}
tp.parameter @dynamic_parameter : tensor<?x4xf32>

// -----

func.func @get_parameter_undeclared() -> tensor<4xf32> {
  // expected-error @+1 {{'w.weight' does not name a tp.parameter}}
  %0 = tp.get_parameter @"w.weight" : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

tp.mesh @mesh(tp = 2)

func.func @get_parameter_of_a_mesh() -> tensor<4xf32> {
  // expected-error @+1 {{'mesh' does not name a tp.parameter}}
  %0 = tp.get_parameter @mesh : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

tp.parameter @"w.weight" : tensor<8x4xf32>

func.func @get_parameter_type_mismatch() -> tensor<4x8xf32> {
  // expected-error @+1 {{parameter 'w.weight' is declared 'tensor<8x4xf32>' but read as 'tensor<4x8xf32>'}}
  %0 = tp.get_parameter @"w.weight" : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// ODS type constraints
//===----------------------------------------------------------------------===//

// -----

func.func @linear_dynamic_input(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tp.linear' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<?x64xf32>'}}
  %0 = tp.linear "l" %x, %w : tensor<?x64xf32>, tensor<32x64xf32>
  return
}

// -----

func.func @linear_integer_input(%x: tensor<8x64xi32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tp.linear' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<8x64xi32>'}}
  %0 = tp.linear "l" %x, %w : tensor<8x64xi32>, tensor<32x64xf32>
  return
}

// -----

func.func @add_dynamic_operands(%a: tensor<?xf32>) {
  // expected-error @+1 {{'tp.add' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<?xf32>'}}
  %0 = tp.add %a, %a : tensor<?xf32>
  return
}

// -----

func.func @embedding_float_ids(%ids: tensor<8xf32>, %t: tensor<16x4xf32>) {
  // expected-error @+1 {{'tp.embedding' op operand #0 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = tp.embedding "e" %ids, %t : tensor<8xf32>, tensor<16x4xf32>
  return
}

// -----

func.func @cross_entropy_float_labels(%logits: tensor<8x16xf32>, %labels: tensor<8xf32>) {
  // expected-error @+1 {{'tp.cross_entropy' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = tp.cross_entropy %logits, %labels : tensor<8x16xf32>, tensor<8xf32>
  return
}

// -----

func.func @get_parameter_integer_result() {
  // expected-error @+1 {{'tp.get_parameter' op result #0 must be statically shaped tensor of floating-point values, but got 'tensor<4xi64>'}}
  %0 = tp.get_parameter @p : tensor<4xi64>
  return
}

// -----

func.func @add_generic_operand_types_differ(%a: tensor<4xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'tp.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "tp.add"(%a, %b) : (tensor<4xf32>, tensor<8xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @all_reduce_generic_result_type_differs(%a: tensor<4xf32>) {
  // expected-error @+1 {{'tp.all_reduce' op failed to verify that all of {input, result} have same type}}
  %0 = "tp.all_reduce"(%a) <{axes = ["tp"], mesh = @mesh}> : (tensor<4xf32>) -> tensor<2xf32>
  return
}

// -----

// An op whose result type is inferred rejects a different one (generic form).
func.func @matmul_generic_wrong_result_type(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) {
  // expected-error @+2 {{'tp.matmul' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{'tp.matmul' op failed to infer returned types}}
  %0 = "tp.matmul"(%a, %b) : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// tp.linear
//===----------------------------------------------------------------------===//

// -----

func.func @linear_empty_layer_name(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'tp.linear' op needs a layer name (its PyTorch module path)}}
  %0 = tp.linear "" %x, %w : tensor<8x64xf32>, tensor<32x64xf32>
  return
}

// -----

func.func @linear_weight_rank_1(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{layer 'l': weight must be [out_features, in_features], got rank 1}}
  %0 = tp.linear "l" %x, %w : tensor<8x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @linear_weight_rank_3(%x: tensor<8x64xf32>, %w: tensor<2x32x64xf32>) {
  // expected-error @+1 {{layer 'l': weight must be [out_features, in_features], got rank 3}}
  %0 = tp.linear "l" %x, %w : tensor<8x64xf32>, tensor<2x32x64xf32>
  return
}

// -----

func.func @linear_rank_0_input(%x: tensor<f32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{layer 'l': input must have rank 1 or more}}
  %0 = tp.linear "l" %x, %w : tensor<f32>, tensor<32x64xf32>
  return
}

// -----

tp.parameter @"w2.weight" : tensor<8192x4096xf32>

func.func @linear_in_features_mismatch(%x: tensor<8x8192xf32>) {
  %w = tp.get_parameter @"w2.weight" : tensor<8192x4096xf32>
  // expected-error @+1 {{layer 'w2': input has 8192 features but weight 'w2.weight' expects 4096}}
  %0 = tp.linear "w2" %x, %w : tensor<8x8192xf32>, tensor<8192x4096xf32>
  return
}

// -----

func.func @linear_in_features_mismatch_weight_argument(%x: tensor<8x64xf32>, %w: tensor<32x16xf32>) {
  // expected-error @+1 {{layer 'l': input has 64 features but the weight expects 16}}
  %0 = tp.linear "l" %x, %w : tensor<8x64xf32>, tensor<32x16xf32>
  return
}

// -----

func.func @linear_weight_element_type_mismatch(%x: tensor<8x64xf32>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{layer 'l': the weight has element type 'f16' but the input has 'f32'}}
  %0 = tp.linear "l" %x, %w : tensor<8x64xf32>, tensor<32x64xf16>
  return
}

// -----

tp.parameter @"proj.bias" : tensor<16xf32>

func.func @linear_bias_size_mismatch(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  %b = tp.get_parameter @"proj.bias" : tensor<16xf32>
  // expected-error @+1 {{layer 'proj': bias 'proj.bias' has shape 16 but the layer has 32 output features}}
  %0 = tp.linear "proj" %x, %w, %b : tensor<8x64xf32>, tensor<32x64xf32>, tensor<16xf32>
  return
}

// -----

func.func @linear_bias_rank_2(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<1x32xf32>) {
  // expected-error @+1 {{layer 'l': the bias has shape 1x32 but the layer has 32 output features}}
  %0 = tp.linear "l" %x, %w, %b : tensor<8x64xf32>, tensor<32x64xf32>, tensor<1x32xf32>
  return
}

// -----

func.func @linear_bias_element_type_mismatch(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xbf16>) {
  // expected-error @+1 {{layer 'l': the bias has element type 'bf16' but the input has 'f32'}}
  %0 = tp.linear "l" %x, %w, %b : tensor<8x64xf32>, tensor<32x64xf32>, tensor<32xbf16>
  return
}

//===----------------------------------------------------------------------===//
// tp.embedding
//===----------------------------------------------------------------------===//

// -----

func.func @embedding_empty_layer_name(%ids: tensor<8xi64>, %t: tensor<16x4xf32>) {
  // expected-error @+1 {{'tp.embedding' op needs a layer name (its PyTorch module path)}}
  %0 = tp.embedding "" %ids, %t : tensor<8xi64>, tensor<16x4xf32>
  return
}

// -----

func.func @embedding_table_rank_1(%ids: tensor<8xi64>, %t: tensor<16xf32>) {
  // expected-error @+1 {{layer 'tok': table must be [num_embeddings, embedding_dim], got rank 1}}
  %0 = tp.embedding "tok" %ids, %t : tensor<8xi64>, tensor<16xf32>
  return
}

//===----------------------------------------------------------------------===//
// tp.rms_norm and tp.layer_norm
//===----------------------------------------------------------------------===//

// -----

func.func @rms_norm_empty_layer_name(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tp.rms_norm' op needs a layer name (its PyTorch module path)}}
  %0 = tp.rms_norm "" %x, %w eps 1.0e-05 : tensor<8x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @rms_norm_rank_0_input(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{layer 'norm': input must have rank 1 or more}}
  %0 = tp.rms_norm "norm" %x, %w eps 1.0e-05 : tensor<f32>, tensor<1xf32>
  return
}

// -----

tp.parameter @"norm.weight" : tensor<32xf32>

func.func @rms_norm_weight_size_mismatch(%x: tensor<8x64xf32>) {
  %w = tp.get_parameter @"norm.weight" : tensor<32xf32>
  // expected-error @+1 {{layer 'norm': weight 'norm.weight' has shape 32 but the input has 64 features}}
  %0 = tp.rms_norm "norm" %x, %w eps 1.0e-05 : tensor<8x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @rms_norm_weight_rank_2(%x: tensor<8x64xf32>, %w: tensor<1x64xf32>) {
  // expected-error @+1 {{layer 'norm': the weight has shape 1x64 but the input has 64 features}}
  %0 = tp.rms_norm "norm" %x, %w eps 1.0e-05 : tensor<8x64xf32>, tensor<1x64xf32>
  return
}

// -----

func.func @rms_norm_weight_element_type_mismatch(%x: tensor<8x64xf32>, %w: tensor<64xf16>) {
  // expected-error @+1 {{layer 'norm': the weight has element type 'f16' but the input has 'f32'}}
  %0 = tp.rms_norm "norm" %x, %w eps 1.0e-05 : tensor<8x64xf32>, tensor<64xf16>
  return
}

// -----

func.func @rms_norm_zero_epsilon(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{layer 'norm': epsilon must be positive, got 0}}
  %0 = tp.rms_norm "norm" %x, %w eps 0.0 : tensor<8x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @layer_norm_empty_layer_name(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tp.layer_norm' op needs a layer name (its PyTorch module path)}}
  %0 = tp.layer_norm "" %x, %w eps 1.0e-05 : tensor<8x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @layer_norm_rank_0_input(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{layer 'ln': input must have rank 1 or more}}
  %0 = tp.layer_norm "ln" %x, %w eps 1.0e-05 : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @layer_norm_weight_size_mismatch(%x: tensor<8x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{layer 'ln': the weight has shape 32 but the input has 64 features}}
  %0 = tp.layer_norm "ln" %x, %w eps 1.0e-05 : tensor<8x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @layer_norm_weight_element_type_mismatch(%x: tensor<8x64xbf16>, %w: tensor<64xf32>) {
  // expected-error @+1 {{layer 'ln': the weight has element type 'f32' but the input has 'bf16'}}
  %0 = tp.layer_norm "ln" %x, %w eps 1.0e-05 : tensor<8x64xbf16>, tensor<64xf32>
  return
}

// -----

tp.parameter @"ln.bias" : tensor<32xf32>

func.func @layer_norm_bias_type_mismatch(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  %b = tp.get_parameter @"ln.bias" : tensor<32xf32>
  // expected-error @+1 {{layer 'ln': bias 'ln.bias' has type 'tensor<32xf32>' but the weight has 'tensor<64xf32>'}}
  %0 = tp.layer_norm "ln" %x, %w, %b eps 1.0e-05 : tensor<8x64xf32>, tensor<64xf32>, tensor<32xf32>
  return
}

// -----

func.func @layer_norm_bias_element_type_mismatch(%x: tensor<8x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf16>) {
  // expected-error @+1 {{layer 'ln': the bias has type 'tensor<64xf16>' but the weight has 'tensor<64xf32>'}}
  %0 = tp.layer_norm "ln" %x, %w, %b eps 1.0e-05 : tensor<8x64xf32>, tensor<64xf32>, tensor<64xf16>
  return
}

// -----

func.func @layer_norm_negative_epsilon(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{layer 'ln': epsilon must be positive, got -1.000000e-05}}
  %0 = tp.layer_norm "ln" %x, %w eps -1.0e-05 : tensor<8x64xf32>, tensor<64xf32>
  return
}

//===----------------------------------------------------------------------===//
// tp.reshape and tp.transpose
//===----------------------------------------------------------------------===//

// -----

func.func @reshape_element_count_mismatch(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'tp.reshape' op cannot reshape 2x16x64 (2048 elements) into 2x16x4x8 (1024 elements)}}
  %0 = tp.reshape %x : tensor<2x16x64xf32> -> tensor<2x16x4x8xf32>
  return
}

// -----

func.func @reshape_element_type_change(%x: tensor<2x16xf32>) {
  // expected-error @+1 {{'tp.reshape' op cannot change the element type from 'f32' to 'f16'}}
  %0 = tp.reshape %x : tensor<2x16xf32> -> tensor<32xf16>
  return
}

// -----

func.func @transpose_permutation_too_short(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{permutation has 2 entries but the input has rank 3}}
  %0 = tp.transpose %x [1, 0] : tensor<2x16x64xf32>
  return
}

// -----

func.func @transpose_permutation_repeats_dim(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{permutation must hold each of 0..2 exactly once}}
  %0 = tp.transpose %x [0, 2, 0] : tensor<2x16x64xf32>
  return
}

// -----

func.func @transpose_permutation_dim_out_of_range(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{permutation must hold each of 0..2 exactly once}}
  %0 = tp.transpose %x [0, 3, 1] : tensor<2x16x64xf32>
  return
}

// -----

func.func @transpose_permutation_negative_dim(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{permutation must hold each of 0..2 exactly once}}
  %0 = tp.transpose %x [0, -1, 1] : tensor<2x16x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// tp.matmul
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_rank_1_operands(%a: tensor<8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{operands must have the same rank, 2 or more; got 1 and 1}}
  %0 = tp.matmul %a, %b : tensor<8xf32>, tensor<8xf32>
  return
}

// -----

func.func @matmul_rank_mismatch(%a: tensor<4x8xf32>, %b: tensor<2x8x3xf32>) {
  // expected-error @+1 {{operands must have the same rank, 2 or more; got 2 and 3}}
  %0 = tp.matmul %a, %b : tensor<4x8xf32>, tensor<2x8x3xf32>
  return
}

// -----

func.func @matmul_batch_dims_differ(%a: tensor<2x4x16x8xf32>, %b: tensor<2x2x8x16xf32>) {
  // expected-error @+1 {{batch dims differ: 2x4 and 2x2}}
  %0 = tp.matmul %a, %b : tensor<2x4x16x8xf32>, tensor<2x2x8x16xf32>
  return
}

// -----

func.func @matmul_contraction_mismatch(%a: tensor<4x8xf32>, %b: tensor<6x3xf32>) {
  // expected-error @+1 {{lhs has 8 columns but rhs has 6 rows}}
  %0 = tp.matmul %a, %b : tensor<4x8xf32>, tensor<6x3xf32>
  return
}

// -----

func.func @matmul_element_types_differ(%a: tensor<4x8xf32>, %b: tensor<8x3xf16>) {
  // expected-error @+1 {{operands have different element types 'f32' and 'f16'}}
  %0 = tp.matmul %a, %b : tensor<4x8xf32>, tensor<8x3xf16>
  return
}

//===----------------------------------------------------------------------===//
// tp.softmax, tp.rope, tp.attention
//===----------------------------------------------------------------------===//

// -----

func.func @softmax_dim_too_large(%x: tensor<2x4x16xf32>) {
  // expected-error @+1 {{'tp.softmax' op softmax dim 3 is out of range for a tensor of rank 3}}
  %0 = tp.softmax %x dim 3 : tensor<2x4x16xf32>
  return
}

// -----

func.func @softmax_dim_too_negative(%x: tensor<2x4x16xf32>) {
  // expected-error @+1 {{'tp.softmax' op softmax dim -4 is out of range for a tensor of rank 3}}
  %0 = tp.softmax %x dim -4 : tensor<2x4x16xf32>
  return
}

// -----

func.func @softmax_default_dim_on_rank_0(%x: tensor<f32>) {
  // expected-error @+1 {{'tp.softmax' op softmax dim -1 is out of range for a tensor of rank 0}}
  %0 = tp.softmax %x : tensor<f32>
  return
}

// -----

func.func @rope_rank_3_input(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'tp.rope' op input must be [batch, seq, heads, head_dim], got rank 3}}
  %0 = tp.rope %x theta 1.0e+04 : tensor<2x16x64xf32>
  return
}

// -----

func.func @rope_odd_head_dim(%x: tensor<2x16x4x15xf32>) {
  // expected-error @+1 {{'tp.rope' op head_dim 15 must be even: features rotate in pairs}}
  %0 = tp.rope %x theta 1.0e+04 : tensor<2x16x4x15xf32>
  return
}

// -----

func.func @rope_zero_theta(%x: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tp.rope' op theta must be positive, got 0}}
  %0 = tp.rope %x theta 0.0 : tensor<2x16x4x16xf32>
  return
}

// -----

func.func @rope_freq_factors_per_pair(%x: tensor<2x16x4x8xf32>) {
  // expected-error @+1 {{'tp.rope' op freq_factors has 3 entries, one per pair of head_dim 8 needs 4}}
  %0 = tp.rope %x theta 1.0e+04 freq_factors [1.0, 2.0, 4.0] : tensor<2x16x4x8xf32>
  return
}

// -----

func.func @rope_zero_freq_factor(%x: tensor<2x16x4x4xf32>) {
  // expected-error @+1 {{'tp.rope' op freq_factors[1] must be positive, got 0}}
  %0 = tp.rope %x theta 1.0e+04 freq_factors [1.0, 0.0] : tensor<2x16x4x4xf32>
  return
}

// -----

func.func @rope_negative_attention_factor(%x: tensor<2x16x4x4xf32>) {
  // expected-error @+1 {{'tp.rope' op attention_factor must be positive, got -1}}
  %0 = tp.rope %x theta 1.0e+04 attention_factor -1.0 : tensor<2x16x4x4xf32>
  return
}

// -----

func.func @rope_unknown_convention(%x: tensor<2x16x4x16xf32>) {
  // expected-error @+2 {{expected ::mlir::tp::RopeConvention to be one of: interleaved, half}}
  // expected-error @+1 {{failed to parse TP_RopeConventionAttr parameter 'value'}}
  %0 = tp.rope %x theta 1.0e+04 convention rotate_half : tensor<2x16x4x16xf32>
  return
}

// -----

func.func @rope_convention_not_an_enum(%x: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tp.rope' op attribute 'convention' failed to satisfy constraint: The pairing of features in a rotary embedding}}
  %0 = "tp.rope"(%x) {theta = 1.0e+04 : f64, convention = "half"}
      : (tensor<2x16x4x16xf32>) -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @attention_query_rank_3(%q: tensor<2x16x64xf32>, %k: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op query must be [batch, seq, heads, head_dim], got rank 3}}
  %0 = tp.attention %q, %k, %k : tensor<2x16x64xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>
  return
}

// -----

func.func @attention_key_rank_5(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16x1xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op key must be [batch, seq, heads, head_dim], got rank 5}}
  %0 = tp.attention %q, %k, %v : tensor<2x16x4x16xf32>, tensor<2x16x4x16x1xf32>, tensor<2x16x4x16xf32>
  return
}

// -----

func.func @attention_value_rank_3(%q: tensor<2x16x4x16xf32>, %v: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'tp.attention' op value must be [batch, seq, heads, head_dim], got rank 3}}
  %0 = tp.attention %q, %q, %v : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x64xf32>
  return
}

// -----

func.func @attention_key_value_shapes_differ(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x8x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op key shape 2x16x4x16 and value shape 2x8x4x16 differ}}
  %0 = tp.attention %q, %k, %v : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x8x4x16xf32>
  return
}

// -----

func.func @attention_batch_mismatch(%q: tensor<2x16x4x16xf32>, %k: tensor<3x16x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op query batch 2 differs from key/value batch 3}}
  %0 = tp.attention %q, %k, %k : tensor<2x16x4x16xf32>, tensor<3x16x4x16xf32>, tensor<3x16x4x16xf32>
  return
}

// -----

func.func @attention_head_dim_mismatch(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x8xf32>) {
  // expected-error @+1 {{'tp.attention' op query head_dim 16 differs from key/value head_dim 8}}
  %0 = tp.attention %q, %k, %k : tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
  return
}

// -----

func.func @attention_query_heads_not_multiple(%q: tensor<2x16x6x16xf32>, %k: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op 6 query heads are not a multiple of 4 key/value heads}}
  %0 = tp.attention %q, %k, %k : tensor<2x16x6x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>
  return
}

// -----

func.func @attention_causal_lengths_differ(%q: tensor<2x16x4x16xf32>, %k: tensor<2x32x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op causal attention needs equal query and key lengths, got 16 and 32}}
  %0 = tp.attention %q, %k, %k causal : tensor<2x16x4x16xf32>, tensor<2x32x4x16xf32>, tensor<2x32x4x16xf32>
  return
}

// -----

func.func @attention_element_types_differ(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf16>) {
  // expected-error @+1 {{'tp.attention' op query, key and value element types differ: 'f32', 'f32', 'f16'}}
  %0 = tp.attention %q, %k, %v : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf16>
  return
}

// -----

func.func @attention_scale_not_positive(%q: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tp.attention' op scale must be positive, got -2.500000e-01}}
  %0 = tp.attention %q, %q, %q scale -0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// tp.sum and tp.cross_entropy
//===----------------------------------------------------------------------===//

// -----

func.func @sum_dim_out_of_range(%x: tensor<8x16xf32>) {
  // expected-error @+1 {{sum dim 2 is out of range for a tensor of rank 2}}
  %0 = tp.sum %x dims [0, 2] : tensor<8x16xf32>
  return
}

// -----

func.func @sum_negative_dim(%x: tensor<8x16xf32>) {
  // expected-error @+1 {{sum dim -1 is out of range for a tensor of rank 2}}
  %0 = tp.sum %x dims [-1] : tensor<8x16xf32>
  return
}

// -----

func.func @sum_dim_twice(%x: tensor<8x16xf32>) {
  // expected-error @+1 {{sum dim 1 appears twice}}
  %0 = tp.sum %x dims [1, 1] : tensor<8x16xf32>
  return
}

// -----

func.func @cross_entropy_rank_0_logits(%logits: tensor<f32>, %labels: tensor<i64>) {
  // expected-error @+1 {{logits must have rank 1 or more}}
  %0 = tp.cross_entropy %logits, %labels : tensor<f32>, tensor<i64>
  return
}

// -----

func.func @cross_entropy_labels_shape_mismatch(%logits: tensor<2x16x256xf32>, %labels: tensor<2x8xi64>) {
  // expected-error @+1 {{labels have shape 2x8 but logits 2x16x256 need 2x16}}
  %0 = tp.cross_entropy %logits, %labels : tensor<2x16x256xf32>, tensor<2x8xi64>
  return
}

// -----

func.func @cross_entropy_labels_for_rank_1_logits(%logits: tensor<256xf32>, %labels: tensor<1xi64>) {
  // expected-error @+1 {{labels have shape 1 but logits 256 need scalar}}
  %0 = tp.cross_entropy %logits, %labels : tensor<256xf32>, tensor<1xi64>
  return
}

//===----------------------------------------------------------------------===//
// The layout attribute and tp.annotate
//===----------------------------------------------------------------------===//

// -----

tp.mesh @mesh(tp = 2)

func.func @layout_unknown_placement(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{unknown placement 'Q'; expected R, S(<dim>) or P(sum)}}
  %0 = tp.annotate %x layout <@mesh, [Q]> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @layout_partial_other_than_sum(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{expected 'sum'}}
  %0 = tp.annotate %x layout <@mesh, [P(max)]> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @layout_negative_shard_dim(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{layout shards dim -1; shard dims must not be negative}}
  %0 = tp.annotate %x layout <@mesh, [S(-1)]> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @layout_negative_shard_dim_generic_form(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{layout shards dim -2; shard dims must not be negative}}
  %0 = "tp.annotate"(%x) <{layout = #tp.layout<@mesh, [S(-2)]>}> : (tensor<8x64xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @annotate_missing_mesh(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.annotate' op 'nomesh' does not name a tp.mesh}}
  %0 = tp.annotate %x layout <@nomesh, [R]> : tensor<8x64xf32>
  return
}

// -----

tp.parameter @"w.weight" : tensor<8x64xf32>

func.func @annotate_mesh_is_a_parameter(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.annotate' op 'w.weight' does not name a tp.mesh}}
  %0 = tp.annotate %x layout <@"w.weight", [R]> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(dp = 2, tp = 4)

func.func @annotate_too_few_placements(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.annotate' op the number of placements (1) differs from the number of axes of mesh 'mesh' (2)}}
  %0 = tp.annotate %x layout <@mesh, [S(0)]> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 4)

func.func @annotate_no_placements(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.annotate' op the number of placements (0) differs from the number of axes of mesh 'mesh' (1)}}
  %0 = tp.annotate %x layout <@mesh, []> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 4)

func.func @annotate_shard_dim_out_of_range(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.annotate' op layout shards dim 2 of a rank-2 tensor}}
  %0 = tp.annotate %x layout <@mesh, [S(2)]> : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 3)

func.func @annotate_dim_not_divisible_by_axis(%x: tensor<8x64xi64>) {
  // expected-error @+1 {{'tp.annotate' op dim 1 of size 64 does not divide evenly over mesh axis 'tp' (3 ranks)}}
  %0 = tp.annotate %x layout <@mesh, [S(1)]> : tensor<8x64xi64>
  return
}

// -----

tp.mesh @mesh(dp = 4, tp = 4)

// Each axis alone divides dim 0 (8), but the two together split it 16 ways.
func.func @annotate_dim_not_divisible_by_axes(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.annotate' op dim 0 of size 8 does not divide evenly over mesh axes 'dp', 'tp' (16 ranks)}}
  %0 = tp.annotate %x layout <@mesh, [S(0), S(0)]> : tensor<8x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Collectives: mesh and axes
//===----------------------------------------------------------------------===//

// -----

func.func @all_reduce_missing_mesh(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_reduce' op 'nomesh' does not name a tp.mesh}}
  %0 = tp.all_reduce %x on @nomesh ["tp"] : tensor<8x64xf32>
  return
}

// -----

tp.parameter @"w.weight" : tensor<8x64xf32>

func.func @all_gather_mesh_is_a_parameter(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_gather' op 'w.weight' does not name a tp.mesh}}
  %0 = tp.all_gather %x on @"w.weight" ["tp"] dim 0 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_reduce_no_axes(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_reduce' op names no mesh axis to run over}}
  %0 = tp.all_reduce %x on @mesh [] : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(dp = 2, tp = 4)

func.func @all_reduce_unknown_axis(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_reduce' op mesh 'mesh' has no axis 'pp' (its axes: dp, tp)}}
  %0 = tp.all_reduce %x on @mesh ["pp"] : tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(dp = 2, tp = 4)

func.func @local_slice_axis_twice(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.local_slice' op names mesh axis 'tp' twice}}
  %0 = tp.local_slice %x on @mesh ["tp", "dp", "tp"] dim 1 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_gather_element_type_change(%x: tensor<8x32xf32>) {
  // expected-error @+1 {{'tp.all_gather' op result element type 'f16' differs from input element type 'f32'}}
  %0 = tp.all_gather %x on @mesh ["tp"] dim 1 : tensor<8x32xf32> -> tensor<8x64xf16>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @reduce_scatter_element_type_change(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.reduce_scatter' op result element type 'bf16' differs from input element type 'f32'}}
  %0 = tp.reduce_scatter %x on @mesh ["tp"] dim 1 : tensor<8x64xf32> -> tensor<8x64xbf16>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_to_all_element_type_change(%x: tensor<8x64xi64>) {
  // expected-error @+1 {{'tp.all_to_all' op result element type 'i32' differs from input element type 'i64'}}
  %0 = tp.all_to_all %x on @mesh ["tp"] split_dim 1 concat_dim 0 : tensor<8x64xi64> -> tensor<8x64xi32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @local_slice_element_type_change(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.local_slice' op result element type 'i32' differs from input element type 'f32'}}
  %0 = tp.local_slice %x on @mesh ["tp"] dim 1 : tensor<8x64xf32> -> tensor<8x32xi32>
  return
}

//===----------------------------------------------------------------------===//
// Collectives: dims and shapes
//===----------------------------------------------------------------------===//

// -----

tp.mesh @mesh(tp = 2)

func.func @all_gather_dim_out_of_range(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_gather' op dim 2 is out of range for a tensor of rank 2}}
  %0 = tp.all_gather %x on @mesh ["tp"] dim 2 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_gather_negative_dim(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_gather' op dim -1 is out of range for a tensor of rank 2}}
  %0 = tp.all_gather %x on @mesh ["tp"] dim -1 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @reduce_scatter_dim_out_of_range(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.reduce_scatter' op dim 5 is out of range for a tensor of rank 2}}
  %0 = tp.reduce_scatter %x on @mesh ["tp"] dim 5 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @local_slice_dim_out_of_range(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.local_slice' op dim 2 is out of range for a tensor of rank 2}}
  %0 = tp.local_slice %x on @mesh ["tp"] dim 2 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_to_all_split_dim_out_of_range(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_to_all' op split_dim 2 is out of range for a tensor of rank 2}}
  %0 = tp.all_to_all %x on @mesh ["tp"] split_dim 2 concat_dim 0 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_to_all_concat_dim_out_of_range(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_to_all' op concat_dim -1 is out of range for a tensor of rank 2}}
  %0 = tp.all_to_all %x on @mesh ["tp"] split_dim 1 concat_dim -1 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_to_all_same_split_and_concat_dim(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.all_to_all' op split_dim and concat_dim are both 1; an all_to_all moves a split between two different dims}}
  %0 = tp.all_to_all %x on @mesh ["tp"] split_dim 1 concat_dim 1 : tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_gather_local_shape_wrong(%x: tensor<8x32xf32>) {
  // expected-error @+1 {{'tp.all_gather' op result shape 8x96 is neither the input shape (global program) nor 8x64 (this rank's shard over 2 ranks)}}
  %0 = tp.all_gather %x on @mesh ["tp"] dim 1 : tensor<8x32xf32> -> tensor<8x96xf32>
  return
}

// -----

tp.mesh @mesh(dp = 2, tp = 4)

// The group of ["dp", "tp"] has 8 ranks, so 64 / 4 is not this rank's shard.
func.func @reduce_scatter_local_shape_wrong(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.reduce_scatter' op result shape 8x16 is neither the input shape (global program) nor 8x8 (this rank's shard over 8 ranks)}}
  %0 = tp.reduce_scatter %x on @mesh ["dp", "tp"] dim 1 : tensor<8x64xf32> -> tensor<8x16xf32>
  return
}

// -----

tp.mesh @mesh(tp = 3)

func.func @reduce_scatter_dim_not_divisible(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.reduce_scatter' op dim 1 of size 64 does not divide evenly over 3 ranks}}
  %0 = tp.reduce_scatter %x on @mesh ["tp"] dim 1 : tensor<8x64xf32> -> tensor<8x21xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @all_to_all_local_shape_wrong(%x: tensor<2x8x4x16xf32>) {
  // expected-error @+1 {{'tp.all_to_all' op result shape 2x8x2x16 is neither the input shape (global program) nor 2x16x2x16 (this rank's shard over 2 ranks)}}
  %0 = tp.all_to_all %x on @mesh ["tp"] split_dim 2 concat_dim 1 : tensor<2x8x4x16xf32> -> tensor<2x8x2x16xf32>
  return
}

// -----

tp.mesh @mesh(tp = 4)

func.func @all_to_all_split_dim_not_divisible(%x: tensor<2x8x6x16xf32>) {
  // expected-error @+1 {{'tp.all_to_all' op dim 2 of size 6 does not divide evenly over 4 ranks}}
  %0 = tp.all_to_all %x on @mesh ["tp"] split_dim 2 concat_dim 1 : tensor<2x8x6x16xf32> -> tensor<2x32x1x16xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @local_slice_local_shape_wrong(%x: tensor<8x64xf32>) {
  // expected-error @+1 {{'tp.local_slice' op result shape 4x64 is neither the input shape (global program) nor 8x32 (this rank's shard over 2 ranks)}}
  %0 = tp.local_slice %x on @mesh ["tp"] dim 1 : tensor<8x64xf32> -> tensor<4x64xf32>
  return
}

// -----

tp.mesh @mesh(tp = 3)

func.func @local_slice_dim_not_divisible(%x: tensor<8x64xi32>) {
  // expected-error @+1 {{'tp.local_slice' op dim 0 of size 8 does not divide evenly over 3 ranks}}
  %0 = tp.local_slice %x on @mesh ["tp"] dim 0 : tensor<8x64xi32> -> tensor<2x64xi32>
  return
}

// -----

tp.mesh @mesh(tp = 2)

func.func @annotate_partial_integers(%ids: tensor<8xi64>) -> tensor<8xi64> {
  // expected-error @+1 {{a 'i64' tensor cannot be a partial sum (P(sum)); only floating-point values add up}}
  %0 = tp.annotate %ids layout <@mesh, [P(sum)]> : tensor<8xi64>
  return %0 : tensor<8xi64>
}

// -----

tp.mesh @mesh(tp = 2)
tp.parameter @"w.weight" : tensor<8x8xf32>

func.func @get_parameter_partial() -> tensor<8x8xf32> {
  // expected-error @+1 {{parameter 'w.weight' cannot be read as a partial sum (P(sum))}}
  %0 = tp.get_parameter @"w.weight" layout <@mesh, [P(sum)]> : tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @style_use_local_output_not_a_bool(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{use_local_output must be true or false, got 'maybe'}}
  %0 = tp.relu %x {tp.style = #tp.style<colwise on @mesh["tp"], use_local_output = maybe>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @embedding_without_rows(%ids: tensor<8xi64>, %t: tensor<0x4xf32>) {
  // expected-error @+1 {{layer 'tok_embeddings': the table has no rows (a vocabulary of 0 tokens), so no id is valid}}
  %0 = tp.embedding "tok_embeddings" %ids, %t : tensor<8xi64>, tensor<0x4xf32>
  return
}

// -----

func.func @cross_entropy_without_classes(%logits: tensor<4x0xf32>, %labels: tensor<4xi64>) {
  // expected-error @+1 {{logits have no classes: labels cannot index 0 classes}}
  %0 = tp.cross_entropy %logits, %labels : tensor<4x0xf32>, tensor<4xi64>
  return
}

// -----

// A style is verified where it stands: it must name a layer, a mesh and the
// tensor-parallel axis, and fit the layer.

func.func @style_on_a_non_layer(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tp.relu' op has a tp.style but is not a layer}}
  %0 = tp.relu %x {tp.style = #tp.style<colwise on @mesh["tp"]>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @style_without_mesh(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{layer 'w': its style names mesh @nowhere, which is not a tp.mesh}}
  %0 = tp.linear "w" %x, %w {tp.style = #tp.style<colwise on @nowhere["tp"]>} : tensor<4x8xf32>, tensor<8x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

tp.mesh @mesh(tp = 2)

func.func @style_axis_not_in_mesh(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{layer 'w': its style splits over mesh axis 'model', which is not an axis of mesh 'mesh'}}
  %0 = tp.linear "w" %x, %w {tp.style = #tp.style<colwise on @mesh["model"]>} : tensor<4x8xf32>, tensor<8x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

module attributes {tp.tp_axis = "tp"} {
  tp.mesh @mesh(dp = 2, tp = 2)
  func.func @style_over_the_data_parallel_axis(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    // expected-error @+1 {{layer 'w': its style splits over mesh axis 'dp', which is not the tensor-parallel axis 'tp'}}
    %0 = tp.linear "w" %x, %w {tp.style = #tp.style<colwise on @mesh["dp"]>} : tensor<4x8xf32>, tensor<8x8xf32>
    return %0 : tensor<4x8xf32>
  }
}

// -----

tp.mesh @mesh(tp = 2)

func.func @style_the_layer_cannot_take(%x: tensor<2x4x8xf32>, %w: tensor<8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{layer 'norm' (tp.rms_norm) cannot be rowwise; it takes sequence_parallel or replicate}}
  %0 = tp.rms_norm "norm" %x, %w eps 1.0e-05 {tp.style = #tp.style<rowwise on @mesh["tp"]>} : tensor<2x4x8xf32>, tensor<8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----
// Training ops.

func.func @linear_input_grad_features(%dy: tensor<4x6xf32>, %w: tensor<8x6xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{layer 'w': the gradient has 6 features but the weight has 8 output features}}
  %0 = tp.linear_input_grad "w" %dy, %w : tensor<4x6xf32>, tensor<8x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @linear_weight_grad_leading(%dy: tensor<4x6xf32>, %x: tensor<3x8xf32>) -> tensor<6x8xf32> {
  // expected-error @+1 {{layer 'w': the gradient 4x6 and the input 3x8 must have rank 1 or more and the same leading dims}}
  %0 = tp.linear_weight_grad "w" %dy, %x : tensor<4x6xf32>, tensor<3x8xf32>
  return %0 : tensor<6x8xf32>
}

// -----

func.func @broadcast_kept_dims(%x: tensor<3xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{the result's dims but the broadcast ones are 5, not the input's 3}}
  %0 = tp.broadcast %x dims [0] : tensor<3xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @broadcast_dims_order(%x: tensor<f32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{broadcast dims must be ascending, each once}}
  %0 = tp.broadcast %x dims [1, 0] : tensor<f32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @embedding_grad_shape(%ids: tensor<2x3xi64>, %dy: tensor<2x3x8xf32>) -> tensor<10x4xf32> {
  // expected-error @+1 {{layer 'tok': the gradient 2x3x8 must be the ids' shape 2x3 followed by the table's 4 columns, and the table rank 2}}
  %0 = tp.embedding_grad "tok" %ids, %dy : tensor<2x3xi64>, tensor<2x3x8xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @norm_weight_grad_features(%x: tensor<2x8xf32>, %dy: tensor<2x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{layer 'n': the weight gradient 'tensor<4xf32>' must hold one value per feature of the input 'tensor<2x8xf32>'}}
  %0 = tp.rms_norm_weight_grad "n" %x, %dy eps 1.0e-05 : tensor<2x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @update_of_a_computed_value(%w: tensor<4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{writes its parameter in place, so it must be a value tp.get_parameter reads}}
  tp.sgd %w, %g lr 1.0e-01 weight_decay 0.0 : tensor<4xf32>
  return
}

// -----

tp.parameter @"w" : tensor<4xf32>
func.func @negative_learning_rate(%g: tensor<4xf32>) {
  %w = tp.get_parameter @"w" : tensor<4xf32>
  // expected-error @+1 {{the learning rate must be positive, got -1.000000e-01}}
  tp.sgd %w, %g lr -1.0e-01 weight_decay 0.0 : tensor<4xf32>
  return
}

// -----

tp.parameter @"w" : tensor<4xf32>
tp.parameter @"m" : tensor<4xf32>
func.func @moment_not_state(%g: tensor<4xf32>) {
  %w = tp.get_parameter @"w" : tensor<4xf32>
  %m = tp.get_parameter @"m" : tensor<4xf32>
  // expected-error @+1 {{its exp_avg 'm' is not a parameter marked optimizer_state}}
  tp.adamw %w, %g, %m, %m lr 1.0e-03 betas(9.0e-01, 9.99e-01) eps 1.0e-08 weight_decay 0.0 : tensor<4xf32>
  return
}

// -----

tp.parameter @"w" : tensor<4xf32>
tp.parameter @"m" : tensor<4xf32> {optimizer_state}
tp.parameter @"v" : tensor<4xf32> {optimizer_state}
func.func @beta_out_of_range(%g: tensor<4xf32>) {
  %w = tp.get_parameter @"w" : tensor<4xf32>
  %m = tp.get_parameter @"m" : tensor<4xf32>
  %v = tp.get_parameter @"v" : tensor<4xf32>
  // expected-error @+1 {{beta2 must be in [0, 1), got 1.000000e+00}}
  tp.adamw %w, %g, %m, %v lr 1.0e-03 betas(9.0e-01, 1.0) eps 1.0e-08 weight_decay 0.0 : tensor<4xf32>
  return
}

// -----

tp.parameter @"w" : tensor<4xf32>
// expected-error @+1 {{is master_of 'w', which is not an f16 or bf16 parameter}}
tp.parameter @"w.master" : tensor<4xf32> {master_of = @"w", optimizer_state}

// -----

tp.parameter @"w" : tensor<4xbf16>
// expected-error @+1 {{the master copy of 'w' must be optimizer_state of type 'tensor<4xf32>'}}
tp.parameter @"w.master" : tensor<4xf32> {master_of = @"w"}

// -----

tp.parameter @"w" : tensor<4xbf16>
tp.parameter @"other" : tensor<4xbf16>
tp.parameter @"other.master" : tensor<4xf32> {master_of = @"other", optimizer_state}
func.func @master_of_another_parameter(%g: tensor<4xbf16>) {
  %w = tp.get_parameter @"w" : tensor<4xbf16>
  %m = tp.get_parameter @"other.master" : tensor<4xf32>
  // expected-error @+1 {{its master copy 'other.master' is not master_of 'w'}}
  tp.sgd_master %w, %g, %m lr 1.0e-01 weight_decay 0.0 : tensor<4xbf16>, tensor<4xf32>
  return
}

// -----

tp.mesh @mesh(tp = 2)
func.func @async_all_reduce_without_wait(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tp.all_reduce' op is async, so its result must have exactly one user, a tp.wait in the same block}}
  %0 = tp.all_reduce %a on @mesh ["tp"] async : tensor<4xf32>
  %1 = tp.relu %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

tp.mesh @mesh(tp = 2)
func.func @wait_for_a_blocking_sum(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tp.all_reduce %a on @mesh ["tp"] : tensor<4xf32>
  // expected-error @+1 {{'tp.wait' op waits for a value that no async collective produces}}
  %1 = tp.wait %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

tp.mesh @mesh(tp = 2)
func.func @wait_for_an_argument(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tp.wait' op waits for a value that no async collective produces}}
  %0 = tp.wait %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
