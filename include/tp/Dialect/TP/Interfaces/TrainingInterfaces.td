//===- TrainingInterfaces.td - what training asks of ops ----*- tablegen -*-===//
//
// This file declares the op interfaces a training step is built with: the
// derivative rule of each differentiable op, which tp-autodiff applies in
// reverse, the layer a backward op belongs to, and the parameter an
// optimizer update writes.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_INTERFACES_TRAININGINTERFACES_TD
#define TP_DIALECT_TP_INTERFACES_TRAININGINTERFACES_TD

include "mlir/IR/OpBase.td"

def TP_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::tp";
  let description = [{
    An op's derivative rule: given the gradients of its results, it builds
    the ops that compute the gradients of its operands (a vector-Jacobian
    product, as JAX's transpose rules and Enzyme's reverse rules). The rule
    lives with the op, so tp-autodiff differentiates any program made of ops
    that have one without knowing them. The rules build global (unsharded)
    ops: the sharding passes shard the backward like the forward.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Builds, at `builder`'s point, the gradient of every operand
                 `i` for which `needed[i]` holds into `operandGrads[i]` (the
                 vector is sized to the operands; the others stay null),
                 given `resultGrads`, the gradient of each result (null for a
                 result the loss does not depend on). Returns failure, with
                 an error, where the op cannot be differentiated.}],
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildGradients",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::ValueRange":$resultGrads,
                    "::llvm::ArrayRef<bool>":$needed,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

def TP_LayerGradientOpInterface : OpInterface<"LayerGradientOpInterface"> {
  let cppNamespace = "::mlir::tp";
  let description = [{
    A backward op of a layer (the gradient of a linear layer's input or
    weight) names the layer, so that the report and the runtime's messages
    say whose gradient a collective moves. Plans do not match it: it is not
    a layer op.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"The module path of the layer whose gradient the op computes.",
      /*retTy=*/"::llvm::StringRef",
      /*methodName=*/"getLayer",
      /*args=*/(ins),
      /*methodBody=*/"return $_op.getLayer();">
  ];
}

def TP_ParameterUpdateOpInterface : OpInterface<"ParameterUpdateOpInterface"> {
  let cppNamespace = "::mlir::tp";
  let description = [{
    An optimizer update writes a parameter (and its optimizer state) in
    place from the parameter's gradient. Its operands are the values
    `tp.get_parameter` read, so every operand takes the parameter's layout:
    tp-propagate lays the gradient out as the parameter is, which adds the
    gradient's collectives (an all-reduce over `dp` for a replicated weight).
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"The parameter the update writes, as tp.get_parameter read it.",
      /*retTy=*/"::mlir::Value",
      /*methodName=*/"getParam",
      /*args=*/(ins),
      /*methodBody=*/"return $_op.getParam();">,
    InterfaceMethod<
      /*desc=*/"The parameter's gradient.",
      /*retTy=*/"::mlir::Value",
      /*methodName=*/"getGrad",
      /*args=*/(ins),
      /*methodBody=*/"return $_op.getGrad();">
  ];
}

#endif // TP_DIALECT_TP_INTERFACES_TRAININGINTERFACES_TD
