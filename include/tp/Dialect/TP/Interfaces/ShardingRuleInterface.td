//===- ShardingRuleInterface.td - per-op sharding rules ----*- tablegen -*-===//
//
// This file declares the op interfaces through which every model op tells the
// sharding passes how its operand and result dims relate, and through which a
// layer op says what each parallel style of a plan splits in it.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_TD
#define TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_TD

include "mlir/IR/OpBase.td"

def TP_ShardingRuleOpInterface : OpInterface<"ShardingRuleOpInterface"> {
  let cppNamespace = "::mlir::tp";
  let description = [{
    An op's sharding rule names its iteration factors (the loops of its
    computation, as Shardy's OpShardingRule) and, for every operand and
    result dim, the factors that dim is made of. Splitting a factor over a
    mesh axis splits every dim whose major factor it is: a parallel factor
    gives sharded results, a reduction factor gives partial sums, and a
    blocked factor (a norm's features, a softmax dim) cannot be split. The
    rule also says through which operands a partial sum may flow unreduced
    (the op is linear in them).

    The default is the rule of an elementwise op whose operands and results
    all have the shape of result 0 and through which no partial sum flows.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"Returns the op's sharding rule.",
      /*retTy=*/"::mlir::tp::ShardingRule",
      /*methodName=*/"getShardingRule",
      /*args=*/(ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        return ::mlir::tp::ShardingRule::elementwise(
            $_op, ::mlir::tp::ShardingRule::PartialFlow::None);
      }]>
  ];
}

def TP_LayerOpInterface : OpInterface<"LayerOpInterface"> {
  let cppNamespace = "::mlir::tp";
  let description = [{
    A layer op is what a parallelization plan names: it carries its module
    path (`layers.0.feed_forward.w1`) and says which parallel styles it
    takes and which factor of its sharding rule each one splits. Every layer
    takes `replicate`, which splits nothing; tp-apply-plan and tp-propagate
    ask the op for the rest, so a new layer op needs no change to them.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{The layer's module path, which plans match and messages
                 name.}],
      /*retTy=*/"::llvm::StringRef",
      /*methodName=*/"getLayer",
      /*args=*/(ins),
      /*methodBody=*/"return $_op.getLayer();">,
    InterfaceMethod<
      /*desc=*/[{The styles the layer takes besides `replicate`, in the order
                 messages list them.}],
      /*retTy=*/"::llvm::SmallVector<::mlir::tp::ParallelStyleKind>",
      /*methodName=*/"getParallelStyles",
      /*args=*/(ins)>,
    InterfaceMethod<
      /*desc=*/[{What style `kind`, one of getParallelStyles(), splits in
                 this op, whose sharding rule is `rule`; emits an error and
                 fails where the op's shapes cannot take it.}],
      /*retTy=*/"::mlir::FailureOr<::mlir::tp::StyleSplit>",
      /*methodName=*/"getStyleSplit",
      /*args=*/(ins "::mlir::tp::ParallelStyleKind":$kind,
                    "const ::mlir::tp::ShardingRule &":$rule)>
  ];
}

#endif // TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_TD
