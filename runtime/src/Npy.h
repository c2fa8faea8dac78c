//===- Npy.h - .npy reader and writer ---------------------------*- C++ -*-===//
//
// This file declares the runtime's .npy support, the format inputs and
// outputs of compiled models use: magic "\x93NUMPY", a version, a 2-byte (v1)
// or 4-byte (v2, v3) header length, a Python dict literal with 'descr',
// 'fortran_order' and 'shape', then the data. Only little-endian float32
// ('<f4', dtype "F32") and int64 ('<i8', dtype "I64") arrays in C order are
// accepted; anything else is an error that says so. Errors are returned as
// messages naming the file, never by aborting.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_NPY_H
#define TPRT_SRC_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace tprt {

/// An array read from an .npy file.
struct NpyArray {
  /// "F32" or "I64", as in safetensors and the model manifest.
  std::string dtype;
  std::vector<int64_t> shape;
  /// Row-major little-endian bytes.
  std::vector<char> data;
};

/// Reads `path` into `array`. Returns an empty string, or what is wrong.
[[nodiscard]] std::string readNpy(const std::string &path, NpyArray &array);

/// Parses `file`, the bytes of the .npy file `path` (which messages name),
/// into `array`. Returns an empty string, or what is wrong.
[[nodiscard]] std::string parseNpy(const std::string &path,
                                   const std::string &file, NpyArray &array);

/// Writes a C-order array of `dtype` ("F32" or "I64") and `shape` whose
/// bytes are `data` to `path` as a version 1 file (version 2 when the header
/// needs more than 64 KiB), with the data aligned to 64 bytes; all or
/// nothing (writeFileAtomically).
[[nodiscard]] std::string writeNpy(const std::string &path,
                                   const std::string &dtype,
                                   const std::vector<int64_t> &shape,
                                   const void *data);

} // namespace tprt

#endif // TPRT_SRC_NPY_H
