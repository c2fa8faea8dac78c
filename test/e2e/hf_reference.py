"""An independent numpy (float64) forward of Hugging Face's decoder-only
causal language models: LlamaForCausalLM, MistralForCausalLM,
Qwen2ForCausalLM and Phi3ForCausalLM.

    logits = forward(config, weights, tokens)

`config` is the model's config.json as a dict, `weights` maps Hugging Face's
state-dict names (model.embed_tokens.weight, model.layers.N.self_attn.
q_proj.weight, ...) to arrays, `tokens` is an int array [batch, seq]; the
positions are 0..seq-1, the attention causal, no KV cache. The result is the
logits [batch, seq, vocab] for every position, in float64.

It is written from transformers' modeling_llama.py, modeling_mistral.py,
modeling_qwen2.py, modeling_phi3.py and modeling_rope_utils.py (their
semantics, as of transformers 4.4x-4.5x), not from tp-mlir's code, so that it
is a yardstick for tp-import. Where transformers computes in the model's
dtype (bf16 activations, f32 rope tables and softmax) this computes in
float64 throughout: differences from a bf16 run are rounding, not semantics.

`python3 hf_reference.py --self-test` checks it against hand-computed values
and against independent formulations (Meta's interleaved rope on unpermuted
weights, a scalar-loop attention, the unfused Phi-3 layer, test/e2e/
reference.py's Llama), and checks the shrunk test configs in models/hf/.
"""

import argparse
import copy
import json
import math
import os
import sys

import numpy as np

ARCHITECTURES = ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM",
                 "Phi3ForCausalLM")

# Each architecture's defaults for keys a config.json may leave out: the
# keyword defaults of the configuration class's __init__ (config.json is
# loaded as Config(**json)), as in transformers 4.4x-4.5x:
#   LlamaConfig:   num_key_value_heads=None (-> num_attention_heads),
#                  head_dim=None (-> hidden_size // num_attention_heads),
#                  rms_norm_eps=1e-6, rope_theta=10000.0, rope_scaling=None,
#                  tie_word_embeddings=False, attention_bias=False,
#                  mlp_bias=False, max_position_embeddings=2048.
#   MistralConfig: num_key_value_heads=8 (!, not num_attention_heads; only an
#                  explicit null becomes num_attention_heads), head_dim=None,
#                  rms_norm_eps=1e-6, rope_theta=10000.0, sliding_window=4096,
#                  tie_word_embeddings=False, max_position_embeddings=131072;
#                  no biases at all (MistralAttention uses bias=False).
#   Qwen2Config:   num_key_value_heads=32 (!, the same caveat), rms_norm_eps=
#                  1e-6, rope_theta=10000.0, rope_scaling=None,
#                  tie_word_embeddings=False, use_sliding_window=False,
#                  sliding_window=4096, max_window_layers=28,
#                  max_position_embeddings=32768; q/k/v_proj always biased,
#                  o_proj never (Qwen2Attention hard-codes bias=True/False;
#                  there is no attention_bias key).
#   Phi3Config:    num_key_value_heads=None (-> num_attention_heads),
#                  rms_norm_eps=1e-5 (!), rope_theta=10000.0, rope_scaling=
#                  None, partial_rotary_factor=1.0, max_position_embeddings=
#                  4096, original_max_position_embeddings=4096,
#                  sliding_window=None, tie_word_embeddings=False; qkv_proj,
#                  o_proj, gate_up_proj and down_proj unbiased.
# The sizes (vocab_size, hidden_size, ...) have defaults too, but every real
# config.json gives them; they are required here.
DEFAULTS = {
    "LlamaForCausalLM": {
        "num_key_value_heads": None, "head_dim": None, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "rope_scaling": None,
        "tie_word_embeddings": False, "attention_bias": False,
        "mlp_bias": False, "max_position_embeddings": 2048,
        "hidden_act": "silu",
    },
    "MistralForCausalLM": {
        "num_key_value_heads": 8, "head_dim": None, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "rope_scaling": None, "sliding_window": 4096,
        "tie_word_embeddings": False, "max_position_embeddings": 4096 * 32,
        "hidden_act": "silu",
    },
    "Qwen2ForCausalLM": {
        "num_key_value_heads": 32, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "rope_scaling": None,
        "tie_word_embeddings": False, "use_sliding_window": False,
        "sliding_window": 4096, "max_window_layers": 28,
        "max_position_embeddings": 32768, "hidden_act": "silu",
    },
    "Phi3ForCausalLM": {
        "num_key_value_heads": None, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "rope_scaling": None,
        "partial_rotary_factor": 1.0, "max_position_embeddings": 4096,
        "original_max_position_embeddings": 4096, "sliding_window": None,
        "tie_word_embeddings": False, "hidden_act": "silu",
    },
}

REQUIRED = ("vocab_size", "hidden_size", "intermediate_size",
            "num_hidden_layers", "num_attention_heads")


# AutoModelForCausalLM picks the class by model_type; `architectures` (what
# save_pretrained records) names it too, and wins here when present.
MODEL_TYPES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
               "qwen2": "Qwen2ForCausalLM", "phi3": "Phi3ForCausalLM"}


def architecture(config):
    archs = config.get("architectures") or []
    if not archs and config.get("model_type") in MODEL_TYPES:
        archs = [MODEL_TYPES[config["model_type"]]]
    if len(archs) != 1 or archs[0] not in ARCHITECTURES:
        raise ValueError(f"architectures {archs}: expected one of "
                         f"{', '.join(ARCHITECTURES)}")
    return archs[0]


