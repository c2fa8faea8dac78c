"""Independent numpy references of the example models, for end-to-end tests.

Each function takes the weights (a dict from state-dict names to arrays, as
read from a safetensors file) and the inputs, and returns the model's output
(or a list of its outputs), computed the way
the PyTorch reference code does (Lightning's FeedForward, Meta's Llama 3
model.py), in float64 so that it is a yardstick for the f32 executables
(and, from the same rounded weights and inputs, for the f16 and bf16 ones).
"""

import json
import math
import os
import struct

import numpy as np


def read_safetensors(path):
    """Reads every tensor of a checkpoint into a dict of float64 arrays: one
    safetensors file, a Hugging Face index (model.safetensors.index.json:
    {"metadata": ..., "weight_map": {tensor: shard file}}, its shard files
    relative to its directory), or the directory holding model.safetensors
    or the index (model.safetensors first, as Hugging Face looks)."""
    if os.path.isdir(path):
        single = os.path.join(path, "model.safetensors")
        path = (single if os.path.exists(single) else
                os.path.join(path, "model.safetensors.index.json"))
    if not path.endswith(".json"):
        return _read_safetensors_file(path)
    with open(path) as f:
        weight_map = json.load(f)["weight_map"]
    tensors = {}
    for shard in sorted(set(weight_map.values())):
        held = _read_safetensors_file(
            os.path.join(os.path.dirname(path), shard))
        mapped = {name for name, file in weight_map.items() if file == shard}
        if set(held) != mapped:
            raise ValueError(f"{shard} holds {sorted(set(held) ^ mapped)} "
                             f"otherwise than {path} maps them")
        tensors.update(held)
    return tensors


