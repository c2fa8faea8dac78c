//===- Kernels.h - helpers shared by the cpu kernels ------------*- C++ -*-===//
//
// This file declares what the cpu kernels share beyond their declarations
// (cpu::linear ..., Backend.h) and the argument checks (Checks.h), which it
// includes: the f32 views that let kernels written once in f32 serve f16 and
// bf16 calls, and the numerically careful softmax of one row used by softmax
// and attention.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_CPU_KERNELS_H
#define TPRT_CPU_KERNELS_H

#include "Backend.h"
#include "Checks.h"

#include <cstdint>
#include <vector>

namespace tprt {

/// f32 views of one call's tensors. An f32 call's tensors are used in place;
/// an f16 or bf16 call's inputs are widened into the context's f32 copies,
/// and its outputs are computed there and rounded into their tensors when
/// the scope ends, once, as tprt.h specifies. Outputs may alias inputs:
/// nothing is written to a tensor before the kernel is done.
class F32Scope {
public:
  /// Fails naming `call` and `layer` when `dtype` is not a tprt_dtype.
  F32Scope(tprt_context &ctx, const char *call, const char *layer,
           int32_t dtype);
  ~F32Scope();
  F32Scope(const F32Scope &) = delete;
  F32Scope &operator=(const F32Scope &) = delete;

  /// `count` elements of an input tensor, as f32.
  const float *input(const void *tensor, int64_t count);
  /// An f32 buffer for `count` elements of an output tensor.
  float *output(void *tensor, int64_t count);
  /// A scratch buffer of `count` f32 values, valid until the scope ends.
  float *temporary(int64_t count) { return nextCopy(count); }
  /// An input that may be null (an optional bias).
  const float *optionalInput(const void *tensor, int64_t count) {
    return tensor ? input(tensor, count) : nullptr;
  }

private:
  float *nextCopy(int64_t count);

  struct Output {
    void *tensor;
    const float *values;
    int64_t count;
  };
  tprt_context &ctx;
  int32_t dtype;
  size_t copiesUsed = 0;
  std::vector<Output> outputs;
};

/// Replaces row[0, n) by its softmax: max-subtracted, summed in double.
void softmaxRow(float *row, int64_t n);

} // namespace tprt

#endif // TPRT_CPU_KERNELS_H
