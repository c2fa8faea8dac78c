//===- tp-import.cpp - a Hugging Face config.json as a tp model -----------===//
//
// This file implements `tp-import`, which writes the model a Hugging Face
// `config.json` describes in the tp dialect, with Hugging Face's parameter
// names, so that its checkpoints load as they are shipped:
//   tp-import config.json -o model.mlir --plan-out plan.json
// It imports the Llama family's decoders (LlamaForCausalLM,
// MistralForCausalLM, Qwen2ForCausalLM, Phi3ForCausalLM): embedding, per
// layer RMSNorm, grouped-query attention with rotate_half rotary embeddings
// (rope_scaling of types linear, llama3 and longrope), a SwiGLU MLP, the
// final norm and the output projection (tied or not). The model runs a whole
// sequence from position 0 and returns the logits. Phi-3's fused qkv_proj
// and gate_up_proj are read part by part (`tp.get_parameter ... rows`), so
// each part shards as its unfused twin would.
//
// Every value comes from the config or from the defaults Hugging Face's
// config classes give a missing key; a value the importer cannot honour is
// an error naming the key and the value.
//
//===----------------------------------------------------------------------===//

#include "tp/Dialect/TP/IR/TPOps.h"
#include "tp/InitAll.h"
#include "tp/Tools/CommandLine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <numbers>

using namespace mlir;
using namespace mlir::tp;
namespace cl = llvm::cl;
namespace json = llvm::json;

// --help lists this category alone: the LLVM libraries' own options are not
// the tool's.
static cl::OptionCategory importCategory("tp-import options");
static cl::opt<std::string> configFile(cl::Positional, cl::Required,
                                       cl::desc("<config.json>"),
                                       cl::cat(importCategory));
static cl::opt<std::string> outputFile("o", cl::Required,
                                       cl::desc("output model (.mlir)"),
                                       cl::cat(importCategory));
static cl::opt<int64_t>
    layersOption("layers",
                 cl::desc("import the first N layers (default: all of "
                          "num_hidden_layers)"),
                 cl::init(0), cl::cat(importCategory));
static cl::opt<int64_t> batchOption("batch",
                                    cl::desc("sequences per call (default 1)"),
                                    cl::init(1), cl::cat(importCategory));
static cl::opt<int64_t> seqOption("seq",
                                  cl::desc("tokens per sequence (default 128)"),
                                  cl::init(128), cl::cat(importCategory));
static cl::opt<std::string>
    dtypeOption("dtype",
                cl::desc("f32 (default, as from_pretrained loads), bf16 or "
                         "f16; checkpoints in another float dtype convert on "
                         "load"),
                cl::init("f32"), cl::cat(importCategory));
static cl::opt<std::string>
    planOut("plan-out",
            cl::desc("also write the tensor-parallel plan: the config's own "
                     "base_model_tp_plan, or the standard one"),
            cl::cat(importCategory));

namespace {

/// The config.json, read with Hugging Face's defaults for missing keys.
/// The first key that is wrong is the error (the build stops with -fno-
/// exceptions LLVM style: readers return a harmless value after it, and the
/// caller checks `error()` before using what it read).
class Config {
public:
  explicit Config(json::Object object) : object(std::move(object)) {}

  /// Records `message` unless an earlier error stands.
  void fail(const Twine &message) {
    if (firstError.empty())
      firstError = message.str();
  }
  const std::string &error() const { return firstError; }

  bool has(StringRef key) const {
    const json::Value *value = object.get(key);
    return value && value->kind() != json::Value::Null;
  }
  /// Whether `key` is given as null (which differs from missing where a
  /// config class defaults to a value and turns None into another).
  bool isNull(StringRef key) const {
    const json::Value *value = object.get(key);
    return value && value->kind() == json::Value::Null;
  }
  const json::Value *get(StringRef key) const {
    return has(key) ? object.get(key) : nullptr;
  }

  /// The integer `key`, or `fallback` where it is missing; an error where
  /// it is missing with no fallback, or not a positive integer.
  int64_t integer(StringRef key, std::optional<int64_t> fallback = {},
                  int64_t minimum = 1) {
    if (!has(key)) {
      if (!fallback)
        missing(key);
      return fallback.value_or(1);
    }
    std::optional<int64_t> value = object.get(key)->getAsInteger();
    bool valid = value && *value >= minimum;
    if (!valid)
      invalid(key, minimum > 0 ? "a positive integer" : "an integer >= 0");
    return valid ? *value : 1;
  }