def _read_safetensors_file(path):
    """Reads every tensor of one safetensors file into a dict of arrays."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64,
              "F16": np.float16, "BF16": np.uint16}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[base + begin : base + end],
                              dtype=dtypes[entry["dtype"]])
        if entry["dtype"] == "BF16":
            # bfloat16 is the upper half of a float32 (numpy has no bf16).
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array.reshape(entry["shape"]).astype(np.float64)
    return tensors


def round_to(dtype, array):
    """The float32 `array` rounded to `dtype` ("f32", "f16", "bf16") to
    nearest even, as float32: what the runtime makes of float32 inputs."""
    if dtype == "f16":
        return array.astype(np.float16).astype(np.float32)
    if dtype == "bf16":
        bits = array.astype(np.float32).view(np.uint32).astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
        return bits.astype(np.uint32).view(np.float32)
    return array


def linear(x, weight):
    return x @ weight.T


def silu(x):
    return x / (1.0 + np.exp(-x))


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def feed_forward(w, prefix, x):
    return linear(silu(linear(x, w[prefix + "w1.weight"])) *
                  linear(x, w[prefix + "w3.weight"]), w[prefix + "w2.weight"])


def rotate_half(x):
    """Hugging Face's rotate_half: the halves x1, x2 of the last dim become
    (-x2, x1)."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def rope(x, theta, convention="interleaved"):
    """Rotary embedding on [batch, seq, heads, head_dim]: Llama's
    apply_rotary_emb ("interleaved"), or Hugging Face's apply_rotary_pos_emb
    ("half"): x * cos + rotate_half(x) * sin, each frequency twice."""
    _, seq, _, head_dim = x.shape
    freqs = 1.0 / theta ** (np.arange(0, head_dim, 2) / head_dim)
    angles = np.outer(np.arange(seq), freqs)  # [seq, head_dim / 2]
    if convention == "half":
        emb = np.concatenate([angles, angles], axis=-1)[None, :, None, :]
        return x * np.cos(emb) + rotate_half(x) * np.sin(emb)
    cos = np.cos(angles)[None, :, None, :]
    sin = np.sin(angles)[None, :, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def attention(q, k, v):
    """Causal attention on [batch, seq, heads, head_dim], grouped-query."""
    group = q.shape[2] // k.shape[2]
    k = np.repeat(k, group, axis=2)
    v = np.repeat(v, group, axis=2)
    scores = np.einsum("bshd,bthd->bhst", q, k) / np.sqrt(q.shape[3])
    seq = q.shape[1]
    scores = scores + np.triu(np.full((seq, seq), -np.inf), 1)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = scores / scores.sum(axis=-1, keepdims=True)
    return np.einsum("bhst,bthd->bshd", probs, v)


def to_hf_layout(w, heads):
    """The rows of a q or k projection w [heads * head_dim, in] of Meta's
    layout in Hugging Face's, as convert_llama_weights_to_hf.py permutes
    them: per head, rows 0, 2, 4, ..., then 1, 3, 5, ...; rope "half" on
    them computes what "interleaved" computes on w."""
    rows, cols = w.shape
    return w.reshape(heads, rows // heads // 2, 2, cols).transpose(
        0, 2, 1, 3).reshape(rows, cols)


def transformer_block(w, prefix, x, heads, kv_heads, theta, eps,
                      rope_convention="interleaved"):
    batch, seq, dim = x.shape
    head_dim = dim // heads
    h = rms_norm(x, w[prefix + "attention_norm.weight"], eps)
    q = linear(h, w[prefix + "attention.wq.weight"]).reshape(batch, seq, heads, head_dim)
    k = linear(h, w[prefix + "attention.wk.weight"]).reshape(batch, seq, kv_heads, head_dim)
    v = linear(h, w[prefix + "attention.wv.weight"]).reshape(batch, seq, kv_heads, head_dim)
    o = attention(rope(q, theta, rope_convention),
                  rope(k, theta, rope_convention), v).reshape(batch, seq, dim)
    h = x + linear(o, w[prefix + "attention.wo.weight"])
    return h + feed_forward(w, prefix + "feed_forward.",
                            rms_norm(h, w[prefix + "ffn_norm.weight"], eps))


def llama(w, tokens, layers, heads, kv_heads, theta, eps,
          rope_convention="interleaved"):
    h = w["tok_embeddings.weight"][tokens]
    for i in range(layers):
        h = transformer_block(w, f"layers.{i}.", h, heads, kv_heads, theta, eps,
                              rope_convention)
    return linear(rms_norm(h, w["norm.weight"], eps), w["output.weight"])


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def encoder_block(w, x, heads=4):
    """A pre-norm encoder block with biased linears, unfused attention."""
    def dense(name, h):
        return linear(h, w[name + ".weight"]) + w[name + ".bias"]

    batch, seq, dim = x.shape
    split = lambda t: t.reshape(batch, seq, heads, dim // heads).transpose(0, 2, 1, 3)
    n1 = layer_norm(x, w["self_attn_layer_norm.weight"],
                    w["self_attn_layer_norm.bias"], 1e-5)
    q = split(dense("self_attn.q_proj", n1))
    k = split(dense("self_attn.k_proj", n1))
    v = split(dense("self_attn.v_proj", n1))
    o = softmax(q @ k.transpose(0, 1, 3, 2) * 0.25) @ v
    h = x + dense("self_attn.out_proj", o.transpose(0, 2, 1, 3).reshape(batch, seq, dim))
    n2 = layer_norm(h, w["final_layer_norm.weight"], w["final_layer_norm.bias"], 1e-5)
    y = h + dense("fc2", gelu(dense("fc1", n2)))
    return [y, np.array(y.sum())]


# The example models: how to make their inputs and compute their outputs
# (the Llama ones in either rotary convention, with the query and key head
# counts that lay out their projections).
MODELS = {
    "feedforward": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (8, 8192)).astype(np.float32)],
        "forward": lambda w, x: feed_forward(w, "", x),
    },
    "llama-layer": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (2, 16, 256)).astype(np.float32)],
        "forward": lambda w, x, rope="interleaved": transformer_block(
            w, "", x, 16, 8, 500000.0, 1e-5, rope),
        "heads": (16, 8),
    },
    "encoder-block": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (2, 8, 64)).astype(np.float32)],
        "forward": encoder_block,
        "outputs": 2,
    },
    "llama-tiny": {
        "inputs": lambda rng: [rng.integers(0, 128, (2, 16), dtype=np.int64)],
        "forward": lambda w, t, rope="interleaved": llama(
            w, t, 2, 8, 4, 500000.0, 1e-5, rope),
        "heads": (8, 4),
    },
}


