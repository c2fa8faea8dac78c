//===- ApplyPlan.cpp - attach a plan's parallel styles to layers ----------===//
//
// This file implements tp-apply-plan: it reads a parallelization plan (a JSON
// file or the module's `tp.plan` attribute), creates the plan's mesh and
// gives each layer that a pattern of the plan matches its `tp.style`.
// PlanSpellings.cpp reads each style, however it is spelled.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
#include "tp/Dialect/TP/Transforms/PlanSpellings.h"
#include "tp/Dialect/TP/Transforms/ShardingUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#define DEBUG_TYPE "tp-apply-plan"

namespace mlir::tp {
#define GEN_PASS_DEF_APPLYPLAN
#include "tp/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;
namespace json = llvm::json;

namespace {

/// One mesh axis, as a plan or `mesh=` names it.
struct MeshAxis {
  std::string name;
  int64_t size;
};

/// What a plan says about the layers one pattern matches.
struct PlanEntry {
  std::string pattern;
  PlanStyle style;
};

/// Where a plan's errors point: in a plan file, the line and column of the
/// key at fault; for an inline plan (tp.plan), the module.
class PlanLocator {
public:
  explicit PlanLocator(ModuleOp module) : module(module) {}
  PlanLocator(ModuleOp module, StringRef file, StringRef text)
      : module(module), file(file), text(text) {}

  /// The first place `key` appears as a key of the plan file (its start
  /// without one).
  Location locate(StringRef key = {}) const;
  /// `column` (0-based) of the string value of `key`; `key` itself when its
  /// value is not a string.
  Location locateInValue(StringRef key, size_t column) const;
  /// `line`:`column` of the plan file.
  Location locateAt(unsigned line, unsigned column) const;
  /// An error at locate(key).
  InFlightDiagnostic emitError(StringRef key = {}) const {
    return mlir::emitError(locate(key));
  }

private:
  /// The offset of the first `"key":` of the plan file.
  std::optional<size_t> findKey(StringRef key) const;
  Location locateOffset(size_t offset) const;