  double number(StringRef key, std::optional<double> fallback = {}) {
    if (!has(key)) {
      if (!fallback)
        missing(key);
      return fallback.value_or(1.0);
    }
    std::optional<double> value = object.get(key)->getAsNumber();
    if (!value || !(*value > 0.0))
      invalid(key, "a positive number");
    return value && *value > 0.0 ? *value : 1.0;
  }

  bool boolean(StringRef key, bool fallback) {
    if (!has(key))
      return fallback;
    std::optional<bool> value = object.get(key)->getAsBoolean();
    if (!value)
      invalid(key, "true or false");
    return value.value_or(fallback);
  }

  std::optional<std::string> string(StringRef key) {
    if (!has(key))
      return std::nullopt;
    std::optional<StringRef> value = object.get(key)->getAsString();
    if (!value)
      invalid(key, "a string");
    return value ? std::optional(value->str()) : std::nullopt;
  }

  /// The config's text of `key`'s value, for messages.
  std::string text(StringRef key) const {
    const json::Value *value = object.get(key);
    if (!value)
      return "missing";
    std::string out;
    llvm::raw_string_ostream(out) << *value;
    return out.size() > 80 ? out.substr(0, 77) + "..." : out;
  }

  void missing(StringRef key) {
    fail("'" + key + "' is missing and has no default");
  }
  void invalid(StringRef key, StringRef expected) {
    fail("'" + key + "' is " + text(key) + "; expected " + expected);
  }
  void unsupported(StringRef key, const Twine &why) {
    fail("'" + key + "' is " + text(key) + ": " + why);
  }

private:
  json::Object object;
  std::string firstError;
};

/// The architectures tp-import knows, and what tells them apart.
enum class Architecture { Llama, Mistral, Qwen2, Phi3 };

struct ArchitectureInfo {
  StringLiteral hfClass, modelType;
  Architecture architecture;
  /// The rms_norm_eps Hugging Face's config class defaults to.
  double defaultEpsilon;
  /// The num_key_value_heads it defaults to when the key is missing; 0 for
  /// num_attention_heads (which an explicit null always means).
  int64_t defaultKvHeads;
};

constexpr ArchitectureInfo kArchitectures[] = {
    {"LlamaForCausalLM", "llama", Architecture::Llama, 1e-6, 0},
    {"MistralForCausalLM", "mistral", Architecture::Mistral, 1e-6, 8},
    {"Qwen2ForCausalLM", "qwen2", Architecture::Qwen2, 1e-6, 32},
    {"Phi3ForCausalLM", "phi3", Architecture::Phi3, 1e-5, 0},
};

/// The rotary embedding of every attention layer.
struct Rope {
  double theta;
  /// Divisors of the inverse frequencies (tp.rope's freq_factors), if the
  /// config scales them.
  std::optional<std::vector<double>> freqFactors;
  /// tp.rope's attention_factor, if not 1.
  std::optional<double> attentionFactor;
};

/// What the model is, every key read and checked.
struct Model {
  const ArchitectureInfo *info;
  /// `layers` of the config, of which the first `imported` are imported.
  int64_t hidden, intermediate, layers, imported, heads, kvHeads, headDim,
      vocab;
  double epsilon;
  bool tied, attentionBias, outputBias, mlpBias, fused;
  Rope rope;
};

} // namespace

/// The architecture the config names; null (and the error) for another.
static const ArchitectureInfo *readArchitecture(Config &config) {
  auto supported = [] {
    std::string names;
    for (const ArchitectureInfo &info : kArchitectures)
      names += (names.empty() ? "" : ", ") + info.hfClass.str();
    return names;
  };
  if (const json::Value *list = config.get("architectures")) {
    const json::Array *array = list->getAsArray();
    if (!array || array->size() != 1 || !(*array)[0].getAsString()) {
      config.invalid("architectures", "a list of one class name");
      return nullptr;
    }
    StringRef name = *(*array)[0].getAsString();
    for (const ArchitectureInfo &info : kArchitectures)
      if (info.hfClass == name)
        return &info;
    config.unsupported("architectures", "tp-import imports " + supported());
    return nullptr;
  }
  std::optional<std::string> type = config.string("model_type");
  for (const ArchitectureInfo &info : kArchitectures)
    if (type && info.modelType == *type)
      return &info;
  if (type)
    config.unsupported("model_type", "tp-import imports " + supported());
  else
    config.fail("neither 'architectures' nor 'model_type' says what the "
                "model is");
  return nullptr;
}

