module attributes {tp.plan = {plan = {w1 = "colwise", w2 = "rowwise", w3 = "colwise"}}} {
  tp.parameter @w1.weight : tensor<8192x8192xf32>
  tp.parameter @optimizer.w1.weight.exp_avg : tensor<8192x8192xf32> {optimizer_state}
  tp.parameter @optimizer.w1.weight.exp_avg_sq : tensor<8192x8192xf32> {optimizer_state}
  tp.parameter @w2.weight : tensor<8192x8192xf32>
  tp.parameter @optimizer.w2.weight.exp_avg : tensor<8192x8192xf32> {optimizer_state}
  tp.parameter @optimizer.w2.weight.exp_avg_sq : tensor<8192x8192xf32> {optimizer_state}
  tp.parameter @w3.weight : tensor<8192x8192xf32>
  tp.parameter @optimizer.w3.weight.exp_avg : tensor<8192x8192xf32> {optimizer_state}
  tp.parameter @optimizer.w3.weight.exp_avg_sq : tensor<8192x8192xf32> {optimizer_state}
  func.func @train_step(%arg0: tensor<8x8192xf32>) -> tensor<f32> attributes {tp.training = {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, loss = "sum", lr = 1.000000e-03 : f64, optimizer = "adamw", weight_decay = 1.000000e-02 : f64}} {
    %0 = tp.get_parameter @w1.weight : tensor<8192x8192xf32>
    %1 = tp.get_parameter @w2.weight : tensor<8192x8192xf32>
    %2 = tp.get_parameter @w3.weight : tensor<8192x8192xf32>
    %3 = tp.linear "w1" %arg0, %0 : tensor<8x8192xf32>, tensor<8192x8192xf32>
    %4 = tp.silu %3 : tensor<8x8192xf32>
    %5 = tp.linear "w3" %arg0, %2 : tensor<8x8192xf32>, tensor<8192x8192xf32>
    %6 = tp.mul %4, %5 : tensor<8x8192xf32>
    %7 = tp.linear "w2" %6, %1 : tensor<8x8192xf32>, tensor<8192x8192xf32>
    %8 = tp.sum %7 : tensor<8x8192xf32>
    %9 = tp.fill 1.000000e+00 : tensor<f32>
    %10 = tp.broadcast %9 dims [0, 1] : tensor<f32> -> tensor<8x8192xf32>
    %11 = tp.linear_input_grad "w2" %10, %1 : tensor<8x8192xf32>, tensor<8192x8192xf32>
    %12 = tp.linear_weight_grad "w2" %10, %6 : tensor<8x8192xf32>, tensor<8x8192xf32>
    %13 = tp.get_parameter @optimizer.w2.weight.exp_avg : tensor<8192x8192xf32>
    %14 = tp.get_parameter @optimizer.w2.weight.exp_avg_sq : tensor<8192x8192xf32>
    tp.adamw %1, %12, %13, %14 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<8192x8192xf32>
    %15 = tp.mul %11, %5 : tensor<8x8192xf32>
    %16 = tp.mul %11, %4 : tensor<8x8192xf32>
    %17 = tp.linear_weight_grad "w3" %16, %arg0 : tensor<8x8192xf32>, tensor<8x8192xf32>
    %18 = tp.get_parameter @optimizer.w3.weight.exp_avg : tensor<8192x8192xf32>
    %19 = tp.get_parameter @optimizer.w3.weight.exp_avg_sq : tensor<8192x8192xf32>
    tp.adamw %2, %17, %18, %19 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<8192x8192xf32>
    %20 = tp.silu_grad %3, %15 : tensor<8x8192xf32>
    %21 = tp.linear_weight_grad "w1" %20, %arg0 : tensor<8x8192xf32>, tensor<8x8192xf32>
    %22 = tp.get_parameter @optimizer.w1.weight.exp_avg : tensor<8192x8192xf32>
    %23 = tp.get_parameter @optimizer.w1.weight.exp_avg_sq : tensor<8192x8192xf32>
    tp.adamw %0, %21, %22, %23 lr 1.000000e-03 betas(9.000000e-01, 0.99899999999999999) eps 1.000000e-08 weight_decay 1.000000e-02 : tensor<8192x8192xf32>
    return %8 : tensor<f32>
  }
}

