//===- Api.cpp - the C API, forwarded to the linked backend ---------------===//
//
// This file defines every call of tprt.h once for both backends: tprt_<name>
// passes its arguments on to the kernel of the same name in the table of the
// backend the executable was linked with (Backend.h). It is expanded from
// tprt_calls.def like the declarations, so the two cannot disagree.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

// An entry's arguments are needed twice, as parameters and as the names
// passed on, while TPRT_ARG has one meaning per expansion. Here it makes them
// a sequence of pairs, (type, name)(type, name)..., which TPRT_PARAMETERS and
// TPRT_NAMES walk: each step gives its pair's text, then the name of the
// other step, which the next pair's parentheses invoke; the step name left
// after the last pair is joined with _END into nothing. The joining macro
// takes the text as an argument, so the steps give their commas as
// TPRT_COMMA (), which expands only after the join.
#define TPRT_ARG(type, name) (type, name)
#define TPRT_EMPTY()
#define TPRT_COMMA() ,
#define TPRT_JOIN(a, b) TPRT_JOIN_(a, b)
#define TPRT_JOIN_(a, b) a##b
#define TPRT_PARAMETERS(args) TPRT_JOIN(TPRT_PARAMETERS_A args, _END)
#define TPRT_PARAMETERS_A(type, name)                                          \
  TPRT_COMMA TPRT_EMPTY()() type name TPRT_PARAMETERS_B
#define TPRT_PARAMETERS_B(type, name)                                          \
  TPRT_COMMA TPRT_EMPTY()() type name TPRT_PARAMETERS_A
#define TPRT_PARAMETERS_A_END
#define TPRT_PARAMETERS_B_END
#define TPRT_NAMES(args) TPRT_JOIN(TPRT_NAMES_A args, _END)
#define TPRT_NAMES_A(type, name) TPRT_COMMA TPRT_EMPTY()() name TPRT_NAMES_B
#define TPRT_NAMES_B(type, name) TPRT_COMMA TPRT_EMPTY()() name TPRT_NAMES_A
#define TPRT_NAMES_A_END
#define TPRT_NAMES_B_END
#define TPRT_CALL(ret, name, args)                                             \
  ret tprt_##name(tprt_context *ctx,                                           \
                  const char *layer TPRT_PARAMETERS(args)) {                   \
    return tprt::backend().kernels.name(ctx, layer TPRT_NAMES(args));          \
  }
#include "tprt/tprt_calls.def"