/// Hugging Face's `llama3` rescaling of the inverse frequencies
/// (_compute_llama3_parameters), as divisors of the unscaled ones.
static std::vector<double>
llama3Factors(Config &config, const json::Object &scaling, const Model &model) {
  auto field = [&](StringRef key) {
    std::optional<double> value = scaling.getNumber(key);
    if (!value || !(*value > 0.0))
      config.unsupported("rope_scaling",
                         "rope_type llama3 needs a positive '" + key + "'");
    return value && *value > 0.0 ? *value : 1.0;
  };
  double factor = field("factor"), low = field("low_freq_factor"),
         high = field("high_freq_factor"),
         context = field("original_max_position_embeddings");
  if (!(high > low)) {
    config.unsupported("rope_scaling",
                       "high_freq_factor must exceed low_freq_factor");
    return {};
  }
  double lowWavelength = context / low, highWavelength = context / high;
  std::vector<double> factors;
  for (int64_t i = 0; i < model.headDim / 2; ++i) {
    double inverse =
        std::pow(model.rope.theta, -2.0 * double(i) / double(model.headDim));
    double wavelength = 2.0 * std::numbers::pi / inverse;
    double scaled = inverse;
    if (wavelength > lowWavelength) {
      scaled = inverse / factor;
    } else if (wavelength >= highWavelength) {
      double smooth = (context / wavelength - low) / (high - low);
      scaled = (1.0 - smooth) * inverse / factor + smooth * inverse;
    }
    factors.push_back(inverse / scaled);
  }
  return factors;
}

/// Phi-3's `longrope` (_compute_longrope_parameters) for a sequence of
/// `seq` tokens: the short factors up to original_max_position_embeddings,
/// the long ones beyond, and the attention factor from the ratio of
/// max_position_embeddings to it.
static void readLongrope(Config &config, const json::Object &scaling,
                         Model &model, int64_t seq) {
  int64_t context = config.integer("original_max_position_embeddings",
                                   config.integer("max_position_embeddings"));
  StringRef key = seq > context ? "long_factor" : "short_factor";
  const json::Array *list = scaling.getArray(key);
  if (!list || int64_t(list->size()) != model.headDim / 2) {
    config.unsupported("rope_scaling", "longrope needs '" + key +
                                           "', a list of " +
                                           Twine(model.headDim / 2) +
                                           " numbers (head_dim / 2)");
    return;
  }
  std::vector<double> factors;
  for (const json::Value &value : *list) {
    std::optional<double> factor = value.getAsNumber();
    if (!factor || !(*factor > 0.0)) {
      config.unsupported("rope_scaling", "'" + key +
                                             "' holds a value that is not a "
                                             "positive number");
      return;
    }
    factors.push_back(*factor);
  }
  model.rope.freqFactors = std::move(factors);
  if (std::optional<double> given = scaling.getNumber("attention_factor")) {
    model.rope.attentionFactor = *given;
    return;
  }
  double ratio =
      double(config.integer("max_position_embeddings")) / double(context);
  if (ratio > 1.0)
    model.rope.attentionFactor =
        std::sqrt(1.0 + std::log(ratio) / std::log(double(context)));
}