def hyperparameters(config):
    """The config with every default filled in and the derived values
    (head_dim, the rope's kind, the biases) made explicit, as a dict."""
    arch = architecture(config)
    p = dict(DEFAULTS[arch])
    p.update(config)
    for key in REQUIRED:
        if key not in config:
            raise ValueError(f"config has no '{key}'")
    p["arch"] = arch
    if p["num_key_value_heads"] is None:
        p["num_key_value_heads"] = p["num_attention_heads"]
    # LlamaAttention, MistralAttention and (since 4.48) Qwen2Attention and
    # Phi3Attention: getattr(config, "head_dim", hidden // heads); a null
    # head_dim counts as absent (`config.head_dim or ...` in Llama/Mistral).
    if p.get("head_dim") is None:
        p["head_dim"] = p["hidden_size"] // p["num_attention_heads"]
    if p["num_attention_heads"] % p["num_key_value_heads"]:
        raise ValueError("num_attention_heads must be a multiple of "
                         "num_key_value_heads")
    if p["hidden_act"] not in ACTIVATIONS:
        raise NotImplementedError(f"hidden_act {p['hidden_act']}")
    # Biases: Llama's attention_bias covers q, k, v and o; Qwen2's q, k, v
    # always and o never; Mistral and Phi-3 have none. Llama's mlp_bias
    # covers gate, up and down.
    if arch == "LlamaForCausalLM":
        p["qkv_bias"] = p["o_bias"] = bool(p["attention_bias"])
        p["mlp_bias"] = bool(p["mlp_bias"])
    elif arch == "Qwen2ForCausalLM":
        p["qkv_bias"], p["o_bias"], p["mlp_bias"] = True, False, False
    else:
        p["qkv_bias"] = p["o_bias"] = p["mlp_bias"] = False
    # Only Phi-3's attention applies the rotation to part of each head.
    factor = p.get("partial_rotary_factor", 1.0) if arch == "Phi3ForCausalLM" else 1.0
    p["rotary_dim"] = int(p["head_dim"] * factor)
    # The sliding window each layer sees (None: none).
    if arch == "MistralForCausalLM" or arch == "Phi3ForCausalLM":
        windows = [p.get("sliding_window")] * p["num_hidden_layers"]
    elif arch == "Qwen2ForCausalLM" and p["use_sliding_window"]:
        # Qwen2: layers from max_window_layers on use the window.
        windows = [p["sliding_window"] if i >= p["max_window_layers"] else None
                   for i in range(p["num_hidden_layers"])]
    else:
        windows = [None] * p["num_hidden_layers"]
    if p.get("layer_types") and arch != "LlamaForCausalLM":
        # Newer configs list each layer's attention (Qwen2Config derives it
        # from use_sliding_window and max_window_layers when absent).
        window = p.get("sliding_window") if (
            arch != "Qwen2ForCausalLM" or p["use_sliding_window"]) else None
        windows = [window if t == "sliding_attention" else None
                   for t in p["layer_types"][: p["num_hidden_layers"]]]
    p["windows"] = windows
    return p