  /// Mutable: ops hand out diagnostics and their context through non-const
  /// methods.
  mutable ModuleOp module;
  StringRef file, text;
};

/// A plan, whichever source it came from.
struct Plan {
  /// Empty when the plan names no mesh.
  SmallVector<MeshAxis> mesh;
  /// Sorted by pattern, so that matching and its errors are deterministic.
  SmallVector<PlanEntry> entries;
  /// PyTorch's loss_parallel: whether a cross-entropy takes its logits split
  /// on the classes (true) or whole (false); unset, the cheaper.
  std::optional<bool> lossParallel;
};

} // namespace

//===----------------------------------------------------------------------===//
// Reading the plan
//===----------------------------------------------------------------------===//

/// An object's keys in order: llvm::json::Object is a hash map, and the
/// first error a plan reports must not depend on hashing.
static SmallVector<StringRef> getSortedKeys(const json::Object &object) {
  SmallVector<StringRef> keys;
  for (const auto &entry : object)
    keys.push_back(entry.first);
  llvm::sort(keys);
  return keys;
}

Location PlanLocator::locateAt(unsigned line, unsigned column) const {
  if (text.empty())
    return module.getLoc();
  return FileLineColLoc::get(module.getContext(), file, line, column);
}

std::optional<size_t> PlanLocator::findKey(StringRef key) const {
  // A key is the quoted string followed by a colon.
  std::string quoted = ("\"" + key + "\"").str();
  for (size_t from = 0; !key.empty() && from < text.size();) {
    size_t found = text.find(quoted, from);
    if (found == StringRef::npos)
      break;
    if (text.drop_front(found + quoted.size()).ltrim().starts_with(":"))
      return found;
    from = found + 1;
  }
  return std::nullopt;
}

Location PlanLocator::locateOffset(size_t offset) const {
  StringRef before = text.take_front(offset);
  size_t lineStart = before.rfind('\n') + 1; // npos + 1 == 0
  return locateAt(before.count('\n') + 1, offset - lineStart + 1);
}

Location PlanLocator::locate(StringRef key) const {
  std::optional<size_t> at = findKey(key);
  return at ? locateOffset(*at) : locateAt(1, 1);
}

Location PlanLocator::locateInValue(StringRef key, size_t column) const {
  std::optional<size_t> at = findKey(key);
  if (!at)
    return locateAt(1, 1);
  StringRef value = text.drop_front(*at + key.size() + 2).ltrim();
  value = value.drop_front(1).ltrim(); // the colon
  if (!value.starts_with("\""))
    return locateOffset(*at);
  return locateOffset(text.size() - value.size() + 1 + column);
}

/// Converts the inline plan to JSON, so that both sources share one reader.
static FailureOr<json::Value> attrToJSON(Attribute attr, ModuleOp module) {
  if (auto dict = dyn_cast<DictionaryAttr>(attr)) {
    json::Object object;
    for (NamedAttribute entry : dict) {
      FailureOr<json::Value> value = attrToJSON(entry.getValue(), module);
      if (failed(value))
        return failure();
      object[entry.getName().getValue()] = std::move(*value);
    }
    return json::Value(std::move(object));
  }
  if (auto string = dyn_cast<StringAttr>(attr))
    return json::Value(string.getValue().str());
  if (auto boolean = dyn_cast<BoolAttr>(attr))
    return json::Value(boolean.getValue());
  if (auto integer = dyn_cast<IntegerAttr>(attr))
    return json::Value(integer.getValue().getSExtValue());
  return module.emitError("tp.plan holds ")
         << attr << "; a plan holds dictionaries, strings, integers and "
         << "booleans";
}

/// A spelling error's message, with its column where the text is a call
/// (a plain name is wrong as a whole).
static std::string describe(StringRef text, const SpellingError &error) {
  if (!text.contains('('))
    return error.message;
  return llvm::formatv("'{0}', column {1}: {2}", text, error.column + 1,
                       error.message);
}

/// Reads one plan entry: a style in any spelling (PlanSpellings.h), or an
/// object with `style` and PyTorch's optional `input_layouts`,
/// `output_layouts` and `use_local_output`, which override the style's.
static FailureOr<PlanEntry> parseEntry(StringRef pattern,
                                       const json::Value &value,
                                       const PlanLocator &where) {
  auto fail = [&]() -> InFlightDiagnostic {
    InFlightDiagnostic diag = where.emitError(pattern) << "plan pattern '";
    diag << pattern << "': ";
    return diag;
  };
  // Spelling errors point into the string: its column in the message, and
  // in the location when the string is the pattern's value.
  auto failIn = [&](StringRef text, const SpellingError &error,
                    bool patternValue) {
    Location loc = patternValue ? where.locateInValue(pattern, error.column)
                                : where.locate(pattern);
    mlir::emitError(loc) << "plan pattern '" << pattern
                         << "': " << describe(text, error);
    return failure();
  };
  const json::Object *object = value.getAsObject();
  if (!object) {
    std::optional<StringRef> text = value.getAsString();
    if (!text)
      return fail() << "a style must be a string or an object";
    SpellingError error;
    FailureOr<PlanStyle> style = parseStyleSpelling(*text, error);
    if (failed(style))
      return failIn(*text, error, /*patternValue=*/true);
    return PlanEntry{pattern.str(), *style};
  }

  for (StringRef key : getSortedKeys(*object))
    if (!llvm::is_contained(
            {"style", "input_layouts", "output_layouts", "use_local_output"},
            key))
      return fail() << "unknown key '" << key
                    << "'; expected style, input_layouts, output_layouts or "
                       "use_local_output";
  const json::Value *kind = object->get("style");
  if (!kind)
    return fail() << "the object has no \"style\"";
  std::optional<StringRef> kindText = kind->getAsString();
  if (!kindText)
    return fail() << "style must be a string";
  SpellingError error;
  FailureOr<PlanStyle> style = parseStyleSpelling(*kindText, error);
  if (failed(style))
    return failIn(*kindText, error, /*patternValue=*/false);
  for (auto [key, layout] :
       {std::pair(StringRef("input_layouts"), &style->input),
        std::pair(StringRef("output_layouts"), &style->output)}) {
    const json::Value *entry = object->get(key);
    if (!entry)
      continue;
    std::optional<StringRef> text = entry->getAsString();
    if (!text)
      return fail() << key << " must be a string";
    FailureOr<Placement> placement = parseLayoutSpelling(*text, error);
    if (failed(placement))
      return fail() << key << ": " << describe(*text, error);
    *layout = *placement;
  }
  if (const json::Value *local = object->get("use_local_output")) {
    std::optional<bool> flag = local->getAsBoolean();
    if (!flag)
      return fail() << "use_local_output must be true or false";
    style->useLocalOutput = *flag;
  }
  return PlanEntry{pattern.str(), *style};
}

/// Parses `dp:2,tp:4`, axes in the order written.
static FailureOr<SmallVector<MeshAxis>>
parseMeshSpec(StringRef spec, const PlanLocator &where) {
  SmallVector<MeshAxis> axes;
  SmallVector<StringRef> entries;
  spec.split(entries, ',');
  for (StringRef entry : entries) {
    auto [name, size] = entry.split(':');
    int64_t value;
    if (size.trim().getAsInteger(10, value))
      return where.emitError("mesh")
             << "mesh '" << spec << "': axis '" << entry.trim()
             << "' is not <name>:<size>";
    axes.push_back({name.trim().str(), value});
  }
  return axes;
}

/// In an object the tensor-parallel axis goes last and the others first in
/// name order (JSON objects are unordered), so that a tensor-parallel group
/// is a run of consecutive ranks.
static FailureOr<SmallVector<MeshAxis>>
parseMeshObject(const json::Object &object, StringRef tpAxis,
                const PlanLocator &where) {
  SmallVector<MeshAxis> axes;
  for (StringRef name : getSortedKeys(object)) {
    const json::Value &size = *object.get(name);
    std::optional<int64_t> value = size.getAsInteger();
    if (!value)
      return where.emitError(name) << "mesh axis '" << name << "' has size "
                                   << llvm::formatv("{0}", size).str()
                                   << "; expected a positive integer";
    axes.push_back({name.str(), *value});
  }
  llvm::sort(axes, [&](const MeshAxis &a, const MeshAxis &b) {
    return std::make_pair(a.name == tpAxis, StringRef(a.name)) <
           std::make_pair(b.name == tpAxis, StringRef(b.name));
  });
  return axes;
}

/// Reads `{"mesh": ..., "plan": {pattern: style}, "loss_parallel": bool}`,
/// every key optional, or PyTorch's bare plan dict `{pattern: style}`.
static FailureOr<Plan> readPlan(const json::Value &root, StringRef tpAxis,
                                const PlanLocator &where) {
  const json::Object *object = root.getAsObject();
  if (!object)
    return where.emitError() << "a plan must be an object: {pattern: style} "
                                "or {\"mesh\": ..., \"plan\": {pattern: "
                                "style}}";
  static constexpr StringLiteral kPlanKeys[] = {"loss_parallel", "mesh",
                                                "plan"};
  bool bare = llvm::none_of(
      kPlanKeys, [&](StringRef key) { return object->get(key) != nullptr; });
  if (!bare)
    for (StringRef key : getSortedKeys(*object))
      if (!llvm::is_contained(kPlanKeys, key))
        return where.emitError(key)
               << "unknown plan key '" << key
               << "'; expected loss_parallel, mesh or plan (a bare plan dict "
                  "{pattern: style} has none of them)";

  Plan plan;
  if (const json::Value *lossParallel = object->get("loss_parallel")) {
    plan.lossParallel = lossParallel->getAsBoolean();
    if (!plan.lossParallel)
      return where.emitError("loss_parallel")
             << "loss_parallel must be true or false";
  }
  if (const json::Value *mesh = object->get("mesh")) {
    FailureOr<SmallVector<MeshAxis>> axes;
    if (std::optional<StringRef> spec = mesh->getAsString())
      axes = parseMeshSpec(*spec, where);
    else if (const json::Object *axisSizes = mesh->getAsObject())
      axes = parseMeshObject(*axisSizes, tpAxis, where);
    else
      return where.emitError("mesh") << "the plan's mesh must be an object "
                                        "{axis: size} or a string "
                                        "\"dp:2,tp:4\"";
    if (failed(axes))
      return failure();
    plan.mesh = std::move(*axes);
  }
  const json::Object *patterns = object;
  if (!bare) {
    const json::Value *styles = object->get("plan");
    if (!styles)
      return plan;
    patterns = styles->getAsObject();
    if (!patterns)
      return where.emitError("plan")
             << "the plan's \"plan\" must be an object {pattern: style}";
  }
  for (StringRef pattern : getSortedKeys(*patterns)) {
    FailureOr<PlanEntry> entry =
        parseEntry(pattern, *patterns->get(pattern), where);
    if (failed(entry))
      return failure();
    plan.entries.push_back(std::move(*entry));
  }
  return plan;
}

//===----------------------------------------------------------------------===//
// Matching layers
//===----------------------------------------------------------------------===//

/// True when `path` (with `orModule`, or a module above it: a prefix of its
/// segments) matches `pattern` segment by segment, each segment a glob as
/// fnmatch reads it (`*`, `?`, `[...]`), as PyTorch's parallelize_module
/// matches plan keys: a glob never crosses a dot. A malformed glob matches
/// nothing, and so is reported as matching no layer.
static bool matchesPath(StringRef pattern, StringRef path,
                        bool orModule = false) {
  SmallVector<StringRef> patternSegments, pathSegments;
  pattern.split(patternSegments, '.');
  path.split(pathSegments, '.');
  // zip stops at the shorter: a module's segments are a prefix.
  return (orModule ? patternSegments.size() <= pathSegments.size()
                   : patternSegments.size() == pathSegments.size()) &&
         llvm::all_of(llvm::zip(patternSegments, pathSegments), [](auto pair) {
           auto [want, have] = pair;
           llvm::Expected<llvm::GlobPattern> glob =
               llvm::GlobPattern::create(want);
           if (!glob) {
             llvm::consumeError(glob.takeError());
             return false;
           }
           return glob->match(have);
         });
}

/// With loss_parallel set, the output layout of each layer that computes a
/// cross-entropy's logits: split on the classes (PyTorch's loss_parallel,
/// which needs ColwiseParallel(output_layouts=Shard(-1))) or whole.
static FailureOr<llvm::DenseMap<Operation *, Placement>>
getLossOutputs(func::FuncOp model, bool lossParallel,
               const llvm::DenseMap<StringRef, const PlanEntry *> &entryOf) {
  llvm::DenseMap<Operation *, Placement> outputs;
  WalkResult walk = model.walk([&](CrossEntropyOp loss) {
    auto layer = loss.getLogits().getDefiningOp<LayerOpInterface>();
    if (!layer) {
      loss.emitError("loss_parallel: the logits of this cross-entropy are "
                     "not the output of a layer; remove loss_parallel from "
                     "the plan");
      return WalkResult::interrupt();
    }
    const PlanEntry *entry = entryOf.lookup(layer.getLayer());
    std::optional<ParallelStyleKind> kind =
        entry ? entry->style.kind : std::nullopt;
    if (lossParallel && kind != ParallelStyleKind::Colwise) {
      layer->emitError("loss_parallel: the cross-entropy's logits come from "
                       "layer '")
          << layer.getLayer() << "', which the plan does not make colwise; "
          << "give it ColwiseParallel(output_layouts=Shard(-1))";
      return WalkResult::interrupt();
    }
    if (!kind)
      return WalkResult::advance();
    // Shard(-1) as PyTorch writes it; a given layout is compared by dim.
    Placement want =
        lossParallel ? Placement::shard(-1) : Placement::replicate();
    if (std::optional<Placement> given = entry->style.output) {
      int64_t rank =
          cast<RankedTensorType>(loss.getLogits().getType()).getRank();
      auto dimOf = [&](Placement placement) {
        return placement.getDim() < 0 ? placement.getDim() + rank
                                      : placement.getDim();
      };
      if (given->getKind() != want.getKind() ||
          (want.isShard() && dimOf(*given) != dimOf(want))) {
        layer->emitError("loss_parallel is ")
            << (lossParallel ? "true" : "false") << " but layer '"
            << layer.getLayer() << "' delivers its output as "
            << describePlacement(*given) << "; write output_layouts="
            << (lossParallel ? "Shard(-1)" : "Replicate()")
            << " or leave it out";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    outputs[layer] = want;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return outputs;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

struct ApplyPlanPass : public tp::impl::ApplyPlanBase<ApplyPlanPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  FailureOr<Plan> loadPlan(ModuleOp module);
  FailureOr<MeshOp> getOrCreateMesh(ModuleOp module, const Plan &plan);

  /// The plan file's text, which `locator` points errors into (shared: a
  /// pass is copied when pipelines are cloned).
  std::shared_ptr<llvm::MemoryBuffer> planText;
  std::optional<PlanLocator> locator;
};

} // namespace

FailureOr<Plan> ApplyPlanPass::loadPlan(ModuleOp module) {
  if (planFile.empty()) {
    locator.emplace(module);
    Attribute inlinePlan = module->getAttr(kPlanAttrName);
    if (!inlinePlan)
      return module.emitError(
          "no plan: pass plan=<file> or set tp.plan on the module");
    FailureOr<json::Value> root = attrToJSON(inlinePlan, module);
    if (failed(root))
      return failure();
    return readPlan(*root, tpAxis, *locator);
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(planFile);
  if (!buffer)
    return module.emitError("cannot read plan file '")
           << planFile << "': " << buffer.getError().message();
  planText = std::move(*buffer);
  locator.emplace(module, planFile, planText->getBuffer());
  llvm::Expected<json::Value> root = json::parse(planText->getBuffer());
  if (!root) {
    // The parser's message reads `[line:column, byte=offset]: what`.
    std::string message = llvm::toString(root.takeError());
    unsigned line = 1, column = 1;
    StringRef rest = message;
    if (rest.consume_front("[") && !rest.consumeInteger(10, line) &&
        rest.consume_front(":") && !rest.consumeInteger(10, column)) {
      size_t what = rest.find("]: ");
      if (what != StringRef::npos)
        message = rest.drop_front(what + 3).str();
    }
    return mlir::emitError(locator->locateAt(line, column))
           << "malformed plan: " << message;
  }
  return readPlan(*root, tpAxis, *locator);
}

/// The mesh as written, `tp.mesh @mesh(tp = 4)`, for messages.
static std::string describeMesh(MeshOp mesh) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mesh->print(os, OpPrintingFlags().useLocalScope());
  return text;
}

FailureOr<MeshOp> ApplyPlanPass::getOrCreateMesh(ModuleOp module,
                                                 const Plan &plan) {
  auto existing =
      dyn_cast_or_null<MeshOp>(SymbolTable::lookupSymbolIn(module, "mesh"));
  SmallVector<MeshAxis> axes = plan.mesh;
  if (!meshSpec.empty()) {
    FailureOr<SmallVector<MeshAxis>> parsed =
        parseMeshSpec(meshSpec, PlanLocator(module));
    if (failed(parsed))
      return failure();
    axes = std::move(*parsed);
  }
  // Without a mesh in the plan or the options, a module's own mesh serves.
  if (axes.empty() && !existing)
    return module.emitError("no mesh: the plan has no \"mesh\"; pass "
                            "mesh=<axes> or add one to the plan");

  // A mesh from the plan file is wrong there, and is located there.
  bool fromPlanFile = meshSpec.empty() && !plan.mesh.empty();
  Location meshLoc = fromPlanFile ? locator->locate("mesh") : module.getLoc();
  // Built unlinked, so that the dialect's verifier checks the axes before
  // the module changes.
  OwningOpRef<MeshOp> planned;
  if (!axes.empty()) {
    OpBuilder builder(&getContext());
    planned = MeshOp::create(
        builder, meshLoc, "mesh",
        builder.getStrArrayAttr(llvm::map_to_vector(
            axes, [](const MeshAxis &axis) { return StringRef(axis.name); })),
        builder.getDenseI64ArrayAttr(llvm::map_to_vector(
            axes, [](const MeshAxis &axis) { return axis.size; })));
    if (failed(verify(*planned)))
      return failure();
  }
  MeshOp mesh = planned ? *planned : existing;
  if (!mesh.getAxisIndex(tpAxis))
    return mlir::emitError(meshLoc)
           << "mesh axis '" << tpAxis
           << "' (the tensor-parallel axis, tp-axis=) is not in "
           << "the mesh (axes: "
           << llvm::join(mesh.getAxisNames().getAsValueRange<StringAttr>(),
                         ", ")
           << ")";
  if (!planned)
    return existing;
  if (existing) {
    if (existing.getAxisNamesAttr() != planned->getAxisNamesAttr() ||
        existing.getAxisSizesAttr() != planned->getAxisSizesAttr())
      return existing.emitError("the module's ")
             << describeMesh(existing) << " differs from the plan's "
             << describeMesh(*planned);
    return existing;
  }
  module.getBody()->push_front(planned.release());
  return mesh;
}

void ApplyPlanPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<Plan> plan = loadPlan(module);
  if (failed(plan))
    return signalPassFailure();
  FailureOr<MeshOp> mesh = getOrCreateMesh(module, *plan);
  if (failed(mesh))
    return signalPassFailure();
  FailureOr<func::FuncOp> model = getModelFunction(module);
  if (failed(model))
    return signalPassFailure();
  module->setAttr(kTPAxisAttrName, StringAttr::get(&getContext(), tpAxis));

  // A layer applied twice is one module path on several ops.
  llvm::MapVector<StringRef, SmallVector<Operation *>> layers;
  model->walk([&](LayerOpInterface layer) {
    layers[layer.getLayer()].push_back(layer);
  });

  SmallVector<StringRef> layerNames =
      llvm::to_vector(llvm::make_first_range(layers));

  // Pattern errors are collected, so one run reports every bad pattern.
  bool valid = true;
  llvm::DenseMap<StringRef, const PlanEntry *> entryOf;
  for (const PlanEntry &entry : plan->entries) {
    bool matched = false;
    for (const auto &[layer, ops] : layers) {
      bool named = matchesPath(entry.pattern, layer);
      matched |=
          named || (entry.style.namesModules &&
                    matchesPath(entry.pattern, layer, /*orModule=*/true));
      // PrepareModuleInput gives a layer no style.
      if (!named || !entry.style.kind)
        continue;
      auto [it, inserted] = entryOf.insert({layer, &entry});
      if (!inserted) {
        ops.front()->emitError("layer '")
            << layer << "' is matched by plan patterns '" << it->second->pattern
            << "' and '" << entry.pattern << "'";
        valid = false;
      }
    }
    if (matched)
      continue;
    valid = false;
    InFlightDiagnostic diag = locator->emitError(entry.pattern)
                              << "plan pattern '" << entry.pattern
                              << "' matches no layer"
                              << (entry.style.namesModules ? " or module" : "");
    constexpr size_t kHintSize = 4;
    if (layerNames.empty())
      diag << " (the model has no layers)";
    else
      diag << " (layers: "
           << llvm::join(ArrayRef(layerNames).take_front(kHintSize), ", ")
           << (layerNames.size() > kHintSize ? ", ..." : "") << ")";
  }

  llvm::DenseMap<Operation *, Placement> lossOutputs;
  if (plan->lossParallel) {
    FailureOr<llvm::DenseMap<Operation *, Placement>> outputs =
        getLossOutputs(*model, *plan->lossParallel, entryOf);
    if (failed(outputs))
      return signalPassFailure();
    lossOutputs = std::move(*outputs);
  }

  auto meshRef = FlatSymbolRefAttr::get(mesh->getSymNameAttr());
  auto axis = StringAttr::get(&getContext(), tpAxis);
  for (const auto &[layer, ops] : layers) {
    for (Operation *op : ops) {
      std::optional<PlanStyle> style;
      if (const PlanEntry *named = entryOf.lookup(layer))
        style = named->style;
      else if (sequenceParallel &&
               llvm::is_contained(
                   cast<LayerOpInterface>(op).getParallelStyles(),
                   ParallelStyleKind::SequenceParallel))
        style = PlanStyle{ParallelStyleKind::SequenceParallel};
      if (!style)
        continue;
      if (auto lossOutput = lossOutputs.find(op);
          lossOutput != lossOutputs.end())
        style->output = lossOutput->second;
      // Sequence parallelism reduce-scatters a row-wise output onto the
      // sequence dim instead of all-reducing it.
      if (sequenceParallel && style->kind == ParallelStyleKind::Rowwise &&
          !style->output)
        style->output = Placement::shard(1);
      if (failed(verifyStyleFits(cast<LayerOpInterface>(op), *style->kind,
                                 style->input, style->output))) {
        valid = false;
        continue;
      }
      auto attr =
          StyleAttr::get(&getContext(), *style->kind, meshRef, axis,
                         style->input, style->output, style->useLocalOutput);
      LLVM_DEBUG(llvm::dbgs() << "layer '" << layer << "': " << attr << "\n");
      op->setAttr(kStyleAttrName, attr);
    }
  }
  if (!valid)
    signalPassFailure();
}