static void readRopeScaling(Config &config, Model &model, int64_t seq) {
  const json::Value *value = config.get("rope_scaling");
  if (!value)
    return;
  const json::Object *scaling = value->getAsObject();
  if (!scaling)
    return config.invalid("rope_scaling", "an object or null");
  // transformers reads "rope_type", and "type" from older configs.
  std::optional<StringRef> type = scaling->getString("rope_type");
  if (!type)
    type = scaling->getString("type");
  if (!type)
    return config.unsupported("rope_scaling", "it names no rope_type");
  if (*type == "default")
    return;
  if (*type == "linear") {
    std::optional<double> factor = scaling->getNumber("factor");
    if (!factor || !(*factor > 0.0))
      return config.unsupported("rope_scaling",
                                "rope_type linear needs a positive 'factor'");
    model.rope.freqFactors = std::vector<double>(model.headDim / 2, *factor);
    return;
  }
  if (*type == "llama3") {
    model.rope.freqFactors = llama3Factors(config, *scaling, model);
    return;
  }
  if (*type == "longrope") {
    readLongrope(config, *scaling, model, seq);
    return;
  }
  config.unsupported("rope_scaling",
                     "rope_type '" + *type +
                         "' is not supported (tp-import implements default, "
                         "linear, llama3 and longrope)");
}

/// Reads and checks every key the model needs, for its first `layers`
/// layers (0: all) on a sequence of `seq` tokens; fails with the config's
/// error.
static FailureOr<Model> readModel(Config &config, int64_t layers, int64_t seq) {
  Model model;
  model.info = readArchitecture(config);
  if (!model.info)
    return failure();
  Architecture architecture = model.info->architecture;
  model.hidden = config.integer("hidden_size");
  model.intermediate = config.integer("intermediate_size");
  model.layers = config.integer("num_hidden_layers");
  model.heads = config.integer("num_attention_heads");
  model.imported = layers ? layers : model.layers;
  if (model.imported > model.layers)
    config.unsupported("num_hidden_layers",
                       "--layers " + Twine(layers) + " asks for more");
  model.kvHeads = config.integer("num_key_value_heads",
                                 model.info->defaultKvHeads &&
                                         !config.isNull("num_key_value_heads")
                                     ? model.info->defaultKvHeads
                                     : model.heads);
  model.vocab = config.integer("vocab_size");
  if (model.hidden % model.heads != 0 && !config.has("head_dim"))
    config.unsupported("num_attention_heads",
                       "it does not divide hidden_size " + Twine(model.hidden) +
                           " and no 'head_dim' is given");
  model.headDim = config.integer("head_dim", model.hidden / model.heads);
  if (model.headDim % 2 != 0)
    config.unsupported("head_dim",
                       "rotary embeddings rotate pairs of features");
  if (model.heads % model.kvHeads != 0)
    config.unsupported("num_key_value_heads",
                       "it does not divide num_attention_heads " +
                           Twine(model.heads));
  model.epsilon = config.number("rms_norm_eps", model.info->defaultEpsilon);
  model.tied = config.boolean("tie_word_embeddings", false);
  // Llama's attention_bias covers q, k, v and o; Qwen2 always has q, k and
  // v biases and no key for them.
  bool llamaBias = architecture == Architecture::Llama &&
                   config.boolean("attention_bias", false);
  model.attentionBias = llamaBias || architecture == Architecture::Qwen2;
  model.outputBias = llamaBias;
  model.mlpBias =
      architecture == Architecture::Llama && config.boolean("mlp_bias", false);
  model.fused = architecture == Architecture::Phi3;

  if (std::optional<std::string> act = config.string("hidden_act");
      act && *act != "silu")
    config.unsupported("hidden_act", "tp-import implements silu");
  if (architecture == Architecture::Phi3 &&
      config.number("partial_rotary_factor", 1.0) != 1.0)
    config.unsupported("partial_rotary_factor",
                       "tp-import rotates whole heads (1.0)");

  // Past a sliding window a position attends to fewer keys than causal
  // attention gives it; up to it, the window changes nothing. Qwen2 windows
  // only layers from max_window_layers on, and only if asked to.
  bool windowed =
      architecture == Architecture::Qwen2
          ? config.boolean("use_sliding_window", false) &&
                model.imported > config.integer("max_window_layers", 28,
                                                /*minimum=*/0)
          : architecture != Architecture::Llama;
  if (windowed && config.has("sliding_window") &&
      seq > config.integer("sliding_window"))
    config.unsupported("sliding_window",
                       "--seq " + Twine(seq) +
                           " exceeds it; sliding-window attention is "
                           "not implemented, give --seq at most the "
                           "window");
  if (config.has("max_position_embeddings") &&
      seq > config.integer("max_position_embeddings"))
    config.unsupported("max_position_embeddings",
                       "--seq " + Twine(seq) + " exceeds it");

  model.rope.theta = config.number("rope_theta", 10000.0);
  // Scaling needs head_dim: only with the sizes right.
  if (config.error().empty())
    readRopeScaling(config, model, seq);
  if (!config.error().empty())
    return failure();
  return model;
}

