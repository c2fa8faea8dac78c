"""End-to-end check of a compiled executable's --verify.

Compiles a model for a mesh (a training step with --train), runs it under
mpirun with --verify, from a tp-weights checkpoint and again from random
weights and inputs, and checks that rank 0 printed a verification line for
every output (for each of the first two steps of a training run), each
within the tolerance it states. With --expect-error the runs must instead
fail on every rank, printing a FAILED line and an error matching the given
regex. Run by ctest; prints what it ran.
"""

import argparse
import os
import re
import sys

from check import init_weights, run, write_once

LINE = re.compile(
    r"^verify: (?:step (?P<step>\d+): )?output (?P<output>\d+) "
    r"\[[0-9, ]*\] (?:f32|f16|bf16): max abs (?P<abs>\S+), "
    r"max rel (?P<rel>\S+) \(tolerance (?P<tolerance>\S+) rel\): "
    r"(?P<verdict>ok|FAILED)$", re.MULTILINE)


def verify_lines(output):
    """The verification lines of a run's output, as dicts."""
    return [match.groupdict() for match in LINE.finditer(output)]


def check_passed(output, args):
    """Checks that every output (of each verified step) was verified ok."""
    lines = verify_lines(output)
    if args.train:
        # The loss of each of the first two steps.
        expected = [("1", "0"), ("2", "0")]
    else:
        outputs = len(re.findall(r"^checksum: ", output, re.MULTILINE))
        expected = [(None, str(i)) for i in range(max(outputs, 1))]
    got = [(line["step"], line["output"]) for line in lines]
    if got != expected:
        sys.exit(f"FAIL: verified {got}, expected {expected}")
    for line in lines:
        if line["verdict"] != "ok" or \
                not float(line["rel"]) <= float(line["tolerance"]):
            sys.exit(f"FAIL: {line}")
    print(f"ok: {len(lines)} outputs verified")


def check_failed(result, args):
    """Checks that the run failed as --expect-error says."""
    if result.returncode == 0:
        sys.exit("FAIL: the run succeeded; expected it to fail")
    if not re.search(args.expect_error, result.stderr):
        sys.exit(f"FAIL: the error does not match /{args.expect_error}/")
    print(f"ok: exit code {result.returncode}, message matches")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-file", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--mesh", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--name", required=True,
                        help="names this test's executable in the workdir")
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"],
                        default="f32",
                        help="run the model with this float type")
    parser.add_argument("--train", action="store_true",
                        help="compile a training step (cross-entropy loss)")
    parser.add_argument("--compile-option", action="append", default=[],
                        help="another tp-compile option (--no-verify)")
    parser.add_argument("--run-option", action="append", default=[],
                        help="another option of the runs (--verify-rtol=0)")
    parser.add_argument("--expect-error",
                        help="regex of the error every run must fail with")
    parser.add_argument("--bin", required=True, help="directory of the tools")
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    # The model and weights files as check.py names them, shared with its
    # tests: an example's directory names it.
    model = os.path.basename(os.path.dirname(args.model_file))
    model_file = args.model_file
    if args.dtype != "f32":
        # The same model in another float type, as check.py makes it.
        model = f"{model}-{args.dtype}"
        with open(model_file) as f:
            text = re.sub(r"(?<=[x<])f32(?=>)", args.dtype, f.read())
        model_file = os.path.join(args.workdir, f"{model}.mlir")
        write_once(model_file, text.encode())
    weights = os.path.join(args.workdir, f"{model}.safetensors")
    init_weights(args, model_file, weights)

    executable = os.path.join(args.workdir, args.name)
    compile_command = [os.path.join(args.bin, "tp-compile"), model_file,
                       "--mesh", args.mesh, "--plan", args.plan,
                       "-o", executable] + args.compile_option
    if args.train:
        compile_command += ["--train", "--loss", "cross_entropy"]
    run(compile_command, check=True)

    steps = ["--steps", "3"] if args.train else []
    for source in (["--weights", weights], ["--random-weights", "1",
                                            "--seed", "2"]):
        command = ([args.mpirun, "-np", str(args.ranks), "--oversubscribe",
                    "--bind-to", "none", executable, "--verify"] + source +
                   steps + args.run_option)
        result = run(command, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if args.expect_error:
            check_failed(result, args)
        elif result.returncode != 0:
            sys.exit(f"FAIL: exit code {result.returncode}")
        else:
            check_passed(result.stdout, args)
    print("PASS")


if __name__ == "__main__":
    main()
