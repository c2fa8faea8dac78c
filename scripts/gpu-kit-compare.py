"""Compares an output of the GPU kit's runs with the cpu build's.

Usage: compare.py DTYPE ACTUAL.npy EXPECTED.npy. Passes (exit 0) when
max |actual - expected| / max |expected| is within the dtype's tolerance,
the one test/e2e/check.py allows. compare.py train ACTUAL.safetensors
EXPECTED.safetensors compares every tensor of two f32 training checkpoints
so, within test/e2e/train.py's tolerance for the Llama layer (AdamW enlarges
rounding differences).
"""

import json
import struct
import sys

import numpy as np

RTOL = {"f32": 2e-4, "f16": 3e-3, "bf16": 2e-2, "train": 1e-3}


def read_safetensors(path):
    """Every F32 and I64 tensor of a safetensors file, as float64 arrays."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    types = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(
            data[8 + length + begin:8 + length + end],
            dtype=types[entry["dtype"]]).reshape(entry["shape"]).astype(
                np.float64)
    return tensors


def error(a, b):
    if a.shape != b.shape:
        sys.exit(f"shape {a.shape}, expected {b.shape}")
    return np.max(np.abs(a - b), initial=0) / max(np.max(np.abs(b)), 1e-30)


def main():
    dtype, actual, expected = sys.argv[1:]
    if dtype == "train":
        a, b = read_safetensors(actual), read_safetensors(expected)
        if a.keys() != b.keys():
            sys.exit(f"the checkpoints differ in tensors "
                     f"{sorted(a.keys() ^ b.keys())}")
        worst = max(error(a[k], b[k]) for k in b)
    else:
        worst = error(np.load(actual).astype(np.float64),
                      np.load(expected).astype(np.float64))
    print(f"  {actual.rsplit('/', 1)[-1]}: max |difference| / max |value| = "
          f"{worst:.3e} (rtol {RTOL[dtype]})")
    sys.exit(0 if worst <= RTOL[dtype] else 1)


if __name__ == "__main__":
    main()
