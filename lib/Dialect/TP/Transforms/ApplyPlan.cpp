//===- ApplyPlan.cpp - attach a plan's parallel styles to layers ----------===//
//
// This file implements tp-apply-plan: it reads a parallelization plan (a JSON
// file or the module's `tp.plan` attribute), creates the plan's mesh and
// gives each layer that a pattern of the plan matches its `tp.style`.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/Transforms/Passes.h"
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
struct LayerStyle {
  std::string pattern;
  ParallelStyleKind kind;
  std::optional<Placement> input = {}, output = {};
  bool useLocalOutput = true;
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
  /// `line`:`column` of the plan file.
  Location locateAt(unsigned line, unsigned column) const;
  /// An error at locate(key).
  InFlightDiagnostic emitError(StringRef key = {}) const {
    return mlir::emitError(locate(key));
  }

private:
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
  SmallVector<LayerStyle> styles;
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

Location PlanLocator::locate(StringRef key) const {
  // A key is the quoted string followed by a colon.
  std::string quoted = ("\"" + key + "\"").str();
  size_t at = StringRef::npos;
  for (size_t from = 0; !key.empty() && from < text.size();) {
    size_t found = text.find(quoted, from);
    if (found == StringRef::npos)
      break;
    if (text.drop_front(found + quoted.size()).ltrim().starts_with(":")) {
      at = found;
      break;
    }
    from = found + 1;
  }
  if (at == StringRef::npos)
    return locateAt(1, 1);
  StringRef before = text.take_front(at);
  size_t lineStart = before.rfind('\n') + 1; // npos + 1 == 0
  return locateAt(before.count('\n') + 1, at - lineStart + 1);
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

/// Parses `R`, `replicate`, `S(d)` or `shard(d)`; partial sums are not a
/// layout a plan may ask for.
static std::optional<Placement> parseLayout(StringRef text) {
  if (text == "replicate" || text == "R")
    return Placement::replicate();
  int64_t dim;
  if ((text.consume_front("shard(") || text.consume_front("S(")) &&
      text.consume_back(")") && !text.getAsInteger(10, dim))
    return Placement::shard(dim);
  return std::nullopt;
}

/// Reads one plan entry: a style name or an object with `style` and
/// PyTorch's optional `input_layouts`, `output_layouts`, `use_local_output`.
static FailureOr<LayerStyle> parseStyle(StringRef pattern,
                                        const json::Value &value,
                                        const PlanLocator &where) {
  auto fail = [&]() -> InFlightDiagnostic {
    InFlightDiagnostic diag = where.emitError(pattern) << "plan pattern '";
    diag << pattern << "': ";
    return diag;
  };
  auto parseKind = [&](const json::Value &kind) -> FailureOr<LayerStyle> {
    std::optional<StringRef> name = kind.getAsString();
    if (!name)
      return fail() << "style must be a string";
    if (std::optional<ParallelStyleKind> parsed =
            symbolizeParallelStyleKind(*name))
      return LayerStyle{pattern.str(), *parsed};
    return fail() << "unknown style '" << *name
                  << "'; expected colwise, rowwise, sequence_parallel or "
                     "replicate";
  };
  const json::Object *object = value.getAsObject();
  if (!object) {
    if (value.kind() != json::Value::String)
      return fail() << "a style must be a string or an object";
    return parseKind(value);
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
  FailureOr<LayerStyle> style = parseKind(*kind);
  if (failed(style))
    return failure();
  for (auto [key, layout] :
       {std::pair(StringRef("input_layouts"), &style->input),
        std::pair(StringRef("output_layouts"), &style->output)}) {
    const json::Value *entry = object->get(key);
    if (!entry)
      continue;
    std::optional<StringRef> text = entry->getAsString();
    if (!text)
      return fail() << key << " must be a string";
    *layout = parseLayout(*text);
    if (!*layout)
      return fail() << "unknown " << key << " '" << *text
                    << "'; expected replicate, shard(d), R or S(d)";
  }
  if (const json::Value *local = object->get("use_local_output")) {
    std::optional<bool> flag = local->getAsBoolean();
    if (!flag)
      return fail() << "use_local_output must be true or false";
    style->useLocalOutput = *flag;
  }
  return style;
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

/// Reads `{"mesh": ..., "plan": {pattern: style}}`; both keys are optional.
static FailureOr<Plan> readPlan(const json::Value &root, StringRef tpAxis,
                                const PlanLocator &where) {
  const json::Object *object = root.getAsObject();
  if (!object)
    return where.emitError()
           << "a plan must be an object with \"mesh\" and \"plan\"";
  for (StringRef key : getSortedKeys(*object))
    if (key != "mesh" && key != "plan")
      return where.emitError(key)
             << "unknown plan key '" << key << "'; expected mesh or plan";

  Plan plan;
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
  if (const json::Value *styles = object->get("plan")) {
    const json::Object *patterns = styles->getAsObject();
    if (!patterns)
      return where.emitError("plan")
             << "the plan's \"plan\" must be an object {pattern: style}";
    for (StringRef pattern : getSortedKeys(*patterns)) {
      FailureOr<LayerStyle> style =
          parseStyle(pattern, *patterns->get(pattern), where);
      if (failed(style))
        return failure();
      plan.styles.push_back(std::move(*style));
    }
  }
  return plan;
}

//===----------------------------------------------------------------------===//
// Matching layers
//===----------------------------------------------------------------------===//

/// True when `path` matches `pattern` segment by segment, each segment a
/// glob as fnmatch reads it (`*`, `?`, `[...]`), as PyTorch's
/// parallelize_module matches plan keys: a glob never crosses a dot. A
/// malformed glob matches nothing, and so is reported as matching no layer.
static bool matchesPath(StringRef pattern, StringRef path) {
  SmallVector<StringRef> patternSegments, pathSegments;
  pattern.split(patternSegments, '.');
  path.split(pathSegments, '.');
  return patternSegments.size() == pathSegments.size() &&
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
  llvm::DenseMap<StringRef, const LayerStyle *> styleOf;
  for (const LayerStyle &style : plan->styles) {
    bool matched = false;
    for (const auto &[layer, ops] : layers) {
      if (!matchesPath(style.pattern, layer))
        continue;
      matched = true;
      auto [it, inserted] = styleOf.insert({layer, &style});
      if (!inserted) {
        ops.front()->emitError("layer '")
            << layer << "' is matched by plan patterns '" << it->second->pattern
            << "' and '" << style.pattern << "'";
        valid = false;
      }
    }
    if (matched)
      continue;
    valid = false;
    InFlightDiagnostic diag = locator->emitError(style.pattern)
                              << "plan pattern '" << style.pattern
                              << "' matches no layer";
    constexpr size_t kHintSize = 4;
    if (layerNames.empty())
      diag << " (the model has no layers)";
    else
      diag << " (layers: "
           << llvm::join(ArrayRef(layerNames).take_front(kHintSize), ", ")
           << (layerNames.size() > kHintSize ? ", ..." : "") << ")";
  }

  auto meshRef = FlatSymbolRefAttr::get(mesh->getSymNameAttr());
  auto axis = StringAttr::get(&getContext(), tpAxis);
  for (const auto &[layer, ops] : layers) {
    for (Operation *op : ops) {
      std::optional<LayerStyle> style;
      if (const LayerStyle *named = styleOf.lookup(layer))
        style = *named;
      else if (sequenceParallel &&
               llvm::is_contained(
                   cast<LayerOpInterface>(op).getParallelStyles(),
                   ParallelStyleKind::SequenceParallel))
        style = LayerStyle{"", ParallelStyleKind::SequenceParallel};
      if (!style)
        continue;
      // Sequence parallelism reduce-scatters a row-wise output onto the
      // sequence dim instead of all-reducing it.
      if (sequenceParallel && style->kind == ParallelStyleKind::Rowwise &&
          !style->output)
        style->output = Placement::shard(1);
      if (failed(verifyStyleFits(cast<LayerOpInterface>(op), style->kind,
                                 style->input, style->output))) {
        valid = false;
        continue;
      }
      auto attr =
          StyleAttr::get(&getContext(), style->kind, meshRef, axis,
                         style->input, style->output, style->useLocalOutput);
      LLVM_DEBUG(llvm::dbgs() << "layer '" << layer << "': " << attr << "\n");
      op->setAttr(kStyleAttrName, attr);
    }
  }
  if (!valid)
    signalPassFailure();
}
