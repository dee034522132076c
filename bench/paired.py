"""Native Rust against PyTorch on one thread each, measured on the same core at once.

On a shared machine a core's speed drifts over seconds with other tenants' load (and
the two cores of this machine drift apart), so two programs timed one after the other
can differ by 30% for no reason of their own. This script runs them together on one
core instead: the Rust core (`grok train`) and the PyTorch reference
(`bench/torch_ref.py --threads 1`), both pinned to the same core with `taskset`, so the
kernel's scheduler interleaves them a few milliseconds at a time and both see the same
stretch of load. Each one's speed is its steps per second of its own CPU time (the
Rust process's whole CPU time from the kernel; PyTorch's over its training loop, which
leaves out importing torch). The runs are sized to take about the same time, and the
pairs alternate between the two cores. The figure is the median of the per-pair ratios.

Both runs record test accuracy every 10 steps (the Rust run also at every step below
100, as its history always does, which only costs it), and neither stops at grokking.

usage: python3 bench/paired.py [--pairs 4] [--native-steps 2400] [--torch-steps 1000]
  needs target/release/grok (cargo build --release) and `python3 -c 'import torch'`.
Prints one JSON line per pair, then the median ratio.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pair(seed: int, core: int, native_steps: int, torch_steps: int):
    pin = ["taskset", "-c", str(core)]
    native = subprocess.Popen(
        pin + [os.path.join(ROOT, "target/release/grok"), "train", "--seed", str(seed),
               "--steps", str(native_steps), "--eval-every", "10", "--quiet"],
        stdout=subprocess.PIPE, text=True)
    torch = subprocess.Popen(
        pin + [sys.executable, os.path.join(ROOT, "bench/torch_ref.py"), "--threads", "1",
               "--seeds", "1", "--first-seed", str(seed), "--steps", str(torch_steps), "--run-all"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    n_out = native.stdout.read()
    # The kernel's account of the native process's CPU time (user + system).
    _, status, usage = os.wait4(native.pid, 0)
    native.returncode = os.waitstatus_to_exitcode(status)
    t_out, _ = torch.communicate()
    if native.returncode != 0 or torch.returncode != 0:
        sys.exit(f"paired.py: a run failed (grok exit {native.returncode}, torch_ref exit {torch.returncode})")
    n = json.loads(n_out.strip().splitlines()[-1])
    t = json.loads(t_out.strip().splitlines()[-1])
    n_sps = n["steps"] / (usage.ru_utime + usage.ru_stime)
    t_sps = t["steps_per_cpu_second"]
    return {
        "seed": seed,
        "core": core,
        "native_steps_per_cpu_second": round(n_sps, 1),
        "torch_steps_per_cpu_second": round(t_sps, 1),
        "ratio": round(n_sps / t_sps, 3),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--native-steps", type=int, default=2400)
    ap.add_argument("--torch-steps", type=int, default=1000)
    args = ap.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("paired.py: needs two cores")
    ratios = []
    for i in range(args.pairs):
        result = pair(i % 3, i % 2, args.native_steps, args.torch_steps)
        print(json.dumps(result), flush=True)
        ratios.append(result["ratio"])
    print(json.dumps({"median_ratio": round(statistics.median(ratios), 3), "pairs": len(ratios)}))


if __name__ == "__main__":
    main()