def expected_parameters(config):
    """Every parameter of the model by Hugging Face's name, with its shape."""
    p = hyperparameters(config)
    hidden, inter = p["hidden_size"], p["intermediate_size"]
    heads, kv, d = p["num_attention_heads"], p["num_key_value_heads"], p["head_dim"]
    shapes = {"model.embed_tokens.weight": (p["vocab_size"], hidden)}
    for i in range(p["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        shapes[pre + "input_layernorm.weight"] = (hidden,)
        shapes[pre + "post_attention_layernorm.weight"] = (hidden,)
        if p["arch"] == "Phi3ForCausalLM":
            shapes[pre + "self_attn.qkv_proj.weight"] = ((heads + 2 * kv) * d, hidden)
            shapes[pre + "mlp.gate_up_proj.weight"] = (2 * inter, hidden)
        else:
            for name, rows in (("q", heads * d), ("k", kv * d), ("v", kv * d)):
                shapes[pre + f"self_attn.{name}_proj.weight"] = (rows, hidden)
                if p["qkv_bias"]:
                    shapes[pre + f"self_attn.{name}_proj.bias"] = (rows,)
            shapes[pre + "mlp.gate_proj.weight"] = (inter, hidden)
            shapes[pre + "mlp.up_proj.weight"] = (inter, hidden)
        shapes[pre + "self_attn.o_proj.weight"] = (hidden, heads * d)
        if p["o_bias"]:
            shapes[pre + "self_attn.o_proj.bias"] = (hidden,)
        shapes[pre + "mlp.down_proj.weight"] = (hidden, inter)
        if p["mlp_bias"]:
            for name, rows in (("gate", inter), ("up", inter), ("down", hidden)):
                shapes[pre + f"mlp.{name}_proj.bias"] = (rows,)
    shapes["model.norm.weight"] = (hidden,)
    if not p["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (p["vocab_size"], hidden)
    return shapes


def check_weights(config, weights):
    """Raises ValueError naming every missing, unexpected or misshapen
    tensor. Rotary inv_freq buffers of old checkpoints are ignored."""
    want = expected_parameters(config)
    have = {k: tuple(v.shape) for k, v in weights.items()
            if not k.endswith("rotary_emb.inv_freq")}
    problems = [f"missing {k} {s}" for k, s in want.items() if k not in have]
    problems += [f"unexpected {k} {s}" for k, s in have.items() if k not in want]
    problems += [f"{k} has shape {have[k]}, expected {s}"
                 for k, s in want.items() if k in have and have[k] != s]
    if problems:
        raise ValueError("weights do not match the config: " +
                         "; ".join(problems))


# --- rotary embedding --------------------------------------------------------

def default_inv_freq(base, dim):
    """_compute_default_rope_parameters: 1 / base^(2i/dim), i < dim/2."""
    return 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)


def llama3_inv_freq(inv_freq, rope_scaling):
    """_compute_llama3_parameters (as Meta's apply_scaling in Llama 3.1):
    with wavelen = 2 pi / inv_freq, old = original_max_position_embeddings,
      wavelen < old / high_freq_factor:  kept,
      wavelen > old / low_freq_factor:   divided by factor,
      otherwise, with smooth = (old / wavelen - low) / (high - low):
        (1 - smooth) * inv_freq / factor + smooth * inv_freq."""
    factor = rope_scaling["factor"]
    low = rope_scaling["low_freq_factor"]
    high = rope_scaling["high_freq_factor"]
    old = rope_scaling["original_max_position_embeddings"]
    low_freq_wavelen = old / low
    high_freq_wavelen = old / high
    wavelen = 2 * math.pi / inv_freq
    out = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return np.where(medium, smoothed, out)


def longrope_parameters(p, seq):
    """_compute_longrope_parameters for positions 0..seq-1, which Phi-3 (and
    transformers' dynamic longrope update) evaluate with seq_len =
    max(position_ids) + 1 = seq:

        if hasattr(config, "original_max_position_embeddings"):
            original = config.original_max_position_embeddings
            factor = config.max_position_embeddings / original
        else:
            original = config.max_position_embeddings   # factor from rope_scaling
        if attention_factor is None:   # rope_scaling["attention_factor"]
            attention_factor = 1.0 if factor <= 1.0 else
                math.sqrt(1 + math.log(factor) / math.log(original))
        ext = long_factor if seq_len > original else short_factor
        inv_freq = 1.0 / (ext * base ** (arange(0, dim, 2) / dim))

    and the rotary embedding multiplies both cos and sin by attention_factor
    (Phi3RotaryEmbedding: `cos = emb.cos() * self.attention_scaling`).
    Transformers 4.43's Phi3LongRoPEScaledRotaryEmbedding computes the same.
    Transformers 5 reads an explicit rope_scaling["factor"] first and falls
    back to max / original only without one. Phi-3.5's config has no
    `factor`, so the two agree on it; this follows 4.4x.
    Returns (inv_freq, attention_factor)."""
    scaling = p["rope_scaling"]
    dim = p["rotary_dim"]
    if p.get("original_max_position_embeddings") is not None:
        original = p["original_max_position_embeddings"]
        factor = p["max_position_embeddings"] / original
    else:
        original = p["max_position_embeddings"]
        factor = scaling.get("factor", 1.0)
    attention_factor = scaling.get("attention_factor")
    if attention_factor is None:
        attention_factor = (1.0 if factor <= 1.0 else
                            math.sqrt(1 + math.log(factor) / math.log(original)))
    ext = np.asarray(scaling["long_factor"] if seq > original
                     else scaling["short_factor"], dtype=np.float64)
    if ext.shape != (dim // 2,):
        raise ValueError(f"longrope factors have {ext.shape[0]} entries, "
                         f"expected rotary dim / 2 = {dim // 2}")
    inv_freq = 1.0 / (ext * p["rope_theta"] **
                      (np.arange(0, dim, 2, dtype=np.float64) / dim))
    return inv_freq, attention_factor


def rope_type(p):
    scaling = p.get("rope_scaling")
    if not scaling:
        return "default"
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if p["arch"] == "Phi3ForCausalLM" and kind in ("su", "yarn"):
        kind = "longrope"  # Phi3Config._rope_scaling_adjustment
    return kind


def rope_tables(p, seq):
    """cos and sin [seq, rotary_dim] of positions 0..seq-1:
    emb = cat(freqs, freqs) (each frequency twice, for rotate_half), times
    the attention factor (1 but for longrope)."""
    kind = rope_type(p)
    dim = p["rotary_dim"]
    attention_factor = 1.0
    if kind == "default":
        inv_freq = default_inv_freq(p["rope_theta"], dim)
    elif kind == "linear":
        # _compute_linear_scaling_rope_parameters: inv_freq / factor (the
        # positions divided by factor).
        inv_freq = default_inv_freq(p["rope_theta"], dim) / p["rope_scaling"]["factor"]
    elif kind == "llama3":
        inv_freq = llama3_inv_freq(default_inv_freq(p["rope_theta"], dim),
                                   p["rope_scaling"])
    elif kind == "longrope":
        inv_freq, attention_factor = longrope_parameters(p, seq)
    else:
        raise NotImplementedError(f"rope_scaling type {kind}")
    freqs = np.outer(np.arange(seq, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb) * attention_factor, np.sin(emb) * attention_factor


def rotate_half(x):
    """Hugging Face's rotate_half: cat(-x2, x1) of the halves x1, x2."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary_pos_emb(x, cos, sin):
    """x [batch, heads, seq, head_dim]; the first rotary_dim = cos.shape[-1]
    dims are rotated (all but for Phi-3's partial_rotary_factor < 1), the
    rest pass through, as Phi-3's apply_rotary_pos_emb."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    out = rot * cos + rotate_half(rot) * sin
    return np.concatenate([out, rest], axis=-1)


# --- the model ---------------------------------------------------------------

def rms_norm(x, weight, eps):
    """LlamaRMSNorm (also Mistral's, Qwen2's, Phi3's):
    weight * (x * rsqrt(mean(x^2) + eps))."""
    variance = np.mean(x * x, axis=-1, keepdims=True)
    return weight * (x / np.sqrt(variance + eps))


def linear(x, weights, name, bias):
    y = x @ weights[name + ".weight"].T
    if bias:
        y = y + weights[name + ".bias"]
    return y


def silu(x):
    return x / (1.0 + np.exp(-x))


def _gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def _gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) *
                                    (x + 0.044715 * x ** 3)))


# transformers' ACT2FN, for hidden_act (every config here says "silu").
ACTIVATIONS = {"silu": silu, "swish": silu, "gelu": _gelu,
               "gelu_new": _gelu_tanh, "gelu_pytorch_tanh": _gelu_tanh,
               "relu": lambda x: np.maximum(x, 0.0)}


def repeat_kv(x, n_rep):
    """[batch, kv_heads, seq, d] -> [batch, kv_heads * n_rep, seq, d], kv head
    j serving query heads j * n_rep .. (j + 1) * n_rep - 1."""
    b, kv, s, d = x.shape
    return np.broadcast_to(x[:, :, None], (b, kv, n_rep, s, d)).reshape(
        b, kv * n_rep, s, d)


def attention_mask(seq, window):
    """The additive causal mask [seq, seq]: query i sees key j when j <= i
    and, with a sliding window, i - j < window (Mistral's
    sliding_window_overlay: kv_idx > q_idx - sliding_window). Older
    transformers versions masked one key fewer (AttentionMaskConverter's
    tril with diagonal -sliding_window - 1); all agree while seq <= window,
    the only case tp-import accepts."""
    i = np.arange(seq)[:, None]
    j = np.arange(seq)[None, :]
    allowed = j <= i
    if window is not None:
        allowed &= (i - j) < window
    return np.where(allowed, 0.0, -np.inf)


def attention(p, weights, prefix, x, cos, sin, window):
    """The self-attention block of layer `prefix` on x [batch, seq, hidden]."""
    b, s, _ = x.shape
    heads, kv, d = p["num_attention_heads"], p["num_key_value_heads"], p["head_dim"]
    if p["arch"] == "Phi3ForCausalLM":
        # Phi3Attention.forward: qkv = qkv_proj(x); query_pos = heads * d;
        # q = qkv[..., :query_pos]; k = qkv[..., query_pos : query_pos +
        # kv * d]; v = qkv[..., query_pos + kv * d :].
        qkv = linear(x, weights, prefix + "qkv_proj", False)
        q = qkv[..., : heads * d]
        k = qkv[..., heads * d : heads * d + kv * d]
        v = qkv[..., heads * d + kv * d :]
    else:
        q = linear(x, weights, prefix + "q_proj", p["qkv_bias"])
        k = linear(x, weights, prefix + "k_proj", p["qkv_bias"])
        v = linear(x, weights, prefix + "v_proj", p["qkv_bias"])
    # view(b, s, -1, d).transpose(1, 2)
    q = q.reshape(b, s, heads, d).transpose(0, 2, 1, 3)
    k = k.reshape(b, s, kv, d).transpose(0, 2, 1, 3)
    v = v.reshape(b, s, kv, d).transpose(0, 2, 1, 3)
    q = apply_rotary_pos_emb(q, cos, sin)
    k = apply_rotary_pos_emb(k, cos, sin)
    k = repeat_kv(k, heads // kv)
    v = repeat_kv(v, heads // kv)
    scores = q @ k.transpose(0, 1, 3, 2) * d ** -0.5 + attention_mask(s, window)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = scores / scores.sum(axis=-1, keepdims=True)
    out = (probs @ v).transpose(0, 2, 1, 3).reshape(b, s, heads * d)
    return linear(out, weights, prefix + "o_proj", p["o_bias"])


def mlp(p, weights, prefix, x):
    """down(act(gate(x)) * up(x)), act = silu; Phi-3: gate, up = gate_up_proj(x).chunk(
    2, dim=-1), i.e. the first intermediate_size outputs are the gate's."""
    if p["arch"] == "Phi3ForCausalLM":
        gate_up = linear(x, weights, prefix + "gate_up_proj", False)
        n = p["intermediate_size"]
        gate, up = gate_up[..., :n], gate_up[..., n:]
    else:
        gate = linear(x, weights, prefix + "gate_proj", p["mlp_bias"])
        up = linear(x, weights, prefix + "up_proj", p["mlp_bias"])
    act = ACTIVATIONS[p["hidden_act"]]
    return linear(act(gate) * up, weights, prefix + "down_proj", p["mlp_bias"])


def forward(config, weights, tokens, check=True):
    """The logits [batch, seq, vocab] (float64) of *ForCausalLM(config) with
    `weights` on `tokens` [batch, seq] at positions 0..seq-1."""
    p = hyperparameters(config)
    if check:
        check_weights(config, weights)
    tokens = np.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError("tokens must be [batch, seq]")
    if tokens.min() < 0 or tokens.max() >= p["vocab_size"]:
        raise ValueError("a token is outside the vocabulary")
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    seq = tokens.shape[1]
    cos, sin = rope_tables(p, seq)
    eps = p["rms_norm_eps"]
    h = w["model.embed_tokens.weight"][tokens]
    for i in range(p["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        x = rms_norm(h, w[pre + "input_layernorm.weight"], eps)
        h = h + attention(p, w, pre + "self_attn.", x, cos, sin,
                          p["windows"][i])
        x = rms_norm(h, w[pre + "post_attention_layernorm.weight"], eps)
        h = h + mlp(p, w, pre + "mlp.", x)
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight" if p["tie_word_embeddings"]
             else "lm_head.weight"]
    return h @ head.T


def with_layers(config, layers):
    """The config with num_hidden_layers = layers (what tp-import --layers
    imports)."""
    config = copy.deepcopy(config)
    config["num_hidden_layers"] = layers
    if "max_window_layers" in config:
        config["max_window_layers"] = min(config["max_window_layers"], layers)
    return config


def random_weights(config, rng, scale=None):
    """Random weights of every parameter, uniform in [-1, 1) times
    1/sqrt(fan_in) for matrices (as tp-weights init), 1 for vectors."""
    out = {}
    for name, shape in expected_parameters(config).items():
        s = scale if scale is not None else (
            1.0 / math.sqrt(shape[-1]) if len(shape) > 1 else 1.0)
        out[name] = rng.uniform(-1, 1, shape) * s
    return out


# --- self-test ---------------------------------------------------------------

def _meta_permute(w, heads):
    """convert_llama_weights_to_hf.py's permute: Meta's q/k rows (pairs
    2i, 2i+1 of each head rotated together) into Hugging Face's (i with
    i + d/2): w.view(heads, dim1 // heads // 2, 2, dim2).transpose(1, 2)
    .reshape(dim1, dim2)."""
    dim1, dim2 = w.shape
    return w.reshape(heads, dim1 // heads // 2, 2, dim2).transpose(
        0, 2, 1, 3).reshape(dim1, dim2)


def _meta_rope(x, theta):
    """Meta's apply_rotary_emb on x [batch, seq, heads, d]: adjacent pairs as
    complex numbers times exp(i * pos * freq) (precompute_freqs_cis)."""
    _, seq, _, d = x.shape
    freqs = 1.0 / theta ** (np.arange(0, d, 2)[: d // 2] / d)
    cis = np.exp(1j * np.outer(np.arange(seq), freqs))[None, :, None, :]
    xc = x[..., 0::2] + 1j * x[..., 1::2]
    yc = xc * cis
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = yc.real, yc.imag
    return out


def _naive_attention(p, weights, prefix, x, cos, sin, window):
    """Attention with explicit loops over batch, head, query and key: each
    query head h reads kv head h // (heads / kv_heads), each element rotated
    by rotate_half's formula written out per index."""
    b, s, _ = x.shape
    heads, kv, d = p["num_attention_heads"], p["num_key_value_heads"], p["head_dim"]
    half = d // 2
    q = linear(x, weights, prefix + "q_proj", p["qkv_bias"]).reshape(b, s, heads, d)
    k = linear(x, weights, prefix + "k_proj", p["qkv_bias"]).reshape(b, s, kv, d)
    v = linear(x, weights, prefix + "v_proj", p["qkv_bias"]).reshape(b, s, kv, d)

    def rot(vec, pos):
        out = np.empty(d)
        for i in range(d):
            partner = -vec[i + half] if i < half else vec[i - half]
            out[i] = vec[i] * cos[pos, i] + partner * sin[pos, i]
        return out

    out = np.zeros((b, s, heads, d))
    for bi in range(b):
        for hq in range(heads):
            hk = hq // (heads // kv)
            for i in range(s):
                qi = rot(q[bi, i, hq], i)
                logits = []
                for j in range(i + 1):
                    if window is not None and i - j >= window:
                        logits.append(-math.inf)
                        continue
                    logits.append(qi @ rot(k[bi, j, hk], j) / math.sqrt(d))
                m = max(logits)
                e = [math.exp(t - m) for t in logits]
                for j in range(i + 1):
                    out[bi, i, hq] += e[j] / sum(e) * v[bi, j, hk]
    return linear(out.reshape(b, s, heads * d), weights, prefix + "o_proj",
                  p["o_bias"])


def _close(what, actual, expected, tol=1e-12):
    actual, expected = np.asarray(actual), np.asarray(expected)
    err = np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300)
    status = "ok" if err <= tol else "FAIL"
    print(f"  {status}: {what}: max |difference| / max |value| = {err:.2e}")
    if not err <= tol:
        raise AssertionError(what)


def _tiny(arch, **overrides):
    config = {"architectures": [arch], "vocab_size": 37, "hidden_size": 32,
              "intermediate_size": 48, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2,
              "rms_norm_eps": 1e-5, "rope_theta": 10000.0}
    config.update(overrides)
    return config


def self_test(models_dir):
    rng = np.random.default_rng(1234)

    print("rotate_half on Meta-to-HF permuted q/k = interleaved on Meta's:")
    heads, kv, d, hidden, seq = 4, 2, 8, 32, 6
    wq = rng.normal(size=(heads * d, hidden))
    wk = rng.normal(size=(kv * d, hidden))
    x = rng.normal(size=(2, seq, hidden))
    p = hyperparameters(_tiny("LlamaForCausalLM", rope_theta=500000.0))
    cos, sin = rope_tables(p, seq)
    for name, w, n in (("q", wq, heads), ("k", wk, kv)):
        meta = _meta_rope((x @ w.T).reshape(2, seq, n, d), 500000.0)
        hf = apply_rotary_pos_emb((x @ _meta_permute(w, n).T).reshape(
            2, seq, n, d).transpose(0, 2, 1, 3), cos, sin).transpose(0, 2, 1, 3)
        # Per head, HF's dim i is Meta's dim 2i (i < d/2) or 2(i - d/2) + 1.
        order = np.concatenate([np.arange(0, d, 2), np.arange(1, d, 2)])
        _close(f"{name} after rope, dims reordered", hf, meta[..., order])
    # And a whole model: HF's forward on permuted weights against
    # test/e2e/reference.py's Meta-convention Llama on the originals.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reference
    config = _tiny("LlamaForCausalLM", rope_theta=500000.0,
                   tie_word_embeddings=False)
    hf = random_weights(config, rng)
    meta = {"tok_embeddings.weight": hf["model.embed_tokens.weight"],
            "norm.weight": hf["model.norm.weight"],
            "output.weight": hf["lm_head.weight"]}
    for i in range(2):
        pre, mp = f"model.layers.{i}.", f"layers.{i}."
        # Meta's weights are HF's permuted back: invert the permutation.
        for hf_name, meta_name, n in (("q_proj", "wq", 4), ("k_proj", "wk", 2)):
            w = hf[pre + f"self_attn.{hf_name}.weight"]
            rows, cols = w.shape
            meta[mp + f"attention.{meta_name}.weight"] = w.reshape(
                n, 2, rows // n // 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)
            _close(f"permute(unpermute({hf_name})) layer {i}",
                   _meta_permute(meta[mp + f"attention.{meta_name}.weight"], n), w, 0)
        meta[mp + "attention.wv.weight"] = hf[pre + "self_attn.v_proj.weight"]
        meta[mp + "attention.wo.weight"] = hf[pre + "self_attn.o_proj.weight"]
        meta[mp + "attention_norm.weight"] = hf[pre + "input_layernorm.weight"]
        meta[mp + "ffn_norm.weight"] = hf[pre + "post_attention_layernorm.weight"]
        meta[mp + "feed_forward.w1.weight"] = hf[pre + "mlp.gate_proj.weight"]
        meta[mp + "feed_forward.w3.weight"] = hf[pre + "mlp.up_proj.weight"]
        meta[mp + "feed_forward.w2.weight"] = hf[pre + "mlp.down_proj.weight"]
    tokens = rng.integers(0, 37, (2, 7))
    _close("HF Llama on permuted weights vs reference.llama (Meta) ",
           forward(config, hf, tokens),
           reference.llama(meta, tokens, 2, 4, 2, 500000.0, 1e-5))

    print("llama3 rope scaling, hand-computed:")
    # head_dim 6, theta 1e6: inv_freq 1, 1e-2, 1e-4; wavelengths 2 pi,
    # 200 pi (~628), 20000 pi (~62832). old 1000, low 1, high 4: kept below
    # 250, divided by factor 8 above 1000, interpolated between with
    # smooth = (1000 / (200 pi) - 1) / 3 = (5 / pi - 1) / 3.
    scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 1000}
    smooth = (5 / math.pi - 1) / 3
    _close("inv_freq", llama3_inv_freq(default_inv_freq(1e6, 6), scaling),
           [1.0, 0.01 * ((1 - smooth) / 8 + smooth), 1e-4 / 8])
    p = hyperparameters(_tiny("LlamaForCausalLM", head_dim=6, rope_theta=1e6,
                              rope_scaling=scaling))
    cos, sin = rope_tables(p, 3)
    f = np.array([1.0, 0.01 * ((1 - smooth) / 8 + smooth), 1e-4 / 8])
    _close("cos table at position 2", cos[2], np.cos(2 * np.concatenate([f, f])))
    _close("sin table at position 2", sin[2], np.sin(2 * np.concatenate([f, f])))
    # Llama 3.2's own numbers (theta 5e5, head_dim 64, factor 32, old 8192):
    # pair i has wavelength 2 pi * 5e5^(2i/64): below 2048 for i <= 14, above
    # 8192 for i >= 18; pair 16 has 2 pi * sqrt(5e5) ~ 4443, interpolated
    # with smooth = (8192 / 4443 - 1) / 3.
    base = 500000.0 ** -0.5
    s = (8192 / (2 * math.pi / base) - 1) / 3
    got = llama3_inv_freq(default_inv_freq(500000.0, 64), dict(
        scaling, factor=32.0, original_max_position_embeddings=8192))
    _close("Llama 3.2 inv_freq[16]", got[16], base * ((1 - s) / 32 + s))
    _close("Llama 3.2 inv_freq[0..14] kept", got[:15],
           500000.0 ** (-np.arange(0, 30, 2) / 64))
    _close("Llama 3.2 inv_freq[18..] / 32", got[18:],
           500000.0 ** (-np.arange(36, 64, 2) / 64) / 32)
    assert got[15] != 500000.0 ** (-30 / 64) and got[17] != 500000.0 ** (-34 / 64) / 32

    p = hyperparameters(_tiny("LlamaForCausalLM", head_dim=6, rope_theta=1e6,
                              rope_scaling={"type": "linear", "factor": 4.0}))
    cos, _ = rope_tables(p, 3)
    f = np.array([1.0, 0.01, 1e-4]) / 4
    _close("linear scaling: cos table at position 2", cos[2],
           np.cos(2 * np.concatenate([f, f])))

    print("longrope (Phi-3.5's max / original), hand-computed:")
    # Phi-3.5-mini's max_position_embeddings 131072 and original 4096, at
    # head_dim 8: factor 32, attention factor sqrt(1 + ln 32 / ln 4096) =
    # sqrt(1 + 5/12); short factors up to seq 4096, long ones beyond.
    short = np.array([1.0, 1.02, 1.1, 2.84])
    long = np.array([1.08, 3.23, 30.42, 64.84])
    phi = _tiny("Phi3ForCausalLM", num_attention_heads=4, hidden_size=32,
                max_position_embeddings=131072,
                original_max_position_embeddings=4096,
                rope_scaling={"type": "longrope", "short_factor": list(short),
                              "long_factor": list(long)})
    p = hyperparameters(phi)
    expo = np.array([0, 2, 4, 6]) / 8
    for seq, factors, which in ((4096, short, "short"), (4097, long, "long")):
        inv, att = longrope_parameters(p, seq)
        _close(f"attention factor (seq {seq})", att, math.sqrt(17 / 12))
        _close(f"inv_freq (seq {seq}: {which} factors)",
               inv, 1.0 / (factors * 10000.0 ** expo))
    cos, sin = rope_tables(p, 5)
    inv = 1.0 / (short * 10000.0 ** expo)
    _close("cos table at position 4",
           cos[4], math.sqrt(17 / 12) * np.cos(4 * np.concatenate([inv, inv])))
    _close("sin table at position 4",
           sin[4], math.sqrt(17 / 12) * np.sin(4 * np.concatenate([inv, inv])))
    p2 = hyperparameters(dict(phi, max_position_embeddings=4096))
    _close("no attention factor when max == original",
           longrope_parameters(p2, 8)[1], 1.0)
    p3 = hyperparameters(dict(phi, rope_scaling=dict(
        phi["rope_scaling"], attention_factor=1.5)))
    _close("an explicit attention_factor wins",
           longrope_parameters(p3, 8)[1], 1.5)

    print("Phi-3 fused qkv_proj / gate_up_proj = Llama with the split weights:")
    phi3 = _tiny("Phi3ForCausalLM", num_key_value_heads=2)
    llama = _tiny("LlamaForCausalLM", num_key_value_heads=2)
    fused = random_weights(phi3, rng)
    split = {k: v for k, v in fused.items()
             if "qkv_proj" not in k and "gate_up_proj" not in k}
    for i in range(2):
        pre = f"model.layers.{i}."
        qkv = fused[pre + "self_attn.qkv_proj.weight"]
        split[pre + "self_attn.q_proj.weight"] = qkv[:32]        # 4 heads * 8
        split[pre + "self_attn.k_proj.weight"] = qkv[32:48]      # 2 kv * 8
        split[pre + "self_attn.v_proj.weight"] = qkv[48:]
        gate_up = fused[pre + "mlp.gate_up_proj.weight"]
        split[pre + "mlp.gate_proj.weight"] = gate_up[:48]
        split[pre + "mlp.up_proj.weight"] = gate_up[48:]
    tokens = rng.integers(0, 37, (2, 5))
    _close("logits", forward(phi3, fused, tokens), forward(llama, split, tokens))
    swapped = dict(fused)
    for i in range(2):
        name = f"model.layers.{i}.mlp.gate_up_proj.weight"
        swapped[name] = np.concatenate([fused[name][48:], fused[name][:48]])
    err = np.max(np.abs(forward(phi3, swapped, tokens) -
                        forward(phi3, fused, tokens)))
    print(f"  ok: swapping gate and up changes the logits by {err:.2e}")
    assert err > 1e-3

    print("vectorized attention = scalar loops (GQA, biases, window):")
    for arch, extra in (("Qwen2ForCausalLM", {}),
                        ("LlamaForCausalLM", {"attention_bias": True,
                                              "num_key_value_heads": 1}),
                        ("MistralForCausalLM", {"sliding_window": 3})):
        config = _tiny(arch, **extra)
        p = hyperparameters(config)
        w = random_weights(config, rng)
        x = rng.normal(size=(2, 6, 32))
        cos, sin = rope_tables(p, 6)
        window = p["windows"][0]
        _close(f"{arch} {extra}",
               attention(p, w, "model.layers.0.self_attn.", x, cos, sin, window),
               _naive_attention(p, w, "model.layers.0.self_attn.", x, cos, sin,
                                window))

    print("Mistral's sliding window changes nothing while seq <= window:")
    mistral = _tiny("MistralForCausalLM", sliding_window=6)
    w = random_weights(mistral, rng)
    tokens = rng.integers(0, 37, (2, 6))
    _close("seq 6, window 6 vs none", forward(mistral, w, tokens),
           forward(dict(mistral, sliding_window=None), w, tokens))
    tokens = rng.integers(0, 37, (1, 7))
    err = np.max(np.abs(forward(mistral, w, tokens)[:, 6] -
                        forward(dict(mistral, sliding_window=None), w, tokens)[:, 6]))
    print(f"  ok: seq 7, window 6: the last position changes by {err:.2e}")
    assert err > 1e-6

    print("tied embeddings = an lm_head equal to the embedding:")
    tied = _tiny("LlamaForCausalLM", tie_word_embeddings=True)
    w = random_weights(tied, rng)
    assert "lm_head.weight" not in w
    untied = dict(w, **{"lm_head.weight": w["model.embed_tokens.weight"]})
    _close("logits", forward(tied, w, tokens),
           forward(dict(tied, tie_word_embeddings=False), untied, tokens))

    print("defaults and names:")
    p = hyperparameters({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 8,
                         "hidden_size": 8, "intermediate_size": 8,
                         "num_hidden_layers": 1, "num_attention_heads": 32})
    assert (p["num_key_value_heads"], p["rms_norm_eps"], p["qkv_bias"],
            p["o_bias"]) == (32, 1e-6, True, False)
    p = hyperparameters(_tiny("Phi3ForCausalLM", num_key_value_heads=None))
    del_eps = dict(_tiny("Phi3ForCausalLM"))
    del del_eps["rms_norm_eps"]
    assert hyperparameters(del_eps)["rms_norm_eps"] == 1e-5
    assert p["num_key_value_heads"] == 4 and p["head_dim"] == 8
    m = dict(_tiny("MistralForCausalLM", num_attention_heads=8))
    del m["num_key_value_heads"]
    assert hyperparameters(m)["num_key_value_heads"] == 8
    names = expected_parameters(_tiny("Qwen2ForCausalLM", tie_word_embeddings=True))
    assert "model.layers.1.self_attn.k_proj.bias" in names
    assert "model.layers.1.self_attn.o_proj.bias" not in names
    assert "lm_head.weight" not in names
    bad = random_weights(_tiny("LlamaForCausalLM"), rng)
    bad["model.layers.0.self_attn.q_proj.weight"] = np.zeros((8, 32))
    try:
        forward(_tiny("LlamaForCausalLM"), bad, tokens)
        raise AssertionError("a misshapen weight was accepted")
    except ValueError as e:
        print(f"  ok: {str(e)[:100]}")

    print("the shrunk configs (models/hf) against the originals:")
    check_shrunk_configs(models_dir)
    print("the e2e tests' power: semantic slips move the shrunk models' "
          "logits by far more than the f32 tolerance (2e-4):")
    check_power(models_dir)
    print("self-test passed")


def check_power(models_dir):
    """The shrunk configs at --seq 8 (and Phi-3.5's at 16) make each rope
    detail visible: getting it wrong changes the logits by > 10x the f32
    tolerance of hf_check.py."""
    def load(name):
        with open(os.path.join(models_dir, name)) as f:
            return json.load(f)

    def slip(what, config, changed, seq, change_weights=None):
        rng = np.random.default_rng(0)
        w = random_weights(config, rng)
        t = rng.integers(0, config["vocab_size"], (2, seq))
        good = forward(config, w, t)
        bad = forward(changed, change_weights(w) if change_weights else w, t)
        err = np.max(np.abs(bad - good)) / np.max(np.abs(good))
        status = "ok" if err > 2e-3 else "FAIL"
        print(f"  {status}: {what}: {err:.2e}")
        assert err > 2e-3, what

    def interleaved(config):
        """Meta's interleaved rotation instead of rotate_half: the same as
        rotate_half on q and k rows permuted as Meta-to-HF conversion
        does (biases with them)."""
        p = hyperparameters(config)

        def change(w):
            w = dict(w)
            for i in range(p["num_hidden_layers"]):
                for n, heads in (("q", p["num_attention_heads"]),
                                 ("k", p["num_key_value_heads"])):
                    pre = f"model.layers.{i}.self_attn.{n}_proj."
                    w[pre + "weight"] = _meta_permute(w[pre + "weight"], heads)
                    if pre + "bias" in w:
                        w[pre + "bias"] = _meta_permute(
                            w[pre + "bias"][:, None], heads)[:, 0]
            return w
        return change

    c = load("llama-3.2-1b.config.json")
    slip("llama-3.2-1b without the llama3 rescale", c,
         dict(c, rope_scaling=None), 8)
    c = load("phi-3.5-mini.config.json")
    rs = c["rope_scaling"]
    slip("phi-3.5-mini seq 8 with the long factors", c,
         dict(c, rope_scaling=dict(rs, short_factor=rs["long_factor"])), 8)
    slip("phi-3.5-mini seq 16 with the short factors", c,
         dict(c, rope_scaling=dict(rs, long_factor=rs["short_factor"])), 16)
    slip("phi-3.5-mini without the attention factor", c,
         dict(c, rope_scaling=dict(rs, attention_factor=1.0)), 8)
    for name in ("tinyllama-1.1b", "llama-3.2-1b", "smollm2-135m",
                 "qwen2.5-0.5b", "mistral-7b"):
        c = load(name + ".config.json")
        slip(f"{name} with Meta's interleaved rotation", c, c, 8,
             interleaved(c))
    c = load("qwen2.5-0.5b.config.json")
    slip("qwen2.5-0.5b without the k_proj bias", c, c, 8, lambda w: {
        k: (0 * v if k.endswith("k_proj.bias") else v) for k, v in w.items()})


def _shared(name):
    return os.path.join(os.environ.get("TP_SHARED_MODELS", "/work/shared/models"),
                        name)


def check_shrunk_configs(models_dir):
    """Each shrunk config has its original's keys, architecture, ties,
    biases and rope type, 2 layers, small sizes, and head counts as the
    models/hf README says; and its forward runs on random weights."""
    rng = np.random.default_rng(0)
    for file in sorted(os.listdir(models_dir)):
        if not file.endswith(".config.json"):
            continue
        with open(os.path.join(models_dir, file)) as f:
            small = json.load(f)
        original = None
        if os.path.exists(_shared(file)):
            with open(_shared(file)) as f:
                original = json.load(f)
        p = hyperparameters(small)
        assert p["num_hidden_layers"] == 2, file
        assert p["hidden_size"] <= 128 and p["vocab_size"] <= 256, file
        assert p["intermediate_size"] <= 256, file
        assert p["head_dim"] % 2 == 0, file
        what = "no original here"
        if original is not None:
            q = hyperparameters(original)
            assert set(small) == set(original), (
                file, set(small) ^ set(original))
            for key in ("arch", "tie_word_embeddings", "qkv_bias", "o_bias",
                        "mlp_bias", "rms_norm_eps", "rope_theta",
                        "torch_dtype"):
                assert p.get(key) == q.get(key), (file, key)
            assert rope_type(p) == rope_type(q), file
            ratio = q["num_attention_heads"] // q["num_key_value_heads"]
            for tp in (2, 4):
                divides = (q["num_attention_heads"] % tp == 0 and
                           q["num_key_value_heads"] % tp == 0)
                small_divides = (p["num_attention_heads"] % tp == 0 and
                                 p["num_key_value_heads"] % tp == 0)
                assert divides == small_divides, (file, tp)
            if rope_type(q) == "longrope":
                assert (q["max_position_embeddings"] /
                        q["original_max_position_embeddings"] ==
                        p["max_position_embeddings"] /
                        p["original_max_position_embeddings"]), file
            if rope_type(q) == "llama3":
                rs, ro = p["rope_scaling"], q["rope_scaling"]
                assert rs["factor"] == ro["factor"], file
                assert (p["max_position_embeddings"] /
                        rs["original_max_position_embeddings"] ==
                        q["max_position_embeddings"] /
                        ro["original_max_position_embeddings"]), file
            what = (f"GQA {q['num_attention_heads']}/{q['num_key_value_heads']}"
                    f" (ratio {ratio}) -> {p['num_attention_heads']}/"
                    f"{p['num_key_value_heads']}")
        w = random_weights(small, rng)
        logits = forward(small, w, rng.integers(0, p["vocab_size"], (2, 8)))
        assert np.all(np.isfinite(logits))
        params = sum(int(np.prod(s)) for s in expected_parameters(small).values())
        print(f"  ok: {file}: {p['arch']}, {what}, head_dim {p['head_dim']}, "
              f"rope {rope_type(p)}, {params} parameters")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("--count", metavar="CONFIG",
                        help="print the number of parameters of the model "
                        "of this config.json (Hugging Face's, tied "
                        "embeddings once)")
    parser.add_argument("--models", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "models", "hf"),
        help="the shrunk configs the self-test checks")
    args = parser.parse_args()
    if args.count:
        with open(args.count) as f:
            shapes = expected_parameters(json.load(f))
        print(sum(int(np.prod(s)) for s in shapes.values()))
    elif args.self_test:
        self_test(args.models)
    else:
        parser.print_help()


if __name__ == "__main__":
    main()