def feed_forward_grads(w, x):
    """The FeedForward's loss `output.sum()` and the gradient of every weight,
    by hand-derived backward formulas (the chain rule written out, not the
    compiler's rules)."""
    w1, w2, w3 = w["w1.weight"], w["w2.weight"], w["w3.weight"]
    h1, h3 = x @ w1.T, x @ w3.T
    s = 1.0 / (1.0 + np.exp(-h1))
    a = h1 * s
    g = a * h3
    y = g @ w2.T
    dy = np.ones_like(y)
    dg = dy @ w2
    dh1 = dg * h3 * s * (1.0 + h1 * (1.0 - s))
    dh3 = dg * a
    return y.sum(), {"w1.weight": dh1.T @ x, "w2.weight": dy.T @ g,
                     "w3.weight": dh3.T @ x}


def train(w, grads_of, steps, optimizer, lr, betas=(0.9, 0.999), eps=1e-8,
          weight_decay=None):
    """Runs `steps` steps of torch.optim's SGD (no momentum) or AdamW on the
    weights `w` (updated in place), with the loss and gradients of
    `grads_of(w)`; returns the loss of each step and the optimizer state by
    its checkpoint names (optimizer.<name>.exp_avg, ...)."""
    if weight_decay is None:
        weight_decay = 0.01 if optimizer == "adamw" else 0.0
    state = {}
    losses = []
    for step in range(1, steps + 1):
        loss, grads = grads_of(w)
        losses.append(loss)
        for name, grad in grads.items():
            if optimizer == "sgd":
                w[name] = w[name] - lr * (grad + weight_decay * w[name])
                continue
            m = state.setdefault(f"optimizer.{name}.exp_avg",
                                 np.zeros_like(grad))
            v = state.setdefault(f"optimizer.{name}.exp_avg_sq",
                                 np.zeros_like(grad))
            w[name] = w[name] * (1.0 - lr * weight_decay)
            m[...] = betas[0] * m + (1.0 - betas[0]) * grad
            v[...] = betas[1] * v + (1.0 - betas[1]) * grad * grad
            step_size = lr / (1.0 - betas[0] ** step)
            denom = np.sqrt(v) / math.sqrt(1.0 - betas[1] ** step) + eps
            w[name] = w[name] - step_size * m / denom
    return losses, state




def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) *
                                    (x + 0.044715 * x ** 3)))


def cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, labels[..., None], axis=-1)
    return -picked.mean()


def grad_dense(w, x):
    h = linear(x, w["lin.weight"]) + w["lin.bias"]
    u = gelu(h) * gelu_tanh(h) + np.maximum(h, 0.0)
    n = layer_norm(u, w["ln.weight"], w["ln.bias"], 1e-5)
    y = softmax(n) * n
    return 0.5 * y.transpose(0, 2, 1).reshape(2, 18)


def grad_attention(w, x):
    h = rms_norm(x, w["norm.weight"], 1e-5)
    q = linear(h, w["wq.weight"]).reshape(1, 4, 4, 4)
    k = linear(h, w["wk.weight"]).reshape(1, 4, 2, 4)
    v = linear(h, w["wv.weight"]).reshape(1, 4, 2, 4)
    o = attention(rope(q, 1e4), rope(k, 1e4), v).reshape(1, 4, 16)
    return silu(linear(o, w["wo.weight"])) @ w["proj"]


def grad_rope(w, x):
    h = linear(x, w["w.weight"]).reshape(1, 4, 2, 8)
    return silu(rope(h, 1e4, "half").reshape(1, 4, 16))


# The gradient-check models (test/e2e/models/grad-*.mlir): their inputs, the
# loss tp-compile takes of their output, and their numpy forward.
GRADCHECK = {
    "grad-dense": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (2, 3, 8)).astype(np.float32)],
        "loss": "sum",
        "loss_of": lambda w, x: grad_dense(w, x).sum(),
    },
    "grad-attention": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (1, 4, 16)).astype(np.float32)],
        "loss": "sum",
        "loss_of": lambda w, x: grad_attention(w, x).sum(),
    },
    "grad-rope": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (1, 4, 16)).astype(np.float32)],
        "loss": "sum",
        "loss_of": lambda w, x: grad_rope(w, x).sum(),
    },
    "grad-embedding": {
        "inputs": lambda rng: [rng.integers(0, 10, (2, 3), dtype=np.int64),
                               rng.integers(0, 12, (2, 3), dtype=np.int64)],
        "loss": "cross_entropy",
        "loss_of": lambda w, ids, labels: cross_entropy(
            linear(w["tok.weight"][ids], w["out.weight"]), labels),
    },
}