namespace {

/// Builds the model's module: parameters first, in state-dict order, then
/// @forward.
class ModelBuilder {
public:
  ModelBuilder(MLIRContext *context, const Model &model, Type element,
               int64_t layers, int64_t batch, int64_t seq)
      : model(model), element(element), layers(layers), batch(batch), seq(seq),
        builder(context), loc(UnknownLoc::get(context)) {}

  OwningOpRef<ModuleOp> build();

private:
  RankedTensorType tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, element);
  }

  /// Declares parameter `name` of `shape` (before @forward).
  void declare(StringRef name, ArrayRef<int64_t> shape) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(forward);
    ParameterOp::create(builder, loc, name, tensor(shape),
                        /*optimizer_state=*/false, FlatSymbolRefAttr());
  }

  /// Declares parameter `name` of `shape` and reads it.
  Value parameter(StringRef name, ArrayRef<int64_t> shape) {
    declare(name, shape);
    return GetParameterOp::create(builder, loc, tensor(shape), name,
                                  DenseI64ArrayAttr(), LayoutAttr());
  }

  /// Reads rows [begin, end) of parameter `name`, a fused weight.
  Value rows(StringRef name, int64_t begin, int64_t end) {
    return GetParameterOp::create(
        builder, loc, tensor({end - begin, model.hidden}), name,
        builder.getDenseI64ArrayAttr({begin, end}), LayoutAttr());
  }

  /// nn.Linear `layer` of `in` -> `out` features on x, with its own weight
  /// (and bias), or with `weight` given.
  Value linear(StringRef layer, Value x, int64_t in, int64_t out, bool bias,
               Value weight = {}) {
    if (!weight)
      weight = parameter((layer + ".weight").str(), {out, in});
    Value b = bias ? parameter((layer + ".bias").str(), {out}) : Value();
    return LinearOp::create(builder, loc, builder.getStringAttr(layer), x,
                            weight, b);
  }

  Value rmsNorm(StringRef layer, Value x) {
    Value weight = parameter((layer + ".weight").str(), {model.hidden});
    return RMSNormOp::create(builder, loc, builder.getStringAttr(layer), x,
                             weight, builder.getF64FloatAttr(model.epsilon));
  }

  Value reshape(Value x, ArrayRef<int64_t> shape) {
    return ReshapeOp::create(builder, loc, tensor(shape), x);
  }

  Value rope(Value x) {
    const Rope &rope = model.rope;
    return RoPEOp::create(
        builder, loc, x, builder.getF64FloatAttr(rope.theta),
        RopeConventionAttr::get(builder.getContext(), RopeConvention::Half),
        rope.freqFactors ? builder.getF64ArrayAttr(*rope.freqFactors)
                         : ArrayAttr(),
        rope.attentionFactor ? builder.getF64FloatAttr(*rope.attentionFactor)
                             : FloatAttr());
  }

  Value attention(StringRef prefix, Value x);
  Value mlp(StringRef prefix, Value x);

  const Model &model;
  Type element;
  int64_t layers, batch, seq;
  OpBuilder builder;
  Location loc;
  func::FuncOp forward;
};

} // namespace

Value ModelBuilder::attention(StringRef prefix, Value x) {
  std::string layer = (prefix + ".self_attn").str();
  int64_t qFeatures = model.heads * model.headDim,
          kvFeatures = model.kvHeads * model.headDim;
  Value q, k, v;
  if (model.fused) {
    // [q | k | v] rows of one weight, each part a projection of its own.
    std::string fused = layer + ".qkv_proj";
    declare(fused + ".weight", {qFeatures + 2 * kvFeatures, model.hidden});
    auto part = [&](int64_t begin, int64_t end) {
      return linear(fused, x, model.hidden, end - begin, /*bias=*/false,
                    rows(fused + ".weight", begin, end));
    };
    q = part(0, qFeatures);
    k = part(qFeatures, qFeatures + kvFeatures);
    v = part(qFeatures + kvFeatures, qFeatures + 2 * kvFeatures);
  } else {
    q = linear(layer + ".q_proj", x, model.hidden, qFeatures,
               model.attentionBias);
    k = linear(layer + ".k_proj", x, model.hidden, kvFeatures,
               model.attentionBias);
    v = linear(layer + ".v_proj", x, model.hidden, kvFeatures,
               model.attentionBias);
  }
  Value heads = rope(reshape(q, {batch, seq, model.heads, model.headDim}));
  Value keys = rope(reshape(k, {batch, seq, model.kvHeads, model.headDim}));
  Value values = reshape(v, {batch, seq, model.kvHeads, model.headDim});
  Value o = AttentionOp::create(builder, loc, heads, keys, values,
                                builder.getUnitAttr(), FloatAttr());
  return linear(layer + ".o_proj", reshape(o, {batch, seq, qFeatures}),
                qFeatures, model.hidden, model.outputBias);
}

