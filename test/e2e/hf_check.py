"""End-to-end check of tp-import on one Hugging Face config and one mesh.

  tp-import CONFIG --layers L --batch B --seq S --dtype D -o M.mlir
            --plan-out plan.json
  tp-weights init M.mlir --seed 0 -o W.safetensors   (random weights, HF names)
  tp-compile M.mlir --mesh MESH --plan plan.json -o exe
  mpirun -np N exe --weights W.safetensors --input tokens.npy --output y.npy

then compares y (the logits [B, S, vocab]) with hf_reference.forward, an
independent numpy forward of Hugging Face's model, on the same weights (read
back from W) and tokens, and with the 1-rank run's logits when that test has
run (check.compare, as the examples' tests do). It first checks that the
checkpoint holds exactly the parameters Hugging Face's model has, by name and
shape. With --expect-error, some stage (import, weights, compile or run) must
fail with a message matching the regex; with --allow-error, either that or a
correct result passes (for meshes a model may gather or refuse). Prints what
it ran and compared; run by ctest (e2e-hf-*), or by hand:

  python3 test/e2e/hf_check.py --config test/e2e/models/hf/qwen2.5-0.5b.config.json \\
      --mesh tp:2 --ranks 2 --bin build/bin --mpirun mpirun --workdir /tmp/hf
"""

import argparse
import json
import os
import re
import sys

import numpy as np

import check
import hf_reference
import reference

DTYPES = {"f32": "F32", "bf16": "BF16", "f16": "F16"}


class StageFailed(Exception):
    def __init__(self, stage, output):
        super().__init__(stage)
        self.stage, self.output = stage, output


