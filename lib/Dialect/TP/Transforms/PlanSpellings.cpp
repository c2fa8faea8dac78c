//===- PlanSpellings.cpp - a plan's styles as users write them ------------===//
//
// This file implements the reader of a plan entry's style: a small
// recursive-descent parser of the call syntax PyTorch's styles are written
// in (names, calls with keyword arguments, tuples, integers, True, False,
// None), and the mapping of PyTorch's and Hugging Face's styles onto
// tp-mlir's.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/PlanSpellings.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::tp;

namespace {

struct Keyword;

/// An expression: `Name`, `Name(arguments)`, `(a, b)`, an integer, `True`,
/// `False` or `None`.
struct Expr {
  enum class Kind { Name, Call, Tuple, Integer, Boolean, None };
  Kind kind;
  /// Where it starts in the text.
  size_t column;
  /// A name's or a call's name.
  StringRef name = {};
  /// An integer's value, or a boolean's (0 or 1).
  int64_t value = 0;
  /// A call's positional arguments, a tuple's elements.
  std::vector<Expr> elements = {};
  /// A call's keyword arguments, in the order written.
  std::vector<Keyword> keywords = {};
};

struct Keyword {
  StringRef name;
  size_t column;
  Expr value;
};

static LogicalResult failAt(SpellingError &error, size_t column,
                            const Twine &message) {
  error = {column, message.str()};
  return failure();
}

/// Parses one expression of `text`; errors give the offset at fault.
class Parser {
public:
  Parser(StringRef text, SpellingError &error) : text(text), error(error) {}

  FailureOr<Expr> parse() {
    FailureOr<Expr> expr = parseExpr();
    if (failed(expr))
      return failure();
    skipSpaces();
    if (pos != text.size())
      return fail(pos, "unexpected '" + text.drop_front(pos) + "' after '" +
                           text.slice(expr->column, pos).rtrim() + "'");
    return expr;
  }

private:
  LogicalResult fail(size_t column, const Twine &message) {
    return failAt(error, column, message);
  }
  void skipSpaces() {
    while (pos < text.size() && llvm::isSpace(text[pos]))
      ++pos;
  }
  bool consume(char c) {
    skipSpaces();
    if (pos == text.size() || text[pos] != c)
      return false;
    ++pos;
    return true;
  }
  StringRef parseIdentifier() {
    skipSpaces();
    size_t start = pos;
    if (pos < text.size() && (llvm::isAlpha(text[pos]) || text[pos] == '_'))
      while (pos < text.size() &&
             (llvm::isAlnum(text[pos]) || text[pos] == '_'))
        ++pos;
    return text.slice(start, pos);
  }

  FailureOr<Expr> parseExpr();
  FailureOr<Expr> parseInteger();
  FailureOr<Expr> parseTuple();
  LogicalResult parseArguments(Expr &call);
  LogicalResult parseList(size_t open, function_ref<LogicalResult()> parseItem,
                          bool &comma);

  StringRef text;
  SpellingError &error;
  size_t pos = 0;
};

} // namespace

FailureOr<Expr> Parser::parseExpr() {
  skipSpaces();
  size_t start = pos;
  if (pos == text.size())
    return fail(pos, "expected a style, a layout, a tuple, an integer, True, "
                     "False or None, found the end");
  if (text[pos] == '(')
    return parseTuple();
  if (text[pos] == '-' || llvm::isDigit(text[pos]))
    return parseInteger();
  StringRef name = parseIdentifier();
  if (name.empty())
    return fail(pos, "unexpected '" + text.substr(pos, 1) +
                         "'; expected a name such as ColwiseParallel, a "
                         "tuple, an integer, True, False or None");
  if (name == "True" || name == "False")
    return Expr{Expr::Kind::Boolean, start, name, name == "True"};
  if (name == "None")
    return Expr{Expr::Kind::None, start, name};
  if (!consume('('))
    return Expr{Expr::Kind::Name, start, name};
  Expr call{Expr::Kind::Call, start, name};
  if (failed(parseArguments(call)))
    return failure();
  return call;
}

FailureOr<Expr> Parser::parseInteger() {
  size_t start = pos;
  if (text[pos] == '-')
    ++pos;
  while (pos < text.size() && llvm::isDigit(text[pos]))
    ++pos;
  int64_t value;
  if (text.slice(start, pos).getAsInteger(10, value))
    return fail(start, "'" + text.slice(start, pos) +
                           "' is not an integer that fits in 64 bits");
  return Expr{Expr::Kind::Integer, start, {}, value};
}

