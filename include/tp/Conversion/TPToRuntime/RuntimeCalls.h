//===- RuntimeCalls.h - the runtime's entry points, typed -------*- C++ -*-===//
//
// This file expands the runtime's list of entry points (tprt_calls.def, the
// list tprt.h is expanded from) into what convert-tp-to-runtime builds calls
// with: per entry point `tprt_<name>`, a struct `runtime::<name>` whose
// fields are the call's arguments after the context, named as in tprt.h, its
// symbol and its LLVM signature. A call is written with designated
// initializers,
//
//   emitCall(runtime::add{.layer = ..., .dtype = ..., .a = ..., .b = ...,
//                         .y = ..., .count = ...});
//
// so an argument given out of order is a compile error, and one left out is
// too where the includer makes -Wmissing-field-initializers an error (as
// TPToRuntime.cpp does). The list and tprt.h cannot disagree: both are the
// same expansion.
//
//===----------------------------------------------------------------------===//

#ifndef TP_CONVERSION_TPTORUNTIME_RUNTIMECALLS_H
#define TP_CONVERSION_TPTORUNTIME_RUNTIMECALLS_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Value.h"

#include "tprt/tprt.h"

#include <type_traits>

namespace mlir::tp::runtime {

/// The LLVM type of a C type of tprt_calls.def.
template <typename T> Type getLLVMType(MLIRContext *context) {
  if constexpr (std::is_void_v<T>) {
    return LLVM::LLVMVoidType::get(context);
  } else if constexpr (std::is_pointer_v<T>) {
    return LLVM::LLVMPointerType::get(context);
  } else if constexpr (std::is_floating_point_v<T>) {
    static_assert(sizeof(T) == 8, "the runtime takes doubles only");
    return Float64Type::get(context);
  } else {
    static_assert(std::is_integral_v<T>, "an unexpected argument type");
    return IntegerType::get(context, sizeof(T) * 8);
  }
}

// The argument structs: the layer, then the arguments of the .def.
#define TPRT_ARG(type, name) Value name;
#define TPRT_CALL(ret, fn, args)                                               \
  struct fn {                                                                  \
    static constexpr llvm::StringLiteral symbol = "tprt_" #fn;                 \
    /** The call's operands, the rank's context first. */                      \
    SmallVector<Value> getOperands(Value context) const;                       \
    /** The signature tprt.h declares. */                                      \
    static LLVM::LLVMFunctionType getFunctionType(MLIRContext *context);       \
    /** The type of the value the call returns; void for none. */              \
    static Type getResultType(MLIRContext *context) {                          \
      return getLLVMType<ret>(context);                                        \
    }                                                                          \
    Value layer;                                                               \
    args                                                                       \
  };
#include "tprt/tprt_calls.def"
#undef TPRT_CALL
#undef TPRT_ARG

// Their operands, in the order of the declaration.
#define TPRT_ARG(type, name) , name
#define TPRT_CALL(ret, fn, args)                                               \
  inline SmallVector<Value> fn::getOperands(Value context) const {             \
    return {context, layer args};                                              \
  }
#include "tprt/tprt_calls.def"
#undef TPRT_CALL
#undef TPRT_ARG

// Their signatures.
#define TPRT_ARG(type, name) , getLLVMType<type>(context)
#define TPRT_CALL(ret, fn, args)                                               \
  inline LLVM::LLVMFunctionType fn::getFunctionType(MLIRContext *context) {    \
    return LLVM::LLVMFunctionType::get(                                        \
        getLLVMType<ret>(context), {getLLVMType<tprt_context *>(context),      \
                                    getLLVMType<const char *>(context) args}); \
  }
#include "tprt/tprt_calls.def"
#undef TPRT_CALL
#undef TPRT_ARG

} // namespace mlir::tp::runtime

#endif // TP_CONVERSION_TPTORUNTIME_RUNTIMECALLS_H
