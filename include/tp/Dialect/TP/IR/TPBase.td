//===- TPBase.td - tp dialect definition and type constraints -*- tablegen -*-===//
//
// This file defines the `tp` dialect and the tensor type constraints its ops
// share.
//
//===----------------------------------------------------------------------===//

#ifndef TP_DIALECT_TP_IR_TPBASE_TD
#define TP_DIALECT_TP_IR_TPBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def TP_Dialect : Dialect {
  let name = "tp";
  let cppNamespace = "::mlir::tp";
  let summary = "Tensor-parallel models: global ops, layouts and collectives";
  let description = [{
    The `tp` dialect describes a neural-network model with global (unsharded)
    semantics and PyTorch conventions, the device mesh it runs on, how each
    tensor is laid out over that mesh, and the collectives that move data
    between layouts.

    A model is a `func.func` (named `forward` unless told otherwise) whose
    arguments are its inputs (activations, token ids, labels) and whose
    results are its outputs. Its weights are not arguments: they are named
    parameters (`tp.parameter`, keyed by their PyTorch state-dict name) read
    with `tp.get_parameter`, so a checkpoint can be checked against the model
    before any compute and the same function serves as the global program and
    as each rank's program.

    Layouts are DTensor's placements, one per mesh axis: `R` (replicate),
    `S(d)` (shard tensor dim `d`) and `P(sum)` (each rank holds a partial sum),
    written `#tp.layout<@mesh, [S(0), R]>` for a mesh `tp.mesh @mesh(dp = 2,
    tp = 4)`.

    Collectives (`tp.all_reduce`, `tp.all_gather`, `tp.reduce_scatter`,
    `tp.all_to_all`, `tp.local_slice`) each run over named mesh axes. In the
    global program they keep the tensor's global type and only change its
    layout; in a rank's program (after partitioning) their types are the local
    shard shapes, and the verifier checks that the local shapes agree with the
    mesh.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
}

class TP_Op<string mnemonic, list<Trait> traits = []>
    : Op<TP_Dialect, mnemonic, traits>;

class TP_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<TP_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def TP_FloatTensor : RankedTensorOf<[AnyFloat], [HasStaticShapePred],
    "statically shaped tensor">;

def TP_IndexTensor : RankedTensorOf<[I32, I64], [HasStaticShapePred],
    "statically shaped tensor">;

def TP_AnyTensor : RankedTensorOf<[AnyFloat, I32, I64], [HasStaticShapePred],
    "statically shaped tensor">;

#endif // TP_DIALECT_TP_IR_TPBASE_TD