/// Parses `item, item, ...)` after the '(' at `open`, a trailing comma
/// allowed; `comma` tells whether there was one.
LogicalResult Parser::parseList(size_t open,
                                function_ref<LogicalResult()> parseItem,
                                bool &comma) {
  comma = false;
  while (!consume(')')) {
    if (failed(parseItem()))
      return failure();
    if (consume(')'))
      break;
    if (!consume(','))
      return fail(pos, "expected ',' or ')' to close the '(' at column " +
                           Twine(open + 1));
    comma = true;
  }
  return success();
}

FailureOr<Expr> Parser::parseTuple() {
  size_t open = pos++;
  Expr tuple{Expr::Kind::Tuple, open};
  bool comma;
  if (failed(parseList(
          open,
          [&]() -> LogicalResult {
            FailureOr<Expr> element = parseExpr();
            if (failed(element))
              return failure();
            tuple.elements.push_back(std::move(*element));
            return success();
          },
          comma)))
    return failure();
  // As in Python, `(x)` is x and `(x,)` a tuple of one.
  if (tuple.elements.size() == 1 && !comma)
    return std::move(tuple.elements.front());
  return tuple;
}

LogicalResult Parser::parseArguments(Expr &call) {
  auto parseArgument = [&]() -> LogicalResult {
    skipSpaces();
    size_t start = pos;
    StringRef name = parseIdentifier();
    bool keyword = !name.empty() && consume('=');
    if (!keyword) {
      pos = start;
      if (!call.keywords.empty())
        return fail(start, "positional argument follows keyword arguments");
    } else if (llvm::any_of(call.keywords, [&](const Keyword &other) {
                 return other.name == name;
               })) {
      return fail(start, "keyword argument '" + name + "' repeated");
    }
    FailureOr<Expr> value = parseExpr();
    if (failed(value))
      return failure();
    if (keyword)
      call.keywords.push_back({name, start, std::move(*value)});
    else
      call.elements.push_back(std::move(*value));
    return success();
  };
  bool comma;
  return parseList(call.column + call.name.size(), parseArgument, comma);
}

//===----------------------------------------------------------------------===//
// Layouts and styles
//===----------------------------------------------------------------------===//

static FailureOr<Placement> toPlacement(const Expr &expr,
                                        SpellingError &error) {
  StringRef name = expr.name;
  if (expr.kind == Expr::Kind::Name) {
    if (name == "replicate" || name == "R")
      return Placement::replicate();
    if (name == "Replicate" || name == "Shard")
      return failAt(error, expr.column,
                    "write " + name + (name == "Shard" ? "(d)" : "()") +
                        ", a call");
  }
  if (expr.kind == Expr::Kind::Name)
    return failAt(error, expr.column,
                  "unknown layout '" + name +
                      "'; expected Replicate(), Shard(d), replicate, "
                      "shard(d), R or S(d)");
  if (expr.kind != Expr::Kind::Call)
    return failAt(error, expr.column,
                  "expected a layout: Replicate() or Shard(d)");
  if (name == "Partial" || name == "P")
    return failAt(error, expr.column,
                  "a plan cannot ask for " + name +
                      "(): partial sums are what row-wise layers produce; "
                      "write Replicate() or Shard(d)");
  if (name == "Replicate") {
    if (!expr.elements.empty() || !expr.keywords.empty())
      return failAt(error, expr.column, "Replicate() takes no arguments");
    return Placement::replicate();
  }
  if (name != "Shard" && name != "shard" && name != "S")
    return failAt(error, expr.column,
                  "unknown layout '" + name +
                      "(...)'; expected Replicate() or Shard(d)");
  // Shard(d) or PyTorch's Shard(dim=d).
  const Expr *dim = nullptr;
  if (expr.elements.size() == 1 && expr.keywords.empty())
    dim = &expr.elements.front();
  else if (expr.elements.empty() && expr.keywords.size() == 1 &&
           expr.keywords.front().name == "dim")
    dim = &expr.keywords.front().value;
  if (!dim || dim->kind != Expr::Kind::Integer)
    return failAt(error, dim ? dim->column : expr.column,
                  name +
                      "(...) takes one integer, the tensor dim it splits "
                      "(negative counts from the end): write " +
                      name + "(1) or " + name + "(-1)");
  return Placement::shard(dim->value);
}

static LogicalResult readBoolean(const Keyword &keyword, bool &flag,
                                 SpellingError &error) {
  if (keyword.value.kind != Expr::Kind::Boolean)
    return failAt(error, keyword.value.column,
                  keyword.name + " must be True or False");
  flag = keyword.value.value != 0;
  return success();
}

