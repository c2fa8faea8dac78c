//===- CommandLine.h - what the tools check of their options ----*- C++ -*-===//
//
// This file declares what the tools share of their command line beyond
// LLVM's parser: a check of repeated options (cl::opt keeps the last of
// several values of an option given twice, which would hide a slip on a long
// command line: `--plan a.json ... --plan b.json`), and `--version`.
//
//===----------------------------------------------------------------------===//

#ifndef TP_TOOLS_COMMANDLINE_H
#define TP_TOOLS_COMMANDLINE_H

#include "tp/Version.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace mlir::tp {

/// What is wrong when an option of `subCommand` that takes one value was
/// given more than once ("--plan is given 2 times; give it once"); empty
/// when none was.
inline std::string findRepeatedOption(
    llvm::cl::SubCommand &subCommand = llvm::cl::SubCommand::getTopLevel()) {
  for (const auto &entry : llvm::cl::getRegisteredOptions(subCommand)) {
    const llvm::cl::Option *option = entry.second;
    bool singleValued = option->getNumOccurrencesFlag() == llvm::cl::Optional ||
                        option->getNumOccurrencesFlag() == llvm::cl::Required;
    if (singleValued && option->getNumOccurrences() > 1)
      return ((option->ArgStr.size() == 1 ? "-" : "--") + option->ArgStr +
              " is given " + llvm::Twine(option->getNumOccurrences()) +
              " times; give it once")
          .str();
  }
  return {};
}

/// Makes `--version` print tp-mlir's version (CMake's project(VERSION)) and
/// the LLVM `tool` is built with, instead of LLVM's alone.
inline void setVersionPrinter(llvm::StringRef tool) {
  llvm::cl::SetVersionPrinter([tool = tool.str()](llvm::raw_ostream &os) {
    os << tool << " (tp-mlir) " << TP_VERSION << "\n  built with LLVM "
       << LLVM_VERSION_STRING << "\n";
  });
}

} // namespace mlir::tp

#endif // TP_TOOLS_COMMANDLINE_H
