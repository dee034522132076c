"""The default model in PyTorch eager, as lean as the loop a researcher would write, for
side-by-side speed figures.

The loop is the shared baseline's (/work/shared/bench/torch_baseline.py), step for step:
an nn.Module (Embedding, Linear, ReLU, Linear) on the precomputed training pairs, full
batch, AdamW (betas 0.9/0.98) with zero_grad(set_to_none=True), and accuracy only every
`--eval-every` (10) steps: train accuracy from that step's logits, test accuracy from one
forward pass of the test set, so no other step waits on an `.item()`. Same task, sizes,
learning rate and weight decay as the Rust default (p 97, d 32, H 128, 30% training,
lr 0.01, wd 1); the initialisation is PyTorch's own, which changes when a run groks, not
how fast a step is. Prints one JSON line per seed:
  {"threads", "seed", "steps", "steps_per_second", "steps_per_cpu_second" (per second of
   the process's CPU time, all its threads), "steps_to_train_99", "steps_to_test_95",
   "seconds_to_test_95"}

usage: python3 bench/torch_ref.py [--threads 1] [--seeds 3] [--first-seed 0] [--steps 3000] [--run-all]
  stops at the first evaluation with test accuracy >= 95%, unless --run-all (a run of
  fixed length, as bench/paired.py needs)
"""

import argparse
import json
import time

import torch
import torch.nn as nn


def run(seed, threads, max_steps, run_all=False, eval_every=10, p=97, d=32, hidden=128, frac=0.3, lr=0.01, wd=1.0):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    y = (x[:, 0] + x[:, 1]) % p
    perm = torch.randperm(p * p)
    n = int(frac * p * p)
    tr, te = perm[:n], perm[n:]

    class MLP(nn.Module):
        def __init__(s):
            super().__init__()
            s.E = nn.Embedding(p, d)
            s.l1 = nn.Linear(2 * d, hidden)
            s.l2 = nn.Linear(hidden, p)

        def forward(s, x):
            return s.l2(torch.relu(s.l1(s.E(x).flatten(1))))

    m = MLP()
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=wd, betas=(0.9, 0.98))
    xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]
    first_train = first_test = test_seconds = None
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    step = 0
    for step in range(1, max_steps + 1):
        logits = m(xtr)
        loss = nn.functional.cross_entropy(logits, ytr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0:
            with torch.no_grad():
                tra = (logits.argmax(1) == ytr).float().mean().item()
                tea = (m(xte).argmax(1) == yte).float().mean().item()
            if first_train is None and tra >= 0.99:
                first_train = step
            if first_test is None and tea >= 0.95:
                first_test = step
                test_seconds = time.perf_counter() - t0
                if not run_all:
                    break
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - cpu0
    return {
        "threads": threads,
        "seed": seed,
        "steps": step,
        "steps_per_second": step / seconds,
        "steps_per_cpu_second": step / cpu_seconds,
        "steps_to_train_99": first_train,
        "steps_to_test_95": first_test,
        "seconds_to_test_95": test_seconds,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--run-all", action="store_true")
    args = ap.parse_args()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        print(json.dumps(run(seed, args.threads, args.steps, args.run_all, args.eval_every)), flush=True)


if __name__ == "__main__":
    main()