/// PyTorch's styles take keyword arguments only; these are the ones each
/// takes here.
static LogicalResult checkKeywords(const Expr &call,
                                   ArrayRef<StringRef> allowed,
                                   SpellingError &error) {
  std::string names = llvm::join(allowed, ", ");
  if (!call.elements.empty())
    return failAt(error, call.elements.front().column,
                  call.name + " takes keyword arguments only: " + names);
  for (const Keyword &keyword : call.keywords)
    if (!llvm::is_contained(allowed, keyword.name))
      return failAt(error, keyword.column,
                    "unknown keyword argument '" + keyword.name + "' of " +
                        call.name + "; expected " + names);
  return success();
}

/// PyTorch's ColwiseParallel / RowwiseParallel(input_layouts=...,
/// output_layouts=..., use_local_output=...).
static FailureOr<PlanStyle>
toLinearStyle(const Expr &call, ParallelStyleKind kind, SpellingError &error) {
  if (failed(checkKeywords(
          call, {"input_layouts", "output_layouts", "use_local_output"},
          error)))
    return failure();
  PlanStyle style{kind};
  for (const Keyword &keyword : call.keywords) {
    if (keyword.name == "use_local_output") {
      if (failed(readBoolean(keyword, style.useLocalOutput, error)))
        return failure();
      continue;
    }
    FailureOr<Placement> layout = toPlacement(keyword.value, error);
    if (failed(layout))
      return failure();
    (keyword.name == "input_layouts" ? style.input : style.output) = *layout;
  }
  return style;
}

/// PyTorch's SequenceParallel(sequence_dim=1, use_local_output=False).
static FailureOr<PlanStyle> toSequenceParallel(const Expr &call,
                                               SpellingError &error) {
  if (failed(checkKeywords(call, {"sequence_dim", "use_local_output"}, error)))
    return failure();
  PlanStyle style{ParallelStyleKind::SequenceParallel};
  style.useLocalOutput = false;
  for (const Keyword &keyword : call.keywords) {
    if (keyword.name == "sequence_dim") {
      if (keyword.value.kind != Expr::Kind::Integer || keyword.value.value != 1)
        return failAt(error, keyword.value.column,
                      "tp-mlir's sequence parallelism splits dim 1 "
                      "([batch, sequence, features]); write "
                      "SequenceParallel() or sequence_dim=1");
      continue;
    }
    if (failed(readBoolean(keyword, style.useLocalOutput, error)))
      return failure();
  }
  return style;
}

/// PyTorch's PrepareModuleInput(input_layouts=..., desired_input_layouts=...,
/// use_local_output=...): each layout a placement or None, alone or in a
/// tuple, one per input of the module.
static FailureOr<PlanStyle> toPrepareModuleInput(const Expr &call,
                                                 SpellingError &error) {
  if (failed(checkKeywords(
          call, {"input_layouts", "desired_input_layouts", "use_local_output"},
          error)))
    return failure();
  PlanStyle style{std::nullopt};
  style.namesModules = true;
  style.useLocalOutput = false;
  const Keyword *inputs = nullptr, *desired = nullptr;
  for (const Keyword &keyword : call.keywords) {
    if (keyword.name == "use_local_output") {
      if (failed(readBoolean(keyword, style.useLocalOutput, error)))
        return failure();
      continue;
    }
    ArrayRef<Expr> layouts = keyword.value;
    if (keyword.value.kind == Expr::Kind::Tuple)
      layouts = keyword.value.elements;
    for (const Expr &layout : layouts) {
      if (layout.kind == Expr::Kind::None)
        continue;
      FailureOr<Placement> placement = toPlacement(layout, error);
      if (failed(placement))
        return failure();
      // The layers of a module take their inputs whole unless their styles
      // say otherwise, and tp-propagate gathers them so.
      if (keyword.name == "desired_input_layouts" && !placement->isReplicate())
        return failAt(error, layout.column,
                      "PrepareModuleInput can only ask for Replicate() (or "
                      "None): tp-mlir brings a module's input to the layout "
                      "its layers' styles need; to have a layer take its "
                      "input split, give that layer input_layouts");
    }
    (keyword.name == "input_layouts" ? inputs : desired) = &keyword;
  }
  auto count = [](const Keyword *keyword) -> size_t {
    if (!keyword)
      return 0;
    return keyword->value.kind == Expr::Kind::Tuple
               ? keyword->value.elements.size()
               : 1;
  };
  if (inputs && count(inputs) != count(desired))
    return failAt(error, desired ? desired->column : inputs->column,
                  "input_layouts has " + Twine(count(inputs)) +
                      " entries but desired_input_layouts " +
                      Twine(count(desired)) + "; give one of each per input");
  return style;
}

