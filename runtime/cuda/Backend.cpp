//===- Backend.cpp - the cuda backend's table -----------------------------===//
//
// This file defines the backend table main and the C API use (Backend.h) for
// the cuda backend. It is the only part of tprt_cuda that the tests comparing
// the cuda kernels with the cpu ones leave out, since the cpu backend defines
// `backend()` too.
//
//===----------------------------------------------------------------------===//

#include "Cuda.h"

using namespace tprt;

const Backend &tprt::backend() {
  static const Backend table = {
      "cuda",             // name
      false,              // hostMemory
      cuda::initialize,   // initialize
      cuda::allocate,     // allocate
      cuda::release,      // release
      cuda::allocateHost, // allocateHost
      cuda::releaseHost,  // releaseHost
      cuda::copyToDevice, // copyToDevice
      cuda::copyToHost,   // copyToHost
      cuda::synchronize,  // synchronize
      cuda::kernels,      // kernels
  };
  return table;
}
