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

namespace tprt {

/// Replaces row[0, n) by its softmax: max-subtracted, summed in double.
void softmaxRow(float *row, int64_t n);

} // namespace tprt

#endif // TPRT_CPU_KERNELS_H
