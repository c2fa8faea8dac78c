//===- Dnnl.cpp - 16-bit GEMMs through oneDNN -----------------------------===//
//
// This file implements the cpu backend's 16-bit matrix products on oneDNN's
// matmul primitive. Making a primitive picks and JIT-compiles a kernel for
// the shape (about a millisecond), so each is made once per context and
// shape, and reused with the call's pointers.
//
//===----------------------------------------------------------------------===//

#include "Dnnl.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

using namespace tprt;

namespace {

/// What a matmul primitive is made for.
struct MatmulKey {
  int32_t dtype;
  int64_t batch, m, n, k;
  bool transposeA, transposeB, bias;

  bool operator<(const MatmulKey &other) const {
    return std::tie(dtype, batch, m, n, k, transposeA, transposeB, bias) <
           std::tie(other.dtype, other.batch, other.m, other.n, other.k,
                    other.transposeA, other.transposeB, other.bias);
  }
};

/// A primitive and the layouts of its operands.
struct Matmul {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, bias, c;
};

/// The cpu backend's oneDNN state of a context.
struct DnnlState : DeviceState {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  /// Each shape's primitive; none where oneDNN has no implementation.
  std::map<MatmulKey, std::optional<Matmul>> matmuls;
};

DnnlState &dnnlState(tprt_context &ctx) {
  if (!ctx.cpuLibraries)
    ctx.cpuLibraries = std::make_unique<DnnlState>();
  return static_cast<DnnlState &>(*ctx.cpuLibraries);
}

/// The primitive of `key`, made on first use; null where oneDNN has none.
const Matmul *getMatmul(DnnlState &state, const MatmulKey &key) {
  auto [entry, inserted] = state.matmuls.try_emplace(key);
  if (!inserted)
    return entry->second ? &*entry->second : nullptr;
  using dnnl::memory;
  memory::data_type type =
      key.dtype == TPRT_BF16 ? memory::data_type::bf16 : memory::data_type::f16;
  // Batched products are 3-D; a transposed operand is its last two dims
  // swapped.
  bool batched = key.batch > 1;
  auto dims = [&](int64_t rows, int64_t cols) {
    return batched ? memory::dims{key.batch, rows, cols}
                   : memory::dims{rows, cols};
  };
  memory::format_tag rowMajor =
      batched ? memory::format_tag::abc : memory::format_tag::ab;
  memory::format_tag transposed =
      batched ? memory::format_tag::acb : memory::format_tag::ba;
  Matmul matmul;
  matmul.a = memory::desc(dims(key.m, key.k), type,
                          key.transposeA ? transposed : rowMajor);
  matmul.b = memory::desc(dims(key.k, key.n), type,
                          key.transposeB ? transposed : rowMajor);
  matmul.c = memory::desc(dims(key.m, key.n), type, rowMajor);
  if (key.bias)
    matmul.bias = memory::desc(dims(1, key.n), type, rowMajor);
  try {
    dnnl::matmul::desc description =
        key.bias ? dnnl::matmul::desc(matmul.a, matmul.b, matmul.bias, matmul.c)
                 : dnnl::matmul::desc(matmul.a, matmul.b, matmul.c);
    matmul.primitive =
        dnnl::matmul(dnnl::matmul::primitive_desc(description, state.engine));
  } catch (const dnnl::error &error) {
    if (error.status != dnnl_unimplemented)
      throw;
    return nullptr;
  }
  entry->second = std::move(matmul);
  return &*entry->second;
}

} // namespace

bool tprt::dnnlMatmul(tprt_context &ctx, const char *call, const char *layer,
                      int32_t dtype, const void *a, const void *b,
                      const void *bias, void *c, int64_t batch, int64_t m,
                      int64_t n, int64_t k, bool transposeA, bool transposeB) {
  if (dtype == TPRT_F32)
    return false;
  try {
    DnnlState &state = dnnlState(ctx);
    const Matmul *matmul = getMatmul(state, {dtype, batch, m, n, k, transposeA,
                                             transposeB, bias != nullptr});
    if (!matmul)
      return false;
    // oneDNN takes non-const handles; it only reads the inputs.
    auto memory = [&](const dnnl::memory::desc &desc, const void *data) {
      return dnnl::memory(desc, state.engine, const_cast<void *>(data));
    };
    std::unordered_map<int, dnnl::memory> arguments = {
        {DNNL_ARG_SRC, memory(matmul->a, a)},
        {DNNL_ARG_WEIGHTS, memory(matmul->b, b)},
        {DNNL_ARG_DST, memory(matmul->c, c)}};
    if (bias)
      arguments.insert({DNNL_ARG_BIAS, memory(matmul->bias, bias)});
    matmul->primitive.execute(state.stream, arguments);
    state.stream.wait();
  } catch (const dnnl::error &error) {
    fail(&ctx, callName(call, layer) + ": oneDNN failed: " + error.what());
  }
  return true;
}
