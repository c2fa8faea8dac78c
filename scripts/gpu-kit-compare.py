"""Compares an output of the GPU kit's runs with the cpu build's.

Usage: compare.py DTYPE ACTUAL.npy EXPECTED.npy. Passes (exit 0) when
max |actual - expected| / max |expected| is within the dtype's tolerance,
the one test/e2e/check.py allows.
"""

import sys

import numpy as np

RTOL = {"f32": 2e-4, "f16": 3e-3, "bf16": 2e-2}


def main():
    dtype, actual, expected = sys.argv[1:]
    a = np.load(actual).astype(np.float64)
    b = np.load(expected).astype(np.float64)
    if a.shape != b.shape:
        sys.exit(f"shape {a.shape}, expected {b.shape}")
    error = np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30)
    print(f"  {actual.rsplit('/', 1)[-1]}: max |difference| / max |output| = "
          f"{error:.3e} (rtol {RTOL[dtype]})")
    sys.exit(0 if error <= RTOL[dtype] else 1)


if __name__ == "__main__":
    main()