def rms_norm_grads(x, weight, dy, eps):
    """The gradients of rms_norm's input and weight, by the chain rule."""
    r = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    g = dy * weight
    dx = r * (g - x * r * r * np.mean(g * x, axis=-1, keepdims=True))
    dweight = (dy * x * r).reshape(-1, x.shape[-1]).sum(axis=0)
    return dx, dweight


def rope_back(dy, theta):
    """The backward of rope: the rotation by the opposite angle."""
    _, seq, _, head_dim = dy.shape
    freqs = 1.0 / theta ** (np.arange(0, head_dim, 2) / head_dim)
    angles = np.outer(np.arange(seq), freqs)
    cos = np.cos(angles)[None, :, None, :]
    sin = np.sin(angles)[None, :, None, :]
    even, odd = dy[..., 0::2], dy[..., 1::2]
    dx = np.empty_like(dy)
    dx[..., 0::2] = even * cos + odd * sin
    dx[..., 1::2] = -even * sin + odd * cos
    return dx


def attention_grads(q, k, v, dout):
    """The gradients of causal grouped-query attention's q, k and v."""
    group = q.shape[2] // k.shape[2]
    kr, vr = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scale = 1.0 / np.sqrt(q.shape[3])
    seq = q.shape[1]
    scores = np.einsum("bshd,bthd->bhst", q, kr) * scale
    scores = scores + np.triu(np.full((seq, seq), -np.inf), 1)
    p = np.exp(scores - scores.max(axis=-1, keepdims=True))
    p = p / p.sum(axis=-1, keepdims=True)
    dvr = np.einsum("bhst,bshd->bthd", p, dout)
    dp = np.einsum("bshd,bthd->bhst", dout, vr)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    dq = np.einsum("bhst,bthd->bshd", ds, kr) * scale
    dkr = np.einsum("bhst,bshd->bthd", ds, q) * scale
    fold = lambda t: t.reshape(t.shape[0], t.shape[1], k.shape[2], group,
                               t.shape[3]).sum(axis=3)
    return dq, fold(dkr), fold(dvr)


def transformer_block_backward(w, prefix, x, dy, heads, kv_heads, theta,
                               eps):
    """The backward of transformer_block, by the chain rule written out op by
    op (not the compiler's rules): the gradient of its input and of every
    weight (by name, with `prefix`), given the gradient `dy` of its output."""
    batch, seq, dim = x.shape
    head_dim = dim // heads
    flat = lambda t: t.reshape(-1, t.shape[-1])
    p = lambda name: w[prefix + name]
    wq, wk, wv, wo = (p(f"attention.{n}.weight") for n in ("wq", "wk", "wv", "wo"))
    w1, w2, w3 = (p(f"feed_forward.{n}.weight") for n in ("w1", "w2", "w3"))
    h = rms_norm(x, p("attention_norm.weight"), eps)
    q = linear(h, wq).reshape(batch, seq, heads, head_dim)
    k = linear(h, wk).reshape(batch, seq, kv_heads, head_dim)
    v = linear(h, wv).reshape(batch, seq, kv_heads, head_dim)
    qr, kr = rope(q, theta), rope(k, theta)
    o = attention(qr, kr, v).reshape(batch, seq, dim)
    h1 = x + linear(o, wo)
    n2 = rms_norm(h1, p("ffn_norm.weight"), eps)
    g1, g3 = linear(n2, w1), linear(n2, w3)
    s = 1.0 / (1.0 + np.exp(-g1))
    a = g1 * s
    m = a * g3
    grads = {}
    dm = dy @ w2
    grads["feed_forward.w2.weight"] = flat(dy).T @ flat(m)
    dg1 = dm * g3 * s * (1.0 + g1 * (1.0 - s))
    dg3 = dm * a
    grads["feed_forward.w1.weight"] = flat(dg1).T @ flat(n2)
    grads["feed_forward.w3.weight"] = flat(dg3).T @ flat(n2)
    dn2 = dg1 @ w1 + dg3 @ w3
    dh1_norm, grads["ffn_norm.weight"] = rms_norm_grads(
        h1, p("ffn_norm.weight"), dn2, eps)
    dh1 = dy + dh1_norm
    grads["attention.wo.weight"] = flat(dh1).T @ flat(o)
    do = (dh1 @ wo).reshape(batch, seq, heads, head_dim)
    dqr, dkr, dv = attention_grads(qr, kr, v, do)
    dq = rope_back(dqr, theta).reshape(batch, seq, -1)
    dk = rope_back(dkr, theta).reshape(batch, seq, -1)
    dv = dv.reshape(batch, seq, -1)
    grads["attention.wq.weight"] = flat(dq).T @ flat(h)
    grads["attention.wk.weight"] = flat(dk).T @ flat(h)
    grads["attention.wv.weight"] = flat(dv).T @ flat(h)
    dh = dq @ wq + dk @ wk + dv @ wv
    dx_norm, grads["attention_norm.weight"] = rms_norm_grads(
        x, p("attention_norm.weight"), dh, eps)
    return dh1 + dx_norm, {prefix + name: g for name, g in grads.items()}


