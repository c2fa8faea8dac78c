module attributes {tp.plan = {plan = {"layers.*.attention.wk" = "colwise", "layers.*.attention.wo" = {output_layouts = "shard(1)", style = "rowwise"}, "layers.*.attention.wq" = "colwise", "layers.*.attention.wv" = "colwise", "layers.*.attention_norm" = "sequence_parallel", "layers.*.feed_forward.w1" = "colwise", "layers.*.feed_forward.w2" = {output_layouts = "shard(1)", style = "rowwise"}, "layers.*.feed_forward.w3" = "colwise", "layers.*.ffn_norm" = "sequence_parallel", norm = "sequence_parallel", output = {input_layouts = "shard(1)", output_layouts = "replicate", style = "colwise"}, tok_embeddings = {input_layouts = "replicate", output_layouts = "shard(1)", style = "rowwise"}}}} {
  tp.parameter @tok_embeddings.weight : tensor<128x64xf32>
  tp.parameter @optimizer.tok_embeddings.weight.exp_avg : tensor<128x64xf32> {optimizer_state}
  tp.parameter @optimizer.tok_embeddings.weight.exp_avg_sq : tensor<128x64xf32> {optimizer_state}
  tp.parameter @layers.0.attention.wq.weight : tensor<64x64xf32>
  tp.parameter @optimizer.layers.0.attention.wq.weight.exp_avg : tensor<64x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.attention.wq.weight.exp_avg_sq : tensor<64x64xf32> {optimizer_state}
  tp.parameter @layers.0.attention.wk.weight : tensor<32x64xf32>
  tp.parameter @optimizer.layers.0.attention.wk.weight.exp_avg : tensor<32x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.attention.wk.weight.exp_avg_sq : tensor<32x64xf32> {optimizer_state}
  tp.parameter @layers.0.attention.wv.weight : tensor<32x64xf32>
  tp.parameter @optimizer.layers.0.attention.wv.weight.exp_avg : tensor<32x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.attention.wv.weight.exp_avg_sq : tensor<32x64xf32> {optimizer_state}
  tp.parameter @layers.0.attention.wo.weight : tensor<64x64xf32>
  tp.parameter @optimizer.layers.0.attention.wo.weight.exp_avg : tensor<64x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.attention.wo.weight.exp_avg_sq : tensor<64x64xf32> {optimizer_state}
  tp.parameter @layers.0.feed_forward.w1.weight : tensor<192x64xf32>
  tp.parameter @optimizer.layers.0.feed_forward.w1.weight.exp_avg : tensor<192x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.feed_forward.w1.weight.exp_avg_sq : tensor<192x64xf32> {optimizer_state}
  tp.parameter @layers.0.feed_forward.w2.weight : tensor<64x192xf32>
  tp.parameter @optimizer.layers.0.feed_forward.w2.weight.exp_avg : tensor<64x192xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.feed_forward.w2.weight.exp_avg_sq : tensor<64x192xf32> {optimizer_state}
  tp.parameter @layers.0.feed_forward.w3.weight : tensor<192x64xf32>
  tp.parameter @optimizer.layers.0.feed_forward.w3.weight.exp_avg : tensor<192x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.feed_forward.w3.weight.exp_avg_sq : tensor<192x64xf32> {optimizer_state}
  tp.parameter @layers.0.attention_norm.weight : tensor<64xf32>
  tp.parameter @optimizer.layers.0.attention_norm.weight.exp_avg : tensor<64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.attention_norm.weight.exp_avg_sq : tensor<64xf32> {optimizer_state}
  tp.parameter @layers.0.ffn_norm.weight : tensor<64xf32>
  tp.parameter @optimizer.layers.0.ffn_norm.weight.exp_avg : tensor<64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.0.ffn_norm.weight.exp_avg_sq : tensor<64xf32> {optimizer_state}
  tp.parameter @layers.1.attention.wq.weight : tensor<64x64xf32>
  tp.parameter @optimizer.layers.1.attention.wq.weight.exp_avg : tensor<64x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.attention.wq.weight.exp_avg_sq : tensor<64x64xf32> {optimizer_state}
  tp.parameter @layers.1.attention.wk.weight : tensor<32x64xf32>
  tp.parameter @optimizer.layers.1.attention.wk.weight.exp_avg : tensor<32x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.attention.wk.weight.exp_avg_sq : tensor<32x64xf32> {optimizer_state}
  tp.parameter @layers.1.attention.wv.weight : tensor<32x64xf32>
  tp.parameter @optimizer.layers.1.attention.wv.weight.exp_avg : tensor<32x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.attention.wv.weight.exp_avg_sq : tensor<32x64xf32> {optimizer_state}
  tp.parameter @layers.1.attention.wo.weight : tensor<64x64xf32>
  tp.parameter @optimizer.layers.1.attention.wo.weight.exp_avg : tensor<64x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.attention.wo.weight.exp_avg_sq : tensor<64x64xf32> {optimizer_state}
  tp.parameter @layers.1.feed_forward.w1.weight : tensor<192x64xf32>
  tp.parameter @optimizer.layers.1.feed_forward.w1.weight.exp_avg : tensor<192x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.feed_forward.w1.weight.exp_avg_sq : tensor<192x64xf32> {optimizer_state}
  tp.parameter @layers.1.feed_forward.w2.weight : tensor<64x192xf32>
  tp.parameter @optimizer.layers.1.feed_forward.w2.weight.exp_avg : tensor<64x192xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.feed_forward.w2.weight.exp_avg_sq : tensor<64x192xf32> {optimizer_state}
  tp.parameter @layers.1.feed_forward.w3.weight : tensor<192x64xf32>
  tp.parameter @optimizer.layers.1.feed_forward.w3.weight.exp_avg : tensor<192x64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.feed_forward.w3.weight.exp_avg_sq : tensor<192x64xf32> {optimizer_state}
  tp.parameter @layers.1.attention_norm.weight : tensor<64xf32>
  tp.parameter @optimizer.layers.1.attention_norm.weight.exp_avg : tensor<64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.attention_norm.weight.exp_avg_sq : tensor<64xf32> {optimizer_state}
  tp.parameter @layers.1.ffn_norm.weight : tensor<64xf32>
  tp.parameter @optimizer.layers.1.ffn_norm.weight.exp_avg : tensor<64xf32> {optimizer_state}
  tp.parameter @optimizer.layers.1.ffn_norm.weight.exp_avg_sq : tensor<64xf32> {optimizer_state}
  tp.parameter @norm.weight : tensor<64xf32>
  tp.parameter @optimizer.norm.weight.exp_avg : tensor<64xf32> {optimizer_state}
  tp.parameter @optimizer.norm.weight.exp_avg_sq : tensor<64xf32> {optimizer_state}
  tp.parameter @output.weight : tensor<128x64xf32>
  tp.parameter @optimizer.output.weight.exp_avg : tensor<128x64xf32> {optimizer_state}
  tp.parameter @optimizer.output.weight.exp_avg_sq : tensor<128x64xf32> {optimizer_state}
  func.func @train_step(%arg0: tensor<2x16xi64>, %arg1: tensor<2x16xi64>) -> tensor<f32> attributes {tp.training = {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, loss = "cross_entropy", lr = 1.000000e-03 : f64, optimizer = "adamw", weight_decay = 1.000000e-02 : f64}} {
    %0 = tp.get_parameter @tok_embeddings.weight : tensor<128x64xf32>
    %1 = tp.embedding "tok_embeddings" %arg0, %0 : tensor<2x16xi64>, tensor<128x64xf32>
    %2 = tp.get_parameter @layers.0.attention_norm.weight : tensor<64xf32>
    %3 = tp.rms_norm "layers.0.attention_norm" %1, %2 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %4 = tp.get_parameter @layers.0.attention.wq.weight : tensor<64x64xf32>
    %5 = tp.linear "layers.0.attention.wq" %3, %4 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %6 = tp.get_parameter @layers.0.attention.wk.weight : tensor<32x64xf32>
    %7 = tp.linear "layers.0.attention.wk" %3, %6 : tensor<2x16x64xf32>, tensor<32x64xf32>
    %8 = tp.get_parameter @layers.0.attention.wv.weight : tensor<32x64xf32>
    %9 = tp.linear "layers.0.attention.wv" %3, %8 : tensor<2x16x64xf32>, tensor<32x64xf32>
    %10 = tp.reshape %5 : tensor<2x16x64xf32> -> tensor<2x16x8x8xf32>
    %11 = tp.reshape %7 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
    %12 = tp.reshape %9 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
    %13 = tp.rope %10 theta 5.000000e+05 convention half : tensor<2x16x8x8xf32>
    %14 = tp.rope %11 theta 5.000000e+05 convention half : tensor<2x16x4x8xf32>
    %15 = tp.attention %13, %14, %12 causal : tensor<2x16x8x8xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
    %16 = tp.reshape %15 : tensor<2x16x8x8xf32> -> tensor<2x16x64xf32>
    %17 = tp.get_parameter @layers.0.attention.wo.weight : tensor<64x64xf32>
    %18 = tp.linear "layers.0.attention.wo" %16, %17 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %19 = tp.add %1, %18 : tensor<2x16x64xf32>
    %20 = tp.get_parameter @layers.0.ffn_norm.weight : tensor<64xf32>
    %21 = tp.rms_norm "layers.0.ffn_norm" %19, %20 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %22 = tp.get_parameter @layers.0.feed_forward.w1.weight : tensor<192x64xf32>
    %23 = tp.linear "layers.0.feed_forward.w1" %21, %22 : tensor<2x16x64xf32>, tensor<192x64xf32>
    %24 = tp.get_parameter @layers.0.feed_forward.w3.weight : tensor<192x64xf32>
    %25 = tp.linear "layers.0.feed_forward.w3" %21, %24 : tensor<2x16x64xf32>, tensor<192x64xf32>
    %26 = tp.silu %23 : tensor<2x16x192xf32>
    %27 = tp.mul %26, %25 : tensor<2x16x192xf32>
    %28 = tp.get_parameter @layers.0.feed_forward.w2.weight : tensor<64x192xf32>
    %29 = tp.linear "layers.0.feed_forward.w2" %27, %28 : tensor<2x16x192xf32>, tensor<64x192xf32>
    %30 = tp.add %19, %29 : tensor<2x16x64xf32>
    %31 = tp.get_parameter @layers.1.attention_norm.weight : tensor<64xf32>
    %32 = tp.rms_norm "layers.1.attention_norm" %30, %31 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %33 = tp.get_parameter @layers.1.attention.wq.weight : tensor<64x64xf32>
    %34 = tp.linear "layers.1.attention.wq" %32, %33 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %35 = tp.get_parameter @layers.1.attention.wk.weight : tensor<32x64xf32>
    %36 = tp.linear "layers.1.attention.wk" %32, %35 : tensor<2x16x64xf32>, tensor<32x64xf32>
    %37 = tp.get_parameter @layers.1.attention.wv.weight : tensor<32x64xf32>
    %38 = tp.linear "layers.1.attention.wv" %32, %37 : tensor<2x16x64xf32>, tensor<32x64xf32>
    %39 = tp.reshape %34 : tensor<2x16x64xf32> -> tensor<2x16x8x8xf32>
    %40 = tp.reshape %36 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
    %41 = tp.reshape %38 : tensor<2x16x32xf32> -> tensor<2x16x4x8xf32>
    %42 = tp.rope %39 theta 5.000000e+05 convention half : tensor<2x16x8x8xf32>
    %43 = tp.rope %40 theta 5.000000e+05 convention half : tensor<2x16x4x8xf32>
    %44 = tp.attention %42, %43, %41 causal : tensor<2x16x8x8xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
    %45 = tp.reshape %44 : tensor<2x16x8x8xf32> -> tensor<2x16x64xf32>
    %46 = tp.get_parameter @layers.1.attention.wo.weight : tensor<64x64xf32>
    %47 = tp.linear "layers.1.attention.wo" %45, %46 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %48 = tp.add %30, %47 : tensor<2x16x64xf32>
    %49 = tp.get_parameter @layers.1.ffn_norm.weight : tensor<64xf32>
    %50 = tp.rms_norm "layers.1.ffn_norm" %48, %49 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %51 = tp.get_parameter @layers.1.feed_forward.w1.weight : tensor<192x64xf32>
    %52 = tp.linear "layers.1.feed_forward.w1" %50, %51 : tensor<2x16x64xf32>, tensor<192x64xf32>
    %53 = tp.get_parameter @layers.1.feed_forward.w3.weight : tensor<192x64xf32>
    %54 = tp.linear "layers.1.feed_forward.w3" %50, %53 : tensor<2x16x64xf32>, tensor<192x64xf32>
    %55 = tp.silu %52 : tensor<2x16x192xf32>
    %56 = tp.mul %55, %54 : tensor<2x16x192xf32>
    %57 = tp.get_parameter @layers.1.feed_forward.w2.weight : tensor<64x192xf32>
    %58 = tp.linear "layers.1.feed_forward.w2" %56, %57 : tensor<2x16x192xf32>, tensor<64x192xf32>
    %59 = tp.add %48, %58 : tensor<2x16x64xf32>
    %60 = tp.get_parameter @norm.weight : tensor<64xf32>
    %61 = tp.rms_norm "norm" %59, %60 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %62 = tp.get_parameter @output.weight : tensor<128x64xf32>
    %63 = tp.linear "output" %61, %62 : tensor<2x16x64xf32>, tensor<128x64xf32>
    %64 = tp.cross_entropy %63, %arg1 : tensor<2x16x128xf32>, tensor<2x16xi64>
    %65 = tp.fill 1.000000e+00 : tensor<f32>
    %66 = tp.cross_entropy_grad %63, %arg1, %65 : tensor<2x16x128xf32>, tensor<2x16xi64>, tensor<f32>
    %67 = tp.linear_input_grad "output" %66, %62 : tensor<2x16x128xf32>, tensor<128x64xf32>
    %68 = tp.linear_weight_grad "output" %66, %61 : tensor<2x16x128xf32>, tensor<2x16x64xf32>
    %69 = tp.get_parameter @optimizer.output.weight.exp_avg : tensor<128x64xf32>
    %70 = tp.get_parameter @optimizer.output.weight.exp_avg_sq : tensor<128x64xf32>
    tp.adamw %62, %68, %69, %70 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<128x64xf32>
    %71 = tp.rms_norm_input_grad "norm" %59, %60, %67 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %72 = tp.rms_norm_weight_grad "norm" %59, %67 eps 1.000000e-05 : tensor<2x16x64xf32> -> tensor<64xf32>
    %73 = tp.get_parameter @optimizer.norm.weight.exp_avg : tensor<64xf32>
    %74 = tp.get_parameter @optimizer.norm.weight.exp_avg_sq : tensor<64xf32>
    tp.adamw %60, %72, %73, %74 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64xf32>
    %75 = tp.linear_input_grad "layers.1.feed_forward.w2" %71, %57 : tensor<2x16x64xf32>, tensor<64x192xf32>
    %76 = tp.linear_weight_grad "layers.1.feed_forward.w2" %71, %56 : tensor<2x16x64xf32>, tensor<2x16x192xf32>
    %77 = tp.get_parameter @optimizer.layers.1.feed_forward.w2.weight.exp_avg : tensor<64x192xf32>
    %78 = tp.get_parameter @optimizer.layers.1.feed_forward.w2.weight.exp_avg_sq : tensor<64x192xf32>
    tp.adamw %57, %76, %77, %78 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64x192xf32>
    %79 = tp.mul %75, %54 : tensor<2x16x192xf32>
    %80 = tp.mul %75, %55 : tensor<2x16x192xf32>
    %81 = tp.silu_grad %52, %79 : tensor<2x16x192xf32>
    %82 = tp.linear_input_grad "layers.1.feed_forward.w3" %80, %53 : tensor<2x16x192xf32>, tensor<192x64xf32>
    %83 = tp.linear_weight_grad "layers.1.feed_forward.w3" %80, %50 : tensor<2x16x192xf32>, tensor<2x16x64xf32>
    %84 = tp.get_parameter @optimizer.layers.1.feed_forward.w3.weight.exp_avg : tensor<192x64xf32>
    %85 = tp.get_parameter @optimizer.layers.1.feed_forward.w3.weight.exp_avg_sq : tensor<192x64xf32>
    tp.adamw %53, %83, %84, %85 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<192x64xf32>
    %86 = tp.linear_input_grad "layers.1.feed_forward.w1" %81, %51 : tensor<2x16x192xf32>, tensor<192x64xf32>
    %87 = tp.linear_weight_grad "layers.1.feed_forward.w1" %81, %50 : tensor<2x16x192xf32>, tensor<2x16x64xf32>
    %88 = tp.add %82, %86 : tensor<2x16x64xf32>
    %89 = tp.get_parameter @optimizer.layers.1.feed_forward.w1.weight.exp_avg : tensor<192x64xf32>
    %90 = tp.get_parameter @optimizer.layers.1.feed_forward.w1.weight.exp_avg_sq : tensor<192x64xf32>
    tp.adamw %51, %87, %89, %90 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<192x64xf32>
    %91 = tp.rms_norm_input_grad "layers.1.ffn_norm" %48, %49, %88 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %92 = tp.rms_norm_weight_grad "layers.1.ffn_norm" %48, %88 eps 1.000000e-05 : tensor<2x16x64xf32> -> tensor<64xf32>
    %93 = tp.add %71, %91 : tensor<2x16x64xf32>
    %94 = tp.get_parameter @optimizer.layers.1.ffn_norm.weight.exp_avg : tensor<64xf32>
    %95 = tp.get_parameter @optimizer.layers.1.ffn_norm.weight.exp_avg_sq : tensor<64xf32>
    tp.adamw %49, %92, %94, %95 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64xf32>
    %96 = tp.linear_input_grad "layers.1.attention.wo" %93, %46 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %97 = tp.linear_weight_grad "layers.1.attention.wo" %93, %45 : tensor<2x16x64xf32>, tensor<2x16x64xf32>
    %98 = tp.get_parameter @optimizer.layers.1.attention.wo.weight.exp_avg : tensor<64x64xf32>
    %99 = tp.get_parameter @optimizer.layers.1.attention.wo.weight.exp_avg_sq : tensor<64x64xf32>
    tp.adamw %46, %97, %98, %99 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64x64xf32>
    %100 = tp.reshape %96 : tensor<2x16x64xf32> -> tensor<2x16x8x8xf32>
    %query_grad, %key_grad, %value_grad = tp.attention_grad %42, %43, %41, %100 causal : tensor<2x16x8x8xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
    %101 = tp.rope_grad %key_grad theta 5.000000e+05 convention half : tensor<2x16x4x8xf32>
    %102 = tp.rope_grad %query_grad theta 5.000000e+05 convention half : tensor<2x16x8x8xf32>
    %103 = tp.reshape %value_grad : tensor<2x16x4x8xf32> -> tensor<2x16x32xf32>
    %104 = tp.reshape %101 : tensor<2x16x4x8xf32> -> tensor<2x16x32xf32>
    %105 = tp.reshape %102 : tensor<2x16x8x8xf32> -> tensor<2x16x64xf32>
    %106 = tp.linear_input_grad "layers.1.attention.wv" %103, %37 : tensor<2x16x32xf32>, tensor<32x64xf32>
    %107 = tp.linear_weight_grad "layers.1.attention.wv" %103, %32 : tensor<2x16x32xf32>, tensor<2x16x64xf32>
    %108 = tp.get_parameter @optimizer.layers.1.attention.wv.weight.exp_avg : tensor<32x64xf32>
    %109 = tp.get_parameter @optimizer.layers.1.attention.wv.weight.exp_avg_sq : tensor<32x64xf32>
    tp.adamw %37, %107, %108, %109 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<32x64xf32>
    %110 = tp.linear_input_grad "layers.1.attention.wk" %104, %35 : tensor<2x16x32xf32>, tensor<32x64xf32>
    %111 = tp.linear_weight_grad "layers.1.attention.wk" %104, %32 : tensor<2x16x32xf32>, tensor<2x16x64xf32>
    %112 = tp.add %106, %110 : tensor<2x16x64xf32>
    %113 = tp.get_parameter @optimizer.layers.1.attention.wk.weight.exp_avg : tensor<32x64xf32>
    %114 = tp.get_parameter @optimizer.layers.1.attention.wk.weight.exp_avg_sq : tensor<32x64xf32>
    tp.adamw %35, %111, %113, %114 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<32x64xf32>
    %115 = tp.linear_input_grad "layers.1.attention.wq" %105, %33 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %116 = tp.linear_weight_grad "layers.1.attention.wq" %105, %32 : tensor<2x16x64xf32>, tensor<2x16x64xf32>
    %117 = tp.add %112, %115 : tensor<2x16x64xf32>
    %118 = tp.get_parameter @optimizer.layers.1.attention.wq.weight.exp_avg : tensor<64x64xf32>
    %119 = tp.get_parameter @optimizer.layers.1.attention.wq.weight.exp_avg_sq : tensor<64x64xf32>
    tp.adamw %33, %116, %118, %119 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64x64xf32>
    %120 = tp.rms_norm_input_grad "layers.1.attention_norm" %30, %31, %117 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %121 = tp.rms_norm_weight_grad "layers.1.attention_norm" %30, %117 eps 1.000000e-05 : tensor<2x16x64xf32> -> tensor<64xf32>
    %122 = tp.add %93, %120 : tensor<2x16x64xf32>
    %123 = tp.get_parameter @optimizer.layers.1.attention_norm.weight.exp_avg : tensor<64xf32>
    %124 = tp.get_parameter @optimizer.layers.1.attention_norm.weight.exp_avg_sq : tensor<64xf32>
    tp.adamw %31, %121, %123, %124 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64xf32>
    %125 = tp.linear_input_grad "layers.0.feed_forward.w2" %122, %28 : tensor<2x16x64xf32>, tensor<64x192xf32>
    %126 = tp.linear_weight_grad "layers.0.feed_forward.w2" %122, %27 : tensor<2x16x64xf32>, tensor<2x16x192xf32>
    %127 = tp.get_parameter @optimizer.layers.0.feed_forward.w2.weight.exp_avg : tensor<64x192xf32>
    %128 = tp.get_parameter @optimizer.layers.0.feed_forward.w2.weight.exp_avg_sq : tensor<64x192xf32>
    tp.adamw %28, %126, %127, %128 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64x192xf32>
    %129 = tp.mul %125, %25 : tensor<2x16x192xf32>
    %130 = tp.mul %125, %26 : tensor<2x16x192xf32>
    %131 = tp.silu_grad %23, %129 : tensor<2x16x192xf32>
    %132 = tp.linear_input_grad "layers.0.feed_forward.w3" %130, %24 : tensor<2x16x192xf32>, tensor<192x64xf32>
    %133 = tp.linear_weight_grad "layers.0.feed_forward.w3" %130, %21 : tensor<2x16x192xf32>, tensor<2x16x64xf32>
    %134 = tp.get_parameter @optimizer.layers.0.feed_forward.w3.weight.exp_avg : tensor<192x64xf32>
    %135 = tp.get_parameter @optimizer.layers.0.feed_forward.w3.weight.exp_avg_sq : tensor<192x64xf32>
    tp.adamw %24, %133, %134, %135 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<192x64xf32>
    %136 = tp.linear_input_grad "layers.0.feed_forward.w1" %131, %22 : tensor<2x16x192xf32>, tensor<192x64xf32>
    %137 = tp.linear_weight_grad "layers.0.feed_forward.w1" %131, %21 : tensor<2x16x192xf32>, tensor<2x16x64xf32>
    %138 = tp.add %132, %136 : tensor<2x16x64xf32>
    %139 = tp.get_parameter @optimizer.layers.0.feed_forward.w1.weight.exp_avg : tensor<192x64xf32>
    %140 = tp.get_parameter @optimizer.layers.0.feed_forward.w1.weight.exp_avg_sq : tensor<192x64xf32>
    tp.adamw %22, %137, %139, %140 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<192x64xf32>
    %141 = tp.rms_norm_input_grad "layers.0.ffn_norm" %19, %20, %138 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %142 = tp.rms_norm_weight_grad "layers.0.ffn_norm" %19, %138 eps 1.000000e-05 : tensor<2x16x64xf32> -> tensor<64xf32>
    %143 = tp.add %122, %141 : tensor<2x16x64xf32>
    %144 = tp.get_parameter @optimizer.layers.0.ffn_norm.weight.exp_avg : tensor<64xf32>
    %145 = tp.get_parameter @optimizer.layers.0.ffn_norm.weight.exp_avg_sq : tensor<64xf32>
    tp.adamw %20, %142, %144, %145 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64xf32>
    %146 = tp.linear_input_grad "layers.0.attention.wo" %143, %17 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %147 = tp.linear_weight_grad "layers.0.attention.wo" %143, %16 : tensor<2x16x64xf32>, tensor<2x16x64xf32>
    %148 = tp.get_parameter @optimizer.layers.0.attention.wo.weight.exp_avg : tensor<64x64xf32>
    %149 = tp.get_parameter @optimizer.layers.0.attention.wo.weight.exp_avg_sq : tensor<64x64xf32>
    tp.adamw %17, %147, %148, %149 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64x64xf32>
    %150 = tp.reshape %146 : tensor<2x16x64xf32> -> tensor<2x16x8x8xf32>
    %query_grad_0, %key_grad_1, %value_grad_2 = tp.attention_grad %13, %14, %12, %150 causal : tensor<2x16x8x8xf32>, tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
    %151 = tp.rope_grad %key_grad_1 theta 5.000000e+05 convention half : tensor<2x16x4x8xf32>
    %152 = tp.rope_grad %query_grad_0 theta 5.000000e+05 convention half : tensor<2x16x8x8xf32>
    %153 = tp.reshape %value_grad_2 : tensor<2x16x4x8xf32> -> tensor<2x16x32xf32>
    %154 = tp.reshape %151 : tensor<2x16x4x8xf32> -> tensor<2x16x32xf32>
    %155 = tp.reshape %152 : tensor<2x16x8x8xf32> -> tensor<2x16x64xf32>
    %156 = tp.linear_input_grad "layers.0.attention.wv" %153, %8 : tensor<2x16x32xf32>, tensor<32x64xf32>
    %157 = tp.linear_weight_grad "layers.0.attention.wv" %153, %3 : tensor<2x16x32xf32>, tensor<2x16x64xf32>
    %158 = tp.get_parameter @optimizer.layers.0.attention.wv.weight.exp_avg : tensor<32x64xf32>
    %159 = tp.get_parameter @optimizer.layers.0.attention.wv.weight.exp_avg_sq : tensor<32x64xf32>
    tp.adamw %8, %157, %158, %159 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<32x64xf32>
    %160 = tp.linear_input_grad "layers.0.attention.wk" %154, %6 : tensor<2x16x32xf32>, tensor<32x64xf32>
    %161 = tp.linear_weight_grad "layers.0.attention.wk" %154, %3 : tensor<2x16x32xf32>, tensor<2x16x64xf32>
    %162 = tp.add %156, %160 : tensor<2x16x64xf32>
    %163 = tp.get_parameter @optimizer.layers.0.attention.wk.weight.exp_avg : tensor<32x64xf32>
    %164 = tp.get_parameter @optimizer.layers.0.attention.wk.weight.exp_avg_sq : tensor<32x64xf32>
    tp.adamw %6, %161, %163, %164 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<32x64xf32>
    %165 = tp.linear_input_grad "layers.0.attention.wq" %155, %4 : tensor<2x16x64xf32>, tensor<64x64xf32>
    %166 = tp.linear_weight_grad "layers.0.attention.wq" %155, %3 : tensor<2x16x64xf32>, tensor<2x16x64xf32>
    %167 = tp.add %162, %165 : tensor<2x16x64xf32>
    %168 = tp.get_parameter @optimizer.layers.0.attention.wq.weight.exp_avg : tensor<64x64xf32>
    %169 = tp.get_parameter @optimizer.layers.0.attention.wq.weight.exp_avg_sq : tensor<64x64xf32>
    tp.adamw %4, %166, %168, %169 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64x64xf32>
    %170 = tp.rms_norm_input_grad "layers.0.attention_norm" %1, %2, %167 eps 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    %171 = tp.rms_norm_weight_grad "layers.0.attention_norm" %1, %167 eps 1.000000e-05 : tensor<2x16x64xf32> -> tensor<64xf32>
    %172 = tp.add %143, %170 : tensor<2x16x64xf32>
    %173 = tp.get_parameter @optimizer.layers.0.attention_norm.weight.exp_avg : tensor<64xf32>
    %174 = tp.get_parameter @optimizer.layers.0.attention_norm.weight.exp_avg_sq : tensor<64xf32>
    tp.adamw %2, %171, %173, %174 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<64xf32>
    %175 = tp.embedding_grad "tok_embeddings" %arg0, %172 : tensor<2x16xi64>, tensor<2x16x64xf32> -> tensor<128x64xf32>
    %176 = tp.get_parameter @optimizer.tok_embeddings.weight.exp_avg : tensor<128x64xf32>
    %177 = tp.get_parameter @optimizer.tok_embeddings.weight.exp_avg_sq : tensor<128x64xf32>
    tp.adamw %0, %175, %176, %177 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<128x64xf32>
    return %64 : tensor<f32>
  }
}

