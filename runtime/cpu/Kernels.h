//===- Kernels.h - helpers shared by the cpu kernels ------------*- C++ -*-===//
//
// This file declares what several cpu kernels share: argument checks that
// name the failing call and layer, and the numerically careful softmax of one
// row used by softmax and attention.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_CPU_KERNELS_H
#define TPRT_CPU_KERNELS_H

#include "tprt/tprt.h"

#include <cstdint>
#include <string>

namespace tprt {

/// How messages name a call: "tprt_linear 'layers.0.attention.wq'".
std::string callName(const char *call, const char *layer);

/// `value` as a BLAS dimension (OpenBLAS takes 32-bit ints); fails unless it
/// lies in [0, INT_MAX].
int blasDim(const tprt_context *ctx, const char *call, const char *layer,
            const char *what, int64_t value);

/// Replaces row[0, n) by its softmax: max-subtracted, summed in double.
void softmaxRow(float *row, int64_t n);

} // namespace tprt

#endif // TPRT_CPU_KERNELS_H