def transformer_block_grads(w, x, heads, kv_heads, theta, eps):
    """The Llama layer's loss `output.sum()` and the gradient of every
    weight."""
    y = transformer_block(w, "", x, heads, kv_heads, theta, eps)
    _, grads = transformer_block_backward(w, "", x, np.ones_like(y), heads,
                                          kv_heads, theta, eps)
    return y.sum(), grads


def llama_grads(w, tokens, labels, layers, heads, kv_heads, theta, eps):
    """Tiny Llama's cross-entropy against `labels` and the gradient of every
    weight, by the chain rule."""
    hs = [w["tok_embeddings.weight"][tokens]]
    for i in range(layers):
        hs.append(transformer_block(w, f"layers.{i}.", hs[-1], heads,
                                    kv_heads, theta, eps))
    n = rms_norm(hs[-1], w["norm.weight"], eps)
    logits = linear(n, w["output.weight"])
    loss = cross_entropy(logits, labels)
    probs = softmax(logits)
    np.put_along_axis(probs, labels[..., None],
                      np.take_along_axis(probs, labels[..., None], -1) - 1.0,
                      axis=-1)
    dlogits = probs / labels.size
    flat = lambda t: t.reshape(-1, t.shape[-1])
    grads = {"output.weight": flat(dlogits).T @ flat(n)}
    dh, grads["norm.weight"] = rms_norm_grads(
        hs[-1], w["norm.weight"], dlogits @ w["output.weight"], eps)
    for i in reversed(range(layers)):
        dh, layer = transformer_block_backward(w, f"layers.{i}.", hs[i], dh,
                                               heads, kv_heads, theta, eps)
        grads.update(layer)
    table = np.zeros_like(w["tok_embeddings.weight"])
    np.add.at(table, tokens.reshape(-1), flat(dh))
    grads["tok_embeddings.weight"] = table
    return loss, grads


# The models trained by the tests (train.py): their inputs and, where this
# file has them, their loss and gradients by hand-derived formulas.
TRAINING = {
    "feedforward": {
        "inputs": lambda rng: [rng.uniform(-1, 1, (8, 64)).astype(np.float32)],
        "grads": lambda w, x: feed_forward_grads(w, x),
    },
    "llama-layer": {
        "inputs": MODELS["llama-layer"]["inputs"],
        "grads": lambda w, x: transformer_block_grads(w, x, 16, 8, 500000.0,
                                                      1e-5),
    },
    "llama-tiny": {
        # Tokens, and labels: the tokens shifted by one, as a language model
        # is trained.
        "inputs": lambda rng: (lambda t: [t, np.roll(t, -1, axis=1)])(
            rng.integers(0, 128, (2, 16), dtype=np.int64)),
        "grads": lambda w, t, l: llama_grads(w, t, l, 2, 8, 4, 500000.0,
                                             1e-5),
    },
}
