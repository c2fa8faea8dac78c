//===- Json.h - strict JSON parsing for the readers -------------*- C++ -*-===//
//
// This file declares how the runtime's readers parse the JSON users give
// them (a safetensors header, a checkpoint's index): with nlohmann::json, a
// key that appears twice in an object being an error instead of the last
// one silently winning, and every failure a message rather than an
// exception.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_JSON_H
#define TPRT_SRC_JSON_H

#include <nlohmann/json.hpp>

#include <string>

namespace tprt {

/// Parses the JSON `text` of `textBytes` bytes into `value`. Returns an empty
/// string, or what is wrong: the parser's reason, or "key 'k' appears twice
/// (in 'parent')".
[[nodiscard]] std::string parseJson(const char *text, size_t textBytes,
                                    nlohmann::json &value);

} // namespace tprt

#endif // TPRT_SRC_JSON_H