Value ModelBuilder::mlp(StringRef prefix, Value x) {
  std::string layer = (prefix + ".mlp").str();
  int64_t width = model.intermediate;
  Value gate, up;
  if (model.fused) {
    // [gate | up] rows of one weight.
    std::string fused = layer + ".gate_up_proj";
    declare(fused + ".weight", {2 * width, model.hidden});
    gate = linear(fused, x, model.hidden, width, /*bias=*/false,
                  rows(fused + ".weight", 0, width));
    up = linear(fused, x, model.hidden, width, /*bias=*/false,
                rows(fused + ".weight", width, 2 * width));
  } else {
    gate = linear(layer + ".gate_proj", x, model.hidden, width, model.mlpBias);
    up = linear(layer + ".up_proj", x, model.hidden, width, model.mlpBias);
  }
  Value product =
      MulOp::create(builder, loc, SiLUOp::create(builder, loc, gate), up);
  return linear(layer + ".down_proj", product, width, model.hidden,
                model.mlpBias);
}

OwningOpRef<ModuleOp> ModelBuilder::build() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  auto tokens = RankedTensorType::get({batch, seq}, builder.getI64Type());
  auto logits = tensor({batch, seq, model.vocab});
  forward = func::FuncOp::create(builder, loc, "forward",
                                 builder.getFunctionType(tokens, logits));
  builder.setInsertionPointToStart(forward.addEntryBlock());

  Value table =
      parameter("model.embed_tokens.weight", {model.vocab, model.hidden});
  Value h = EmbeddingOp::create(builder, loc,
                                builder.getStringAttr("model.embed_tokens"),
                                forward.getArgument(0), table);
  for (int64_t i = 0; i < layers; ++i) {
    std::string prefix = "model.layers." + std::to_string(i);
    h = AddOp::create(
        builder, loc, h,
        attention(prefix, rmsNorm(prefix + ".input_layernorm", h)));
    h = AddOp::create(
        builder, loc, h,
        mlp(prefix, rmsNorm(prefix + ".post_attention_layernorm", h)));
  }
  h = rmsNorm("model.norm", h);
  // A tied output layer reads the embedding's table.
  Value out = linear("lm_head", h, model.hidden, model.vocab, /*bias=*/false,
                     model.tied ? table : Value());
  func::ReturnOp::create(builder, loc, out);
  return module;
}

/// The plan: the config's base_model_tp_plan (its keys are relative to the
/// base model, `model.` here), or the standard Megatron plan: attention and
/// MLP column- then row-wise, and the vocabulary split over the embedding
/// and the output layer (a tied table is split once, for both).
static json::Object makePlan(Config &config, const Model &model) {
  json::Object plan;
  if (const json::Value *given = config.get("base_model_tp_plan")) {
    const json::Object *entries = given->getAsObject();
    if (!entries)
      config.invalid("base_model_tp_plan", "an object");
    for (const auto &[key, style] : entries ? *entries : json::Object())
      plan[("model." + key.str())] = style;
  } else {
    StringRef attention = "model.layers.*.self_attn.",
              mlp = "model.layers.*.mlp.";
    if (model.fused) {
      plan[(attention + "qkv_proj").str()] = "colwise";
      plan[(mlp + "gate_up_proj").str()] = "colwise";
    } else {
      for (StringRef proj : {"q_proj", "k_proj", "v_proj"})
        plan[(attention + proj).str()] = "colwise";
      for (StringRef proj : {"gate_proj", "up_proj"})
        plan[(mlp + proj).str()] = "colwise";
    }
    plan[(attention + "o_proj").str()] = "rowwise";
    plan[(mlp + "down_proj").str()] = "rowwise";
  }
  if (!plan.get("model.embed_tokens"))
    plan["model.embed_tokens"] = "rowwise";
  if (!plan.get("lm_head"))
    plan["lm_head"] = "colwise_rep";
  return plan;
}

