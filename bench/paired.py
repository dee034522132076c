"""Two trainers timed on the same core at once: native Rust against PyTorch, or (with
--against) this build's Rust against another build's.

On a shared machine a core's speed drifts over seconds with other tenants' load (and
the two cores of this machine drift apart), so two programs timed one after the other
can differ by 30% for no reason of their own. This script runs them together on one
core instead, both pinned with `taskset`, so the kernel's scheduler interleaves them a
few milliseconds at a time and both see the same stretch of load. Each one's speed is
its steps per second of its own CPU time (a Rust process's whole CPU time from the
kernel; PyTorch's over its training loop, which leaves out importing torch). The runs
are sized to take about the same time, and the pairs alternate between the two cores.
The figure is the median of the per-pair ratios (this build's speed over the other's).

Against PyTorch (`bench/torch_ref.py --threads 1`): both runs record test accuracy every
10 steps (the Rust run also at every step below 100, as its history always does, which
only costs it), and neither stops at grokking. Against another build (`--against
PATH/TO/grok`, e.g. one built from an older commit): both run `grok train` with the same
arguments; two copies of the same binary agree to about ±1%.

With --transformer: the transformer preset of DESIGN.md (p 97, d 32, 4 heads, MLP 128,
lr 3e-3, wd 1, frac 0.4) against bench/torch_transformer.py, both on one thread, test
accuracy every 10 steps, no stop at grokking.

usage: python3 bench/paired.py [--pairs 4] [--native-steps 2400] [--torch-steps 1000]
                               [--against OTHER_GROK] [--transformer]
  needs target/release/grok (cargo build --release) and, without --against,
  `python3 -c 'import torch'`.
Prints one JSON line per pair, then the median ratio.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROK = os.path.join(ROOT, "target/release/grok")
# The transformer preset (DESIGN.md, "The transformer of the papers"), as grok flags;
# bench/torch_transformer.py's defaults are the same.
TRANSFORMER = ["--model", "transformer", "--d", "32", "--heads", "4", "--mlp", "128",
               "--lr", "0.003", "--wd", "1", "--frac", "0.4"]


def start(core: int, cmd: list) -> subprocess.Popen:
    """`cmd` pinned to `core`, its stdout captured."""
    return subprocess.Popen(["taskset", "-c", str(core)] + cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def grok_speed(proc: subprocess.Popen) -> float:
    """Steps per CPU-second of a finished `grok train` (CPU time from the kernel)."""
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"paired.py: {proc.args} exited with {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])["steps"] / (usage.ru_utime + usage.ru_stime)


def pair(seed: int, core: int, args) -> dict:
    train = ["train", "--seed", str(seed), "--steps", str(args.native_steps),
             "--eval-every", "10", "--quiet"]
    if args.transformer:
        train += TRANSFORMER
    native = start(core, [GROK] + train)
    if args.against:
        other = start(core, [args.against] + train)
        mine, theirs = grok_speed(native), grok_speed(other)
    else:
        script = "bench/torch_transformer.py" if args.transformer else "bench/torch_ref.py"
        torch = start(core, [sys.executable, os.path.join(ROOT, script),
                             "--threads", "1", "--seeds", "1", "--first-seed", str(seed),
                             "--steps", str(args.torch_steps), "--run-all"])
        mine = grok_speed(native)
        t_out, _ = torch.communicate()
        if torch.returncode != 0:
            sys.exit(f"paired.py: torch_ref.py exited with {torch.returncode}")
        theirs = json.loads(t_out.strip().splitlines()[-1])["steps_per_cpu_second"]
    other_name = "other_steps_per_cpu_second" if args.against else "torch_steps_per_cpu_second"
    return {
        "seed": seed,
        "core": core,
        "native_steps_per_cpu_second": round(mine, 1),
        other_name: round(theirs, 1),
        "ratio": round(mine / theirs, 3),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--native-steps", type=int, default=2400)
    ap.add_argument("--torch-steps", type=int, default=1000)
    ap.add_argument("--against", help="another build's grok binary, instead of PyTorch")
    ap.add_argument("--transformer", action="store_true",
                    help="the transformer preset against bench/torch_transformer.py")
    args = ap.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("paired.py: needs two cores")
    ratios = []
    for i in range(args.pairs):
        result = pair(i % 3, i % 2, args)
        print(json.dumps(result), flush=True)
        ratios.append(result["ratio"])
    print(json.dumps({"median_ratio": round(statistics.median(ratios), 3), "pairs": len(ratios)}))


if __name__ == "__main__":
    main()