/// A style written as a name: tp-mlir's or Hugging Face's.
static FailureOr<PlanStyle> toNamedStyle(const Expr &expr,
                                         SpellingError &error) {
  StringRef name = expr.name;
  if (std::optional<ParallelStyleKind> kind = symbolizeParallelStyleKind(name))
    return PlanStyle{*kind};
  // Hugging Face's base_model_tp_plan styles. Its local_* styles keep
  // weights as plain local tensors instead of DTensors: the same arithmetic,
  // and in a compiled program every tensor is local.
  if (name == "local_colwise")
    return PlanStyle{ParallelStyleKind::Colwise};
  if (name == "local_rowwise")
    return PlanStyle{ParallelStyleKind::Rowwise};
  if (name == "colwise_rep")
    return PlanStyle{.kind = ParallelStyleKind::Colwise,
                     .output = Placement::replicate()};
  if (name == "rowwise_rep")
    return PlanStyle{.kind = ParallelStyleKind::Rowwise,
                     .input = Placement::replicate()};
  if (name == "gather")
    return PlanStyle{.kind = ParallelStyleKind::Replicate,
                     .namesModules = true};
  if (name == "local_packed_rowwise")
    return failAt(error, expr.column,
                  "Hugging Face's 'local_packed_rowwise' splits a packed "
                  "weight (gate_up_proj: the gate's rows, then the up's) "
                  "half by half; tp-mlir reads a packed weight part by part "
                  "(tp.get_parameter rows, as tp-import writes Phi-3's), "
                  "each part a layer op of its own: write 'colwise' for "
                  "the packed layer");
  if (name == "local")
    return failAt(error, expr.column,
                  "Hugging Face's 'local' (IsolatedParallel) gives each "
                  "rank its own experts of a mixture of experts, and "
                  "tp-mlir has no experts: write 'replicate'");
  if (llvm::is_contained({"ColwiseParallel", "RowwiseParallel",
                          "SequenceParallel", "PrepareModuleInput"},
                         name))
    return failAt(error, expr.column, "write " + name + "(), a call");
  return failAt(error, expr.column,
                "unknown style '" + name +
                    "'; expected colwise, rowwise, sequence_parallel or "
                    "replicate, Hugging Face's colwise_rep, rowwise_rep, "
                    "local_colwise, local_rowwise or gather, or PyTorch's "
                    "ColwiseParallel(), RowwiseParallel(), "
                    "SequenceParallel() or PrepareModuleInput(...)");
}

static FailureOr<PlanStyle> toStyle(const Expr &expr, SpellingError &error) {
  if (expr.kind == Expr::Kind::Name)
    return toNamedStyle(expr, error);
  if (expr.kind != Expr::Kind::Call)
    return failAt(error, expr.column,
                  "expected a style such as colwise or ColwiseParallel()");
  StringRef name = expr.name;
  if (name == "ColwiseParallel")
    return toLinearStyle(expr, ParallelStyleKind::Colwise, error);
  if (name == "RowwiseParallel")
    return toLinearStyle(expr, ParallelStyleKind::Rowwise, error);
  if (name == "SequenceParallel")
    return toSequenceParallel(expr, error);
  if (name == "PrepareModuleInput")
    return toPrepareModuleInput(expr, error);
  if (name == "PrepareModuleOutput" || name == "PrepareModuleInputOutput")
    return failAt(error, expr.column,
                  name + " is not supported: a module's output has the "
                         "layout its last layer delivers; give that layer "
                         "output_layouts, e.g. "
                         "RowwiseParallel(output_layouts=Shard(1))");
  if (name == "loss_parallel")
    return failAt(error, expr.column,
                  "loss_parallel is not a style: write \"loss_parallel\": "
                  "true beside \"plan\"");
  return failAt(error, expr.column,
                "unknown style '" + name +
                    "()'; expected ColwiseParallel(), RowwiseParallel(), "
                    "SequenceParallel() or PrepareModuleInput(...)");
}

FailureOr<PlanStyle> mlir::tp::parseStyleSpelling(StringRef text,
                                                  SpellingError &error) {
  FailureOr<Expr> expr = Parser(text, error).parse();
  if (failed(expr))
    return failure();
  return toStyle(*expr, error);
}

FailureOr<Placement> mlir::tp::parseLayoutSpelling(StringRef text,
                                                   SpellingError &error) {
  FailureOr<Expr> expr = Parser(text, error).parse();
  if (failed(expr))
    return failure();
  return toPlacement(*expr, error);
}
