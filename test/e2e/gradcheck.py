"""Checks the gradients of a compiled training step against central finite
differences.

Compiles a tiny model (test/e2e/models/grad-*.mlir) with `tp-compile --train
--optimizer sgd --lr 1 --weight-decay 0` on one rank, runs one step and saves
the weights: each parameter's gradient is then what the step subtracted from
it. The finite differences are of an independent float64 numpy forward of the
same model (reference.GRADCHECK), at up to 24 elements of every parameter.
Run by ctest; prints the error of every parameter.
"""

import argparse
import os
import re
import sys

import numpy as np

import reference
from train import run

SAMPLES = 24
STEP = 1e-6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="models/<model>.mlir")
    parser.add_argument("--models", required=True)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    spec = reference.GRADCHECK[args.model]
    model_file = os.path.join(args.models, f"{args.model}.mlir")
    tag = os.path.join(args.workdir, args.model +
                       ("" if args.target == "cpu" else f"-{args.target}"))
    run([os.path.join(args.bin, "tp-weights"), "init", model_file, "--seed",
         "3", "-o", f"{tag}.safetensors"])
    run([os.path.join(args.bin, "tp-compile"), model_file, "--mesh", "tp:1",
         "--plan", os.path.join(args.models, "replicate-plan.json"), "--train", "--loss", spec["loss"], "--optimizer", "sgd", "--lr", "1",
         "--weight-decay", "0", "--target", args.target, "-o", tag])
    inputs = spec["inputs"](np.random.default_rng(1))
    options = []
    for i, array in enumerate(inputs):
        np.save(f"{tag}-input{i}.npy", array)
        options += ["--input", f"{tag}-input{i}.npy"]
    output = run([args.mpirun, "-np", "1", tag, "--weights",
                  f"{tag}.safetensors", "--steps", "1", "--save",
                  f"{tag}-stepped.safetensors"] + options)

    before = reference.read_safetensors(f"{tag}.safetensors")
    after = reference.read_safetensors(f"{tag}-stepped.safetensors")
    x = [a.astype(np.float64) if a.dtype != np.int64 else a for a in inputs]
    loss_of = lambda w: spec["loss_of"](w, *x)

    loss = float(re.search(r"^step 1: loss (\S+)$", output, re.M).group(1))
    expected = loss_of(before)
    error = abs(loss - expected) / max(abs(expected), 1e-30)
    print(f"loss {loss:.6e} vs reference {expected:.6e}: relative error "
          f"{error:.3e}")
    if not error <= args.rtol:
        sys.exit("FAIL: the loss differs from the reference")

    rng = np.random.default_rng(2)
    failed = False
    for name, weight in before.items():
        grad = weight - after[name]
        flat = weight.reshape(-1)
        picks = (np.arange(flat.size) if flat.size <= SAMPLES else
                 rng.choice(flat.size, SAMPLES, replace=False))
        numeric = []
        for i in picks:
            w = {key: value.copy() for key, value in before.items()}
            w[name].reshape(-1)[i] += STEP
            up = loss_of(w)
            w[name].reshape(-1)[i] -= 2 * STEP
            down = loss_of(w)
            numeric.append((up - down) / (2 * STEP))
        numeric = np.array(numeric)
        compiled = grad.reshape(-1)[picks]
        scale = max(np.max(np.abs(numeric)), 1e-6)
        error = np.max(np.abs(compiled - numeric)) / scale
        print(f"d loss / d {name}: {len(picks)} elements, max |compiled - "
              f"finite difference| / max |gradient| = {error:.3e} "
              f"(max |gradient| {scale:.3e})")
        failed |= not error <= args.rtol
    if failed:
        sys.exit("FAIL: a gradient differs from its finite differences")
    print("PASS")


if __name__ == "__main__":
    main()
