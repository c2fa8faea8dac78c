//===- Manifest.h - the model description the runtime reads ----*- C++ -*-===//
//
// This file declares the writer of `tp_model_manifest`, the JSON description
// of a compiled rank's program that the runtime's main reads before it runs
// it: the mesh, every parameter, input and output with its layout and place
// in the buffers, the buffer sizes and the rank's report. docs/Manifest.md is
// its schema; the runtime refuses a manifest of another version.
//
//===----------------------------------------------------------------------===//

#ifndef TP_CONVERSION_TPTORUNTIME_MANIFEST_H
#define TP_CONVERSION_TPTORUNTIME_MANIFEST_H

#include "tp/Conversion/TPToRuntime/BufferPlan.h"

namespace mlir::tp {

/// The runtime's tprt_dtype code of a float element type (tprt.h); none for
/// other types.
std::optional<int32_t> getRuntimeDType(Type element);

/// The safetensors name of an element type the runtime takes ("F32", "F16",
/// "BF16", "I64"); none for other types.
std::optional<StringRef> getDTypeName(Type element);

/// The global shape of a value of local `type` laid out by `layout` (which
/// may be null: the value is whole).
SmallVector<int64_t> getGlobalShape(MeshOp mesh, LayoutAttr layout,
                                    RankedTensorType type);

/// The manifest of the rank's program `function` on `mesh`, whose buffers are
/// planned by `plan` and whose step does `flops` floating-point operations,
/// as the JSON text docs/Manifest.md describes.
FailureOr<std::string> buildManifest(MeshOp mesh, func::FuncOp function,
                                     const BufferPlan &plan, double flops);

} // namespace mlir::tp

#endif // TP_CONVERSION_TPTORUNTIME_MANIFEST_H
