"""End-to-end check of a compiled training step on one mesh.

Compiles a model with `tp-compile --train`, trains it for a few steps under
mpirun from a tp-weights checkpoint on inputs made here, and compares every
step's loss, and the weights and optimizer state it saves, with an
independent numpy reference of the same steps (reference.train) and with the
1-rank run. With --resume-mesh it then resumes the saved checkpoint on
another mesh for one more step, whose loss must be the uninterrupted
reference's. Run by ctest; prints what it compared.
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np

import reference

TIMEOUT_S = 240


def run(command):
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, timeout=TIMEOUT_S, capture_output=True,
                            text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        sys.exit(f"FAIL: exit status {result.returncode}")
    return result.stdout


def losses_of(output):
    return [float(value) for value in
            re.findall(r"^step \d+: loss (\S+)$", output, re.MULTILINE)]


def relative_error(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    return np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)),
                                                   1e-30)


def check(what, error, rtol):
    print(f"{what}: max |error| / max |value| = {error:.3e} (rtol {rtol})")
    if not error <= rtol:
        sys.exit(f"FAIL: {what}")


def compile_step(args, mesh, executable):
    command = [os.path.join(args.bin, "tp-compile"), args.model_file,
               "--mesh", mesh, "--plan", args.plan, "--train",
               "--loss", args.loss, "--target", args.target,
               "--optimizer", args.optimizer, "--lr", str(args.lr),
               "-o", executable]
    run(command)


def mpirun(args, ranks, executable, options):
    return run([args.mpirun, "-np", str(ranks), executable] + options)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="reference.TRAINING key")
    parser.add_argument("--model-file", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--mesh", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--loss", choices=["sum", "cross_entropy"],
                        default="sum")
    parser.add_argument("--optimizer", choices=["sgd", "adamw"],
                        default="adamw")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--resume-mesh")
    parser.add_argument("--resume-ranks", type=int)
    parser.add_argument("--expect-falling", action="store_true",
                        help="check that the loss falls over the steps")
    parser.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--dtype", choices=["f32", "bf16"], default="f32",
                        help="the model's float type; bf16 trains in mixed "
                        "precision, against the reference on rounded inputs")
    parser.add_argument("--variant", help="names this run's files apart "
                        "from another plan's run on the same mesh")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--rtol", type=float, default=1e-4)
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    name = f"{args.model}-train-{args.optimizer}"
    if args.dtype != "f32":
        name += f"-{args.dtype}"
    tag = f"{name}-{args.mesh.replace(':', '').replace(',', '-')}"
    if args.variant:
        tag += f"-{args.variant}"
    if args.target != "cpu":
        tag += f"-{args.target}"
    if args.steps != 3:
        tag += f"-{args.steps}steps"
    weights = os.path.join(args.workdir,
                           f"{args.model}-train-{args.dtype}.safetensors")
    if not os.path.exists(weights):
        run([os.path.join(args.bin, "tp-weights"), "init", args.model_file,
             "--seed", "0", "-o", weights])
    inputs = reference.TRAINING[args.model]["inputs"](
        np.random.default_rng(0))
    input_options = []
    for i, array in enumerate(inputs):
        path = os.path.join(args.workdir, f"{tag}-input{i}.npy")
        np.save(path, array)
        input_options += ["--input", path]

    executable = os.path.join(args.workdir, tag)
    compile_step(args, args.mesh, executable)
    saved = os.path.join(args.workdir, f"{tag}.safetensors")
    output = mpirun(args, args.ranks, executable,
                    ["--weights", weights, "--steps", str(args.steps),
                     "--save", saved] + input_options)
    losses = losses_of(output)
    if len(losses) != args.steps:
        sys.exit(f"FAIL: {len(losses)} losses printed, expected {args.steps}")

    # The reference: the same steps in float64, one more for the resume.
    checkpoint = reference.read_safetensors(saved)
    # The runtime rounds float32 inputs to a 16-bit model's type on load.
    x = [array if array.dtype == np.int64 else
         reference.round_to(args.dtype, array).astype(np.float64)
         for array in inputs]
    grads_of = reference.TRAINING[args.model].get("grads")
    total = args.steps + (1 if args.resume_mesh else 0)
    if grads_of:
        w = reference.read_safetensors(weights)
        expected_losses, state = reference.train(
            w, lambda w: grads_of(w, *x), args.steps, args.optimizer, args.lr)
        check("losses vs reference", relative_error(losses, expected_losses),
              args.rtol)
        for key, value in list(w.items()) + list(state.items()):
            if key not in checkpoint:
                sys.exit(f"FAIL: the saved checkpoint has no '{key}'")
            check(f"saved '{key}' vs reference",
                  relative_error(checkpoint[key], value), args.rtol)
    else:
        print(f"no numpy training reference for {args.model} (its ops' "
              "gradients are checked by gradcheck.py): compared with the "
              "1-rank run")
        if args.ranks == 1 and not args.expect_falling:
            sys.exit("FAIL: a model without a reference must be compared "
                     "with its 1-rank run or checked for a falling loss")
    if checkpoint.get("optimizer.step") is not None and \
            int(checkpoint["optimizer.step"]) != args.steps:
        sys.exit(f"FAIL: optimizer.step is {checkpoint['optimizer.step']}")

    one_rank = os.path.join(
        args.workdir, f"{name}-tp1" +
        (f"-{args.steps}steps" if args.steps != 3 else "") + ".safetensors")
    # The 1-rank cpu run: what sharded and cuda runs must reproduce.
    reproduces = args.ranks > 1 or args.target != "cpu"
    if reproduces and os.path.exists(one_rank):
        single = reference.read_safetensors(one_rank)
        for key, value in single.items():
            check(f"saved '{key}' vs the 1-rank run",
                  relative_error(checkpoint[key], value), args.rtol)
        single_losses = os.path.join(args.workdir, f"{name}-tp1-losses.npy")
        check("losses vs the 1-rank run",
              relative_error(losses, np.load(single_losses)), args.rtol)
    elif reproduces and not grads_of and not args.expect_falling:
        sys.exit(f"FAIL: no 1-rank run to compare with ({one_rank})")
    if not reproduces:
        np.save(os.path.join(args.workdir, f"{tag}-losses.npy"),
                np.array(losses))

    if args.expect_falling:
        print(f"loss: {losses[0]:.6e} at step 1, {losses[-1]:.6e} at step "
              f"{len(losses)}")
        if not losses[-1] < losses[0]:
            sys.exit("FAIL: the loss did not fall")

    if args.resume_mesh:
        # One more step from the checkpoint, on another mesh: the loss the
        # uninterrupted run would have had next.
        resumed = executable + "-resume"
        compile_step(args, args.resume_mesh, resumed)
        output = mpirun(args, args.resume_ranks, resumed,
                        ["--resume", saved, "--steps", "1"] + input_options)
        got = losses_of(output)
        if len(got) != 1 or not re.search(rf"^step {total}: ", output,
                                          re.MULTILINE):
            sys.exit(f"FAIL: the resumed run printed no 'step {total}' loss")
        # An uninterrupted run of one more step on the first mesh.
        output = mpirun(args, args.ranks, executable,
                        ["--weights", weights, "--steps", str(total)] +
                        input_options)
        check(f"loss of step {total} resumed on {args.resume_mesh} vs "
              "an uninterrupted run", relative_error(
                  got, losses_of(output)[-1:]), args.rtol)
        if grads_of:
            next_loss, _ = reference.train(
                reference.read_safetensors(weights),
                lambda w: grads_of(w, *x), total, args.optimizer, args.lr)
            check(f"loss of step {total} resumed on {args.resume_mesh} vs "
                  "reference", relative_error(got, next_loss[-1:]), args.rtol)
    print("PASS")


if __name__ == "__main__":
    main()
