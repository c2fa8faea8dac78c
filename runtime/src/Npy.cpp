//===- Npy.cpp - .npy reader and writer -----------------------------------===//
//
// This file implements .npy reading and writing. The header is a Python dict
// literal; a small parser reads the subset NumPy writes (quoted strings,
// True/False, tuples of integers) instead of pattern matching, so that key
// order and spacing do not matter.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "File.h"
#include "Tensor.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace tprt {

static const char npyMagic[] = "\x93NUMPY";
static const size_t npyMagicBytes = 6;

namespace {
/// The fields of an .npy header dict.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the dict literal of an .npy header.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  std::string parse(NpyHeader &header) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    if (!consume('{'))
      return "expected '{'";
    while (!consume('}')) {
      std::string key;
      if (!parseString(key) || !consume(':'))
        return "expected 'key': value";
      if (key == "descr") {
        seenDescr = parseString(header.descr);
        if (!seenDescr)
          return "'descr' must be a string";
      } else if (key == "fortran_order") {
        seenOrder = parseBool(header.fortranOrder);
        if (!seenOrder)
          return "'fortran_order' must be True or False";
      } else if (key == "shape") {
        seenShape = parseShape(header.shape);
        if (!seenShape)
          return "'shape' must be a tuple of non-negative integers";
      } else {
        return "unexpected key '" + key + "'";
      }
      if (!consume(',') && !peek('}'))
        return "expected ',' or '}'";
    }
    if (!seenDescr || !seenOrder || !seenShape)
      return "the header needs 'descr', 'fortran_order' and 'shape'";
    return {};
  }

private:
  void skipSpace() {
    while (pos < text.size() &&
           std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  bool peek(char c) {
    skipSpace();
    return pos < text.size() && text[pos] == c;
  }
  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }
  bool consumeWord(const char *word) {
    skipSpace();
    size_t length = std::strlen(word);
    if (text.compare(pos, length, word) != 0)
      return false;
    pos += length;
    return true;
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    size_t end = text.find(text[pos], pos + 1);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    if (consumeWord("True")) {
      out = true;
      return true;
    }
    out = false;
    return consumeWord("False");
  }
  bool parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return false;
    while (!consume(')')) {
      skipSpace();
      size_t start = pos;
      int64_t dim = 0;
      while (pos < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[pos])))
        if (__builtin_mul_overflow(dim, 10, &dim) ||
            __builtin_add_overflow(dim, text[pos++] - '0', &dim))
          return false;
      if (pos == start)
        return false;
      shape.push_back(dim);
      if (!consume(',') && !peek(')'))
        return false;
    }
    return true;
  }

  const std::string &text;
  size_t pos = 0;
};
} // namespace

/// The manifest dtype of an .npy descr, or "" when unsupported.
static std::string dtypeOfDescr(const std::string &descr) {
  if (descr == "<f4")
    return "F32";
  if (descr == "<f2")
    return "F16";
  if (descr == "<i8")
    return "I64";
  return {};
}

std::string readNpy(const std::string &path, NpyArray &array) {
  std::string contents;
  std::string error = readFile(path, contents);
  return error.empty() ? parseNpy(path, contents, array) : error;
}

std::string parseNpy(const std::string &path, const std::string &file,
                     NpyArray &array) {
  if (file.size() < npyMagicBytes + 2 ||
      file.compare(0, npyMagicBytes, npyMagic) != 0)
    return path + ": not an .npy file (bad magic)";
  // Versions 1 to 3 differ in the size of the header length (and the
  // header's encoding, which the parser does not need).
  int major = static_cast<unsigned char>(file[npyMagicBytes]);
  size_t lengthBytes = major == 1 ? 2 : major == 2 || major == 3 ? 4 : 0;
  size_t prefix = npyMagicBytes + 2 + lengthBytes;
  if (lengthBytes == 0)
    return path + ": unsupported .npy version " + std::to_string(major);
  if (file.size() < prefix)
    return path + ": truncated header";
  size_t headerBytes = 0;
  for (size_t i = lengthBytes; i-- > 0;)
    headerBytes = headerBytes << 8 |
                  static_cast<unsigned char>(file[npyMagicBytes + 2 + i]);
  if (file.size() - prefix < headerBytes)
    return path + ": truncated header";

  NpyHeader header;
  std::string error =
      HeaderParser(file.substr(prefix, headerBytes)).parse(header);
  if (!error.empty())
    return path + ": malformed header: " + error;
  if (header.fortranOrder)
    return path + ": fortran_order arrays are not supported; save a C-order "
                  "array (numpy.ascontiguousarray)";
  array.dtype = dtypeOfDescr(header.descr);
  if (array.dtype.empty())
    return path + ": dtype '" + header.descr +
           "' is not supported (only little-endian float32 '<f4', float16 "
           "'<f2' and int64 '<i8')";
  array.shape = header.shape;
  int64_t count = elementCount(array.shape), needed;
  if (count < 0 ||
      __builtin_mul_overflow(count, dtypeBytes(array.dtype), &needed))
    return path + ": shape " + formatShape(array.shape) + " is too large";
  size_t dataBytes = file.size() - prefix - headerBytes;
  if (dataBytes != static_cast<size_t>(needed))
    return path + ": holds " + std::to_string(dataBytes) +
           " data bytes but shape " + formatShape(array.shape) + " of " +
           header.descr + " needs " + std::to_string(needed);
  array.data.assign(file.begin() + prefix + headerBytes, file.end());
  return {};
}

std::string writeNpy(const std::string &path, const std::string &dtype,
                     const std::vector<int64_t> &shape, const void *data) {
  const char *descr = dtype == "F32"   ? "<f4"
                      : dtype == "F16" ? "<f2"
                      : dtype == "I64" ? "<i8"
                                       : nullptr;
  if (!descr)
    return path + ": cannot write dtype '" + dtype +
           "' (only F32, F16 and I64)";
  int64_t count = elementCount(shape);
  if (count < 0)
    return path + ": invalid shape " + formatShape(shape);

  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(shape[i]);
  dict += shape.size() == 1 ? ",), }" : "), }";

  // Pad with spaces and a final newline so that the data starts 64-byte
  // aligned; version 2 only when the header outgrows v1's 2-byte length.
  auto paddedLength = [&](size_t prefix) {
    return (prefix + dict.size() + 1 + 63) / 64 * 64 - prefix;
  };
  size_t lengthBytes = paddedLength(npyMagicBytes + 4) > 65535 ? 4 : 2;
  size_t headerBytes = paddedLength(npyMagicBytes + 2 + lengthBytes);
  dict.append(headerBytes - dict.size() - 1, ' ');
  dict += '\n';

  std::string head(npyMagic, npyMagicBytes);
  head += static_cast<char>(lengthBytes == 2 ? 1 : 2);
  head += '\0';
  for (size_t i = 0; i < lengthBytes; ++i)
    head += static_cast<char>(headerBytes >> (8 * i));
  head += dict;

  size_t bytes = static_cast<size_t>(count * dtypeBytes(dtype));
  return writeFileAtomically(path, [&](FILE *out) {
    return std::fwrite(head.data(), 1, head.size(), out) == head.size() &&
           std::fwrite(data, 1, bytes, out) == bytes;
  });
}

} // namespace tprt
