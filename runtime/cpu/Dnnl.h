//===- Dnnl.h - 16-bit GEMMs through oneDNN ---------------------*- C++ -*-===//
//
// This file declares the cpu backend's 16-bit matrix products: oneDNN's
// matmul, which reads bf16 (and, on CPUs that have them, f16) operands as
// they are, accumulates in f32 and rounds the result once, at the speed of
// the CPU's 16-bit instructions (AVX512-BF16, AMX) and with half the memory
// traffic of f32 (OpenBLAS on Debian exports no 16-bit GEMM).
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_CPU_DNNL_H
#define TPRT_CPU_DNNL_H

#include "Context.h"

#include <cstdint>

namespace tprt {

/// c[i] = a[i] * b[i] (+ bias) for i < batch, row-major: a [m, k], or
/// [k, m] read transposed when `transposeA` (the gradient of a linear's
/// output, for its weight's), c [m, n], b [k, n], or [n, k] read transposed
/// when `transposeB` (a linear layer's weight), bias [n] or null. Returns
/// false, having done nothing, where oneDNN has no implementation for `dtype`
/// on this CPU; the caller then computes in f32. The primitive of each shape is
/// made once per context.
bool dnnlMatmul(tprt_context &ctx, const char *call, const char *layer,
                int32_t dtype, const void *a, const void *b, const void *bias,
                void *c, int64_t batch, int64_t m, int64_t n, int64_t k,
                bool transposeA, bool transposeB);

} // namespace tprt

#endif // TPRT_CPU_DNNL_H
