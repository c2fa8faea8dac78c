//===- ShardingRuleInterface.td - per-op sharding rules ----*- tablegen -*-===//
//
// This file declares the op interface through which every model op tells the
// sharding passes how its operand and result dims relate.
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

#endif // TP_DIALECT_TP_INTERFACES_SHARDINGRULEINTERFACE_TD
