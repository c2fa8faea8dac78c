//===- CudaProbe.cpp - run a command only where a GPU is usable -----------===//
//
// This file implements `tprt-cuda-probe COMMAND [ARGS...]`, the wrapper of
// the gpu tests that run a whole program (a model linked with tprt_cuda,
// under mpirun or not): where no CUDA device is usable it prints
// "SKIPPED: no CUDA device (...)" and exits 77 (ctest's SKIP_RETURN_CODE);
// otherwise it becomes COMMAND.
//
//===----------------------------------------------------------------------===//

#include "CudaTestSupport.h"

#include <cstdio>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tprt-cuda-probe COMMAND [ARGS...]\n");
    return 2;
  }
  if (int status = tprt_test::checkCudaDevice())
    return status;
  execvp(argv[1], argv + 1);
  std::perror(argv[1]);
  return 127;
}