static int fail(const Twine &message) {
  llvm::errs() << "tp-import: error: " << message << "\n";
  return 1;
}

/// Writes `path` with `write`; fails with a message.
static LogicalResult writeFile(StringRef path,
                               llvm::function_ref<void(raw_ostream &)> write) {
  std::error_code error;
  llvm::ToolOutputFile file(path, error, llvm::sys::fs::OF_Text);
  if (error) {
    fail("cannot write '" + path + "': " + error.message());
    return failure();
  }
  write(file.os());
  file.keep();
  return success();
}

static int run() {
  std::string repeated = findRepeatedOption();
  if (!repeated.empty())
    return fail(repeated);
  if (batchOption <= 0 || seqOption <= 0 || layersOption < 0)
    return fail("--batch and --seq must be positive, --layers not negative");
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  Type element = llvm::StringSwitch<Type>(dtypeOption)
                     .Case("f32", Float32Type::get(&context))
                     .Case("bf16", BFloat16Type::get(&context))
                     .Case("f16", Float16Type::get(&context))
                     .Default(Type());
  if (!element)
    return fail("--dtype is '" + dtypeOption + "'; give f32, bf16 or f16");

  auto buffer = llvm::MemoryBuffer::getFile(configFile);
  if (!buffer)
    return fail("cannot read '" + configFile +
                "': " + buffer.getError().message());
  llvm::Expected<json::Value> parsed = json::parse((*buffer)->getBuffer());
  if (!parsed)
    return fail("'" + configFile +
                "' is not JSON: " + llvm::toString(parsed.takeError()));
  json::Object *root = parsed->getAsObject();
  if (!root)
    return fail("'" + configFile + "' is not a JSON object");
  Config config(std::move(*root));
  FailureOr<Model> model = readModel(config, layersOption, seqOption);
  if (failed(model))
    return fail(configFile + ": " + config.error());
  int64_t layers = model->imported;
  json::Object plan = makePlan(config, *model);
  if (!config.error().empty())
    return fail(configFile + ": " + config.error());

  OwningOpRef<ModuleOp> module =
      ModelBuilder(&context, *model, element, layers, batchOption, seqOption)
          .build();
  if (failed(verify(*module)))
    return 1;
  auto header = [&](raw_ostream &os) {
    os << llvm::formatv(
        "// {0} imported by tp-import from {1}: {2} of {3} layers, batch {4}, "
        "seq {5}, {6}.\n// hidden {7}, heads {8} (kv {9}, head_dim {10}), "
        "intermediate {11}, vocab {12}{13}.\n",
        model->info->hfClass, llvm::sys::path::filename(configFile.getValue()),
        layers, model->layers, batchOption.getValue(), seqOption.getValue(),
        dtypeOption.getValue(), model->hidden, model->heads, model->kvHeads,
        model->headDim, model->intermediate, model->vocab,
        model->tied ? ", tied output" : "");
  };
  if (failed(writeFile(outputFile, [&](raw_ostream &os) {
        header(os);
        module->print(os);
      })))
    return 1;
  if (!planOut.empty() && failed(writeFile(planOut, [&](raw_ostream &os) {
        os << llvm::formatv(
                  "{0:2}", json::Value(json::Object{{"plan", std::move(plan)}}))
           << "\n";
      })))
    return 1;
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(importCategory);
  setVersionPrinter("tp-import");
  cl::ParseCommandLineOptions(
      argc, argv,
      "tp-import: a Hugging Face config.json as a tp model\n\n"
      "  tp-import config.json -o model.mlir --plan-out plan.json\n"
      "  tp-compile model.mlir --mesh tp:2 --plan plan.json -o model\n"
      "  mpirun -np 2 ./model --weights model.safetensors.index.json ...\n");
  return run();
}