def stage(name, command):
    """Runs one stage, echoing its output; raises StageFailed on a non-zero
    exit, with what it printed."""
    result = check.run(command, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise StageFailed(name, result.stdout + result.stderr)


def checkpoint_dtypes(path):
    """The dtype of every tensor in the safetensors header."""
    import struct
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return {k: v["dtype"] for k, v in header.items() if k != "__metadata__"}


def describe_error(actual, expected):
    """Prints where the output differs from the reference: the largest
    absolute and relative errors, the worst element, and the error by
    position (rope mistakes leave position 0 exact)."""
    diff = np.abs(actual - expected)
    scale = max(np.max(np.abs(expected)), 1e-30)
    worst = np.unravel_index(np.argmax(diff), diff.shape)
    print(f"max |error| = {np.max(diff):.3e}, max |reference| = {scale:.3e}, "
          f"max |error| / max |reference| = {np.max(diff) / scale:.3e}")
    print(f"worst element [batch {worst[0]}, position {worst[1]}, logit "
          f"{worst[2]}]: got {actual[worst]:.6g}, reference "
          f"{expected[worst]:.6g}")
    per_position = diff.max(axis=(0, 2)) / scale
    print("max |error| / max |reference| by position: " +
          " ".join(f"{e:.1e}" for e in per_position))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True,
                        help="a Hugging Face config.json")
    parser.add_argument("--mesh", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--bin", required=True, help="directory of the tools")
    parser.add_argument("--mpirun", default="mpirun")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--layers", type=int, default=2,
                        help="tp-import --layers (default 2)")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq", type=int, default=8)
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    parser.add_argument("--seed", type=int, default=0,
                        help="tp-weights init --seed, and the tokens' seed")
    parser.add_argument("--set", action="append", default=[],
                        metavar="KEY=JSON",
                        help="override a config key (e.g. sliding_window=4)")
    parser.add_argument("--unset", action="append", default=[],
                        metavar="KEY",
                        help="drop a config key (Hugging Face's default "
                        "then applies)")
    parser.add_argument("--sequence-parallel", action="store_true")
    parser.add_argument("--expect-error", metavar="REGEX",
                        help="a stage must fail with a message matching it")
    parser.add_argument("--allow-error", metavar="REGEX",
                        help="pass if a stage fails with a message matching "
                        "it, or if the run matches the reference")
    parser.add_argument("--rtol", type=float,
                        help="tolerance relative to the largest logit "
                        "(default: 2e-4 f32, 3e-3 f16, 2e-2 bf16)")
    args = parser.parse_args()
    if args.rtol is None:
        args.rtol = {"f32": 2e-4, "f16": 3e-3, "bf16": 2e-2}[args.dtype]
    for key, value in (("OMPI_ALLOW_RUN_AS_ROOT", "1"),
                       ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
                       ("OMPI_MCA_rmaps_base_oversubscribe", "1")):
        os.environ.setdefault(key, value)

    with open(args.config) as f:
        config = json.load(f)
    base = os.path.basename(args.config)
    base = base[: -len(".config.json")] if base.endswith(".config.json") \
        else os.path.splitext(base)[0]
    for item in args.set:
        key, _, value = item.partition("=")
        config[key] = json.loads(value)
        base += f"-{key}{re.sub(r'[^A-Za-z0-9.]', '', value)}"
    for key in args.unset:
        config.pop(key, None)
        base += f"-no-{key}"
    name = f"hf-{base}-{args.dtype}-l{args.layers}-b{args.batch}s{args.seq}"
    tag = f"{name}-{args.mesh.replace(':', '').replace(',', '-')}"
    if args.sequence_parallel:
        tag += "-sp"
    os.makedirs(args.workdir, exist_ok=True)
    config_file = os.path.join(args.workdir, f"{tag}.config.json")
    check.write_once(config_file, json.dumps(config, indent=2).encode())
    model_file = os.path.join(args.workdir, f"{tag}.mlir")
    plan_file = os.path.join(args.workdir, f"{tag}-plan.json")
    weights = os.path.join(args.workdir, f"{tag}.safetensors")
    executable = os.path.join(args.workdir, tag)
    tokens_file = os.path.join(args.workdir, f"{tag}-input0.npy")
    output = os.path.join(args.workdir, f"{tag}-output0.npy")
    for stale in (output,):
        if os.path.exists(stale):
            os.remove(stale)

    tool = lambda t: os.path.join(args.bin, t)
    # The reference reads the config only after the stages: a config it
    # cannot run may still be one tp-import must refuse.
    rng = np.random.default_rng(args.seed)
    tokens = rng.integers(0, config["vocab_size"], (args.batch, args.seq),
                          dtype=np.int64)
    np.save(tokens_file, tokens)
    compile_command = [tool("tp-compile"), model_file, "--mesh", args.mesh,
                       "--plan", plan_file, "--target", "cpu",
                       "-o", executable]
    if args.sequence_parallel:
        compile_command.append("--sequence-parallel")
    try:
        stage("tp-import", [tool("tp-import"), config_file, "-o", model_file,
                            "--layers", str(args.layers),
                            "--batch", str(args.batch),
                            "--seq", str(args.seq), "--dtype", args.dtype,
                            "--plan-out", plan_file])
        stage("tp-weights", [tool("tp-weights"), "init", model_file,
                             "--seed", str(args.seed), "-o", weights])
        stage("tp-compile", compile_command)
        stage("mpirun", [args.mpirun, "-np", str(args.ranks),
                         "--oversubscribe", "--bind-to", "none", executable,
                         "--weights", weights, "--input", tokens_file,
                         "--output", output])
    except StageFailed as failure:
        pattern = args.expect_error or args.allow_error
        if not pattern:
            sys.exit(f"FAIL: {failure.stage} failed")
        if not re.search(pattern, failure.output):
            sys.exit(f"FAIL: {failure.stage} failed, but its message does "
                     f"not match /{pattern}/")
        print(f"ok: {failure.stage} failed with a message matching "
              f"/{pattern}/")
        return
    if args.expect_error:
        sys.exit(f"FAIL: every stage succeeded; expected an error matching "
                 f"/{args.expect_error}/")

    model = hf_reference.with_layers(config, args.layers)
    p = hf_reference.hyperparameters(model)
    # The checkpoint tp-weights wrote for the imported model: Hugging Face's
    # parameters exactly, in the requested dtype.
    w = reference.read_safetensors(weights)
    try:
        hf_reference.check_weights(model, w)
    except ValueError as e:
        sys.exit(f"FAIL: the imported model's parameters: {e}")
    wrong = {k: d for k, d in checkpoint_dtypes(weights).items()
             if d != DTYPES[args.dtype]}
    if wrong:
        sys.exit(f"FAIL: parameters not in {args.dtype}: {wrong}")
    print(f"parameters: the {len(w)} of {p['arch']} by Hugging Face's names "
          f"and shapes, {DTYPES[args.dtype]}")

    expected = hf_reference.forward(model, w, tokens)
    actual = np.load(output).astype(np.float64)
    if actual.shape != expected.shape:
        sys.exit(f"FAIL: logits of shape {actual.shape}, expected "
                 f"{expected.shape}")
    describe_error(actual, expected)
    # The shared check: against the reference and the 1-rank run's output
    # ({name}-tp1-output0.npy), exiting on failure.
    check.compare(0, output, expected, argparse.Namespace(
        ranks=args.ranks, target="cpu", rope=None, name=name,
        workdir=args.workdir, rtol=args.rtol))
    print("ok")


if __name__ == "__main__":
    main()
