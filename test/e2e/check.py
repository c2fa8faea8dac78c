"""End-to-end check of one compiled example on one mesh.

Compiles the example with tp-compile, runs it under mpirun on inputs made
here, and compares its output with the independent numpy reference (and with
the 1-rank build's output, when that test has run). With --rope half it runs
the example in Hugging Face's rotary convention on its weights permuted into
Hugging Face's layout, which must give the original model's output on the
original weights. With --max-shard-size it also writes the weights as
Hugging Face ships them (shard files and their index, by tp-weights init
--max-shard-size) and runs them through the index and through their
directory, which must give the single file's outputs byte for byte; with
--checkpoint-dtype the weights are written in another float dtype, which
the executable converts on load. With --corrupt it instead
damages the weights (the single file, or with --max-shard-size the index or
a shard), and with --mismatch gives ranks other than 0 other
weights (MPMD launch), and checks that the job exits non-zero with the
expected message. Run by ctest; prints what it compared.
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np

import reference

TIMEOUT_S = 240

INDEX = "model.safetensors.index.json"
# The damages of a checkpoint of shard files (corrupt_sharded).
SHARDED_CORRUPTIONS = ["missing-shard", "shard-lacks-tensor",
                       "mapped-elsewhere", "unmapped-tensor",
                       "index-malformed", "index-no-weight-map",
                       "shard-shape", "shard-dtype"]


def run(command, **kwargs):
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, timeout=TIMEOUT_S, **kwargs)


def corrupt(good, bad, kind):
    """Writes a damaged copy of the safetensors file `good` to `bad`."""
    with open(good, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = data[8 + header_len :]
    tensors = sorted(k for k in header if k != "__metadata__")
    victim = tensors[0]
    if kind == "truncated":
        data = data[: len(data) - 1024]
    elif kind in ("extra-inv-freq", "extra-tensor"):
        # A tensor the model does not declare, its bytes at the end: Hugging
        # Face's rotary buffer, which loading ignores, or another one.
        victim = ("layers.0.attention.rotary_emb.inv_freq"
                  if kind == "extra-inv-freq" else "layers.9.attention.wq.weight")
        values = np.arange(8, dtype=np.float32).tobytes()
        header[victim] = {"dtype": "F32", "shape": [8],
                          "data_offsets": [len(body), len(body) + len(values)]}
        text = json.dumps(header).encode()
        data = struct.pack("<Q", len(text)) + text + body + values
    elif kind == "grown":
        # The header one byte longer than its length says, as when an edit
        # adds a byte: that byte is read as data, every tensor one byte off.
        data = data[: 8 + header_len] + b" " + body
    elif kind in ("missing", "shape", "dtype", "shifted", "overlap",
                  "duplicate"):
        text = None
        if kind == "missing":
            # Its bytes go too: the others must still tile the data.
            begin, end = header.pop(victim)["data_offsets"]
            body = body[:begin] + body[end:]
            for name in tensors[1:]:
                offsets = header[name]["data_offsets"]
                if offsets[0] >= end:
                    header[name]["data_offsets"] = [o - (end - begin)
                                                    for o in offsets]
        elif kind == "shape":
            header[victim]["shape"] = list(reversed(header[victim]["shape"])) + [1]
        elif kind == "dtype":
            # The same bytes, read as another type of the same size.
            header[victim]["dtype"] = "I32"
        elif kind == "shifted":
            # Every tensor one byte later, behind a byte of no tensor: read
            # as they are, all would be one byte off.
            for name in tensors:
                header[name]["data_offsets"] = [
                    o + 1 for o in header[name]["data_offsets"]]
            body = b"\0" + body
        elif kind == "overlap":
            # The victim's offsets become those of an earlier tensor of its
            # size.
            def offsets(name):
                return header[name]["data_offsets"]
            twin, victim = next(
                (a, b) for a in tensors for b in tensors
                if offsets(a)[0] < offsets(b)[0] and
                offsets(a)[1] - offsets(a)[0] == offsets(b)[1] - offsets(b)[0])
            header[victim]["data_offsets"] = offsets(twin)
        else:
            # The victim's entry again, last: a parser keeping the last of
            # two keys would not notice.
            text = json.dumps(header)[:-1] + ", " + json.dumps(
                {victim: header[victim]})[1:]
        text = (text or json.dumps(header)).encode()
        data = struct.pack("<Q", len(text)) + text + body
    with open(bad, "wb") as f:
        f.write(data)
    return victim


def corrupt_sharded(good, bad, kind):
    """Copies the checkpoint of shard files in the directory `good` to `bad`,
    damaged: a shard file gone, the index out of step with its shards (a
    tensor moved to a shard that lacks it, a tensor mapped to another shard
    or to none), the index not JSON or without its weight_map, a tensor of
    the last shard of another shape or dtype. Returns the tensor or file
    damaged."""
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(good, bad)
    with open(os.path.join(bad, INDEX)) as f:
        index = json.load(f)
    weight_map = index["weight_map"]
    shards = sorted(set(weight_map.values()))
    if len(shards) < 2:
        sys.exit(f"FAIL: {good} holds {len(shards)} shard files, not several")
    first, last = (min(n for n, f in weight_map.items() if f == shard)
                   for shard in (shards[0], shards[-1]))
    text = None
    if kind == "missing-shard":
        victim = shards[-1]
        os.remove(os.path.join(bad, victim))
    elif kind == "shard-lacks-tensor":
        victim = last
        weight_map[victim] = shards[0]
    elif kind == "mapped-elsewhere":
        victim = first
        weight_map[victim] = shards[-1]
    elif kind == "unmapped-tensor":
        victim = first
        del weight_map[victim]
    elif kind == "index-malformed":
        victim = INDEX
        text = json.dumps(index)[:-2]
    elif kind == "index-no-weight-map":
        victim = INDEX
        index = {"metadata": index["metadata"], "weights": weight_map}
    else:
        victim = corrupt(os.path.join(good, shards[-1]),
                         os.path.join(bad, shards[-1]),
                         kind[len("shard-"):])
    with open(os.path.join(bad, INDEX), "w") as f:
        f.write(text if text is not None else json.dumps(index, indent=2))
    return victim


def to_hf_layout(meta, hf, heads, kv_heads):
    """Writes the checkpoint `meta` to `hf` with the rows of every query and
    key projection (`heads` and `kv_heads` heads) permuted into Hugging
    Face's layout (reference.to_hf_layout), their bytes moved as they are."""
    with open(meta, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = bytearray(data[8 + header_len :])
    for name, entry in header.items():
        if name.endswith("attention.wq.weight"):
            count = heads
        elif name.endswith("attention.wk.weight"):
            count = kv_heads
        else:
            continue
        begin, end = entry["data_offsets"]
        rows = np.frombuffer(bytes(body[begin:end]), dtype=np.uint8).reshape(
            entry["shape"][0], -1)
        body[begin:end] = reference.to_hf_layout(rows, count).tobytes()
    write_once(hf, data[: 8 + header_len] + bytes(body))


def init_weights(args, model_file, path):
    """Makes the weights of `model_file` (seed 0) at `path` unless there."""
    if not os.path.exists(path):
        # Another test may be writing it: tp-weights writes aside, then
        # renames.
        run([os.path.join(args.bin, "tp-weights"), "init", model_file,
             "--seed", "0", "-o", path], check=True)


def model_in_dtype(args, model_file, name, dtype):
    """Writes the model of `model_file` with every f32 tensor in `dtype` to
    the workdir as `name`.mlir, and returns its path."""
    with open(model_file) as f:
        text = re.sub(r"(?<=[x<])f32(?=>)", dtype, f.read())
    path = os.path.join(args.workdir, f"{name}.mlir")
    write_once(path, text.encode())
    return path


def write_once(path, data):
    """Writes `data` to `path` unless it holds it already, atomically, since
    tests run in parallel."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return
    partial = f"{path}.{os.getpid()}"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)


def compare(index, path, expected, args):
    """Checks output `index` against the reference and the 1-rank build."""
    actual = np.load(path).astype(np.float64)
    if actual.shape != expected.shape:
        sys.exit(f"FAIL: output {index} has shape {actual.shape}, "
                 f"expected {expected.shape}")
    scale = max(np.max(np.abs(expected)), 1e-30)
    error = np.max(np.abs(actual - expected)) / scale
    print(f"output {index} vs reference: max |error| / max |output| = "
          f"{error:.3e} (rtol {args.rtol})")
    if not error <= args.rtol:
        sys.exit(f"FAIL: output {index} differs from the numpy reference")

    # The 1-rank cpu build: what sharded and cuda runs must reproduce; in
    # Hugging Face's rotary convention, the interleaved one's too.
    builds = []
    if args.ranks > 1 or args.target != "cpu":
        builds.append(("1-rank cpu build", args.name))
    if args.rope:
        builds.append(("interleaved 1-rank cpu build", args.meta_name))
    for what, name in builds:
        one_rank = os.path.join(args.workdir, f"{name}-tp1-output{index}.npy")
        if not os.path.exists(one_rank):
            continue
        single = np.load(one_rank).astype(np.float64)
        error = np.max(np.abs(actual - single)) / scale
        print(f"output {index} vs {what}: max |difference| / "
              f"max |output| = {error:.3e}")
        if not error <= args.rtol:
            sys.exit(f"FAIL: output {index} differs from the {what}'s")


def naming(pattern, victim):
    """`pattern` with {victim} standing for the tensor or file damaged."""
    return pattern.replace("{victim}", re.escape(victim)) if victim \
        else pattern


def run_sharded(args, sharded, weights, command, outputs):
    """Runs `command` (the single-file run, which wrote `outputs`) again on
    the checkpoint of shard files in the directory `sharded`, through its
    index and through the directory, and checks that both give the same
    bytes; and that the reference reads the same tensors from it."""
    index = os.path.join(sharded, INDEX)
    with open(index) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    print(f"sharded checkpoint: {', '.join(files)}")
    if len(files) < 2:
        sys.exit(f"FAIL: --max-shard-size {args.max_shard_size} wrote "
                 f"{len(files)} shard file")
    single, split = (reference.read_safetensors(p) for p in (weights, index))
    if single.keys() != split.keys() or any(
            not np.array_equal(single[k], split[k]) for k in single):
        sys.exit("FAIL: the reference reads other tensors from the index")
    weights_at = command.index("--weights") + 1
    for via, path in (("index", index), ("directory", sharded)):
        renamed = [p.replace("-output", f"-{via}-output") for p in outputs]
        rerun = command[:weights_at] + [path] + command[weights_at + 1:]
        rerun = [renamed[outputs.index(a)] if a in outputs else a
                 for a in rerun]
        result = run(rerun, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            sys.exit(f"FAIL: through the {via}: exit code "
                     f"{result.returncode}")
        for original, other in zip(outputs, renamed):
            with open(original, "rb") as a, open(other, "rb") as b:
                if a.read() != b.read():
                    sys.exit(f"FAIL: through the {via}, {other} differs "
                             f"from {original}")
        print(f"ok: through the {via}, the single file's outputs, byte for "
              "byte")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--mesh", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--launch-ranks", type=int,
                        help="ranks to start (default: --ranks)")
    parser.add_argument("--bin", required=True, help="directory of the tools")
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--sequence-parallel", action="store_true")
    parser.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--corrupt",
                        choices=["missing", "shape", "dtype", "truncated",
                                 "grown", "shifted", "overlap",
                                 "duplicate", "extra-inv-freq",
                                 "extra-tensor"] + SHARDED_CORRUPTIONS)
    parser.add_argument("--mismatch", choices=["weights"],
                        help="give ranks other than 0 weights of another "
                        "seed")
    parser.add_argument("--expect-error",
                        help="regex the failure must print; {victim} stands "
                        "for the tensor or file damaged")
    parser.add_argument("--expect-warning",
                        help="regex a successful run must print on stderr; "
                        "{victim} as for --expect-error")
    parser.add_argument("--max-shard-size",
                        help="also run the weights as shard files of at most "
                        "this size and their index (tp-weights init "
                        "--max-shard-size)")
    parser.add_argument("--checkpoint-dtype", choices=["f16", "bf16"],
                        help="write the weights in this dtype, which the "
                        "executable converts to the model's on load")
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"],
                        default="f32",
                        help="run the example with this float type")
    parser.add_argument("--rope", choices=["half"],
                        help="run the example's rope in this convention on "
                        "its weights permuted to match")
    parser.add_argument("--rtol", type=float,
                        help="tolerance relative to the largest output "
                        "(default: by dtype)")
    args = parser.parse_args()
    if args.corrupt in SHARDED_CORRUPTIONS and not args.max_shard_size:
        parser.error(f"--corrupt {args.corrupt} needs --max-shard-size")
    if args.rope and (args.max_shard_size or args.checkpoint_dtype):
        parser.error("--rope writes its own weights")
    if args.rtol is None:
        # Each op rounds its result to the dtype once (2^-11 for f16, 2^-8
        # for bf16); through the examples' ops that grows to about a third
        # of these (measured: 8e-4 and 7e-3 at most).
        args.rtol = {"f32": 2e-4, "f16": 3e-3, "bf16": 2e-2}[args.dtype]

    example = os.path.join(args.examples, args.model)
    os.makedirs(args.workdir, exist_ok=True)
    model_file = os.path.join(example, "model.mlir")
    name = args.model
    if args.dtype != "f32":
        # The same model in another float type: every f32 tensor becomes one.
        name = f"{args.model}-{args.dtype}"
        model_file = model_in_dtype(args, model_file, name, args.dtype)
    model = reference.MODELS[args.model]
    args.meta_name = name
    if args.rope:
        # The example in Hugging Face's convention, on the weights of the
        # interleaved runs permuted into Hugging Face's layout (below).
        meta_weights = os.path.join(args.workdir, f"{name}.safetensors")
        init_weights(args, model_file, meta_weights)
        name += f"-rope-{args.rope}"
        with open(model_file) as f:
            text, ropes = re.subn(r"(tp\.rope %\S+ theta \S+)",
                                  rf"\1 convention {args.rope}", f.read())
        if ropes == 0:
            sys.exit(f"FAIL: {args.model} has no tp.rope to convert")
        model_file = os.path.join(args.workdir, f"{name}.mlir")
        write_once(model_file, text.encode())
    # The model the weights are written for: the model itself, or the same
    # in the checkpoint's dtype.
    weights_model = model_file
    if args.checkpoint_dtype:
        name += f"-{args.checkpoint_dtype}-checkpoint"
        weights_model = model_in_dtype(args, model_file, name,
                                       args.checkpoint_dtype)
    args.name = name
    tag = f"{name}-{args.mesh.replace(':', '').replace(',', '-')}"
    if args.sequence_parallel:
        tag += "-sp"
    if args.target != "cpu":
        tag += f"-{args.target}"
    # Tests run in parallel: each gets its own executable and files.
    if args.corrupt:
        tag += f"-{args.corrupt}"
    if args.mismatch:
        tag += f"-mismatch-{args.mismatch}"
    if args.launch_ranks:
        tag += f"-np{args.launch_ranks}"
    if args.max_shard_size:
        tag += "-sharded"
    weights = os.path.join(args.workdir, f"{name}.safetensors")
    if args.rope:
        to_hf_layout(meta_weights, weights, *model["heads"])
    else:
        init_weights(args, weights_model, weights)
    sharded = None
    if args.max_shard_size:
        sharded = os.path.join(args.workdir, f"{tag}-checkpoint")
        run([os.path.join(args.bin, "tp-weights"), "init", weights_model,
             "--seed", "0", "-o", sharded, "--max-shard-size",
             args.max_shard_size], check=True)

    executable = os.path.join(args.workdir, tag)
    compile_command = [os.path.join(args.bin, "tp-compile"),
                       model_file, "--mesh", args.mesh,
                       "--plan", os.path.join(example, "plan.json"),
                       "--target", args.target, "-o", executable]
    if args.sequence_parallel:
        compile_command.append("--sequence-parallel")
    run(compile_command, check=True)

    inputs = model["inputs"](np.random.default_rng(0))
    input_files = []
    for i, array in enumerate(inputs):
        path = os.path.join(args.workdir, f"{tag}-input{i}.npy")
        # float16 files feed f16 models as they are (float32 ones are
        # rounded on load, the only way for bf16).
        if args.dtype == "f16" and array.dtype == np.float32:
            array = array.astype(np.float16)
        np.save(path, array)
        input_files += ["--input", path]
    outputs = [os.path.join(args.workdir, f"{tag}-output{i}.npy")
               for i in range(model.get("outputs", 1))]
    ranks = args.launch_ranks or args.ranks
    mpirun_options = ["--oversubscribe", "--bind-to", "none"]

    victim = None
    if args.corrupt in SHARDED_CORRUPTIONS:
        bad = os.path.join(args.workdir, f"{tag}-damaged")
        victim = corrupt_sharded(sharded, bad, args.corrupt)
        weights = os.path.join(bad, INDEX)
        print(f"damaged: {victim} ({args.corrupt})")
    elif args.corrupt:
        bad = os.path.join(args.workdir, f"{tag}.safetensors")
        victim = corrupt(weights, bad, args.corrupt)
        weights = bad
        print(f"damaged tensor: {victim} ({args.corrupt})")
    output_flags = [flag for path in outputs for flag in ("--output", path)]
    arguments = ([executable, "--weights", weights] + input_files +
                 output_flags)
    command = [args.mpirun, "-np", str(ranks)] + mpirun_options + arguments
    if args.mismatch:
        # OpenMPI's MPMD syntax: rank 0, then the other ranks, each with
        # their own arguments.
        other = os.path.join(args.workdir, f"{tag}-seed1.safetensors")
        run([os.path.join(args.bin, "tp-weights"), "init", model_file,
             "--seed", "1", "-o", other], check=True)
        command = ([args.mpirun] + mpirun_options + ["-np", "1"] + arguments +
                   [":", "-np", str(ranks - 1), executable, "--weights",
                    other] + input_files)
    result = run(command, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if args.expect_error:
        if result.returncode == 0:
            sys.exit("FAIL: the run succeeded; expected an error")
        expected = naming(args.expect_error, victim)
        if not re.search(expected, result.stderr):
            sys.exit(f"FAIL: the error does not match /{expected}/")
        print(f"ok: exit code {result.returncode}, message matches")
        return
    if result.returncode != 0:
        sys.exit(f"FAIL: exit code {result.returncode}")
    if args.expect_warning:
        expected = naming(args.expect_warning, victim)
        if not re.search(expected, result.stderr):
            sys.exit(f"FAIL: no warning matches /{expected}/")
        print("ok: the warning matches")

    # The executable rounds float32 inputs to the model's dtype.
    x = [reference.round_to(args.dtype, a).astype(np.float64)
         if a.dtype != np.int64 else a for a in inputs]
    if args.rope:
        expected = model["forward"](reference.read_safetensors(weights), *x,
                                    rope=args.rope)
        # The reference itself: rotate_half on the permuted weights is the
        # interleaved rotation on the original ones.
        meta = model["forward"](reference.read_safetensors(meta_weights), *x)
        error = np.max(np.abs(expected - meta)) / np.max(np.abs(meta))
        print(f"numpy: rope {args.rope} on permuted weights vs interleaved: "
              f"max |difference| / max |output| = {error:.3e}")
        if not error <= 1e-12:
            sys.exit("FAIL: the numpy references of the two conventions "
                     "differ")
    else:
        expected = model["forward"](reference.read_safetensors(weights), *x)
    if not isinstance(expected, list):
        expected = [expected]
    for i, (path, want) in enumerate(zip(outputs, expected)):
        compare(i, path, want, args)
    if sharded and not args.corrupt:
        run_sharded(args, sharded, weights, command, outputs)
    print("ok")


if __name__ == "__main__":
    main()
