"""The default model of DESIGN.md in PyTorch eager, for side-by-side speed figures.

Same task, model, initialisation and optimiser as the Rust core: shared embedding
(N(0, 1)), concat, ReLU hidden layer, linear read-out (weights N(0, 1/fan_in), biases 0),
full-batch AdamW (betas 0.9/0.98, eps 1e-8, decoupled decay on E, W1, W2 only). As
lean as the loop a researcher would write (../shared/bench/torch_baseline.py): train and
test accuracy only every 10 steps, so no step but those waits on an `.item()`. Prints
one JSON line per seed:
  {"threads", "seed", "steps_per_second", "steps_per_cpu_second" (per second of the
   process's CPU time, all its threads), "steps_to_train_99", "steps_to_test_95",
   "seconds_to_test_95"}

usage: python3 bench/torch_ref.py [--threads 1] [--seeds 3] [--first-seed 0] [--steps 3000] [--run-all]
  --run-all: take all --steps steps instead of stopping at test accuracy >= 95% (for a
  run of fixed length, as bench/paired.py needs)
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F


def run(seed: int, threads: int, max_steps: int, run_all=False, p=97, d=32, hidden=128, frac=0.3, lr=0.01, wd=1.0):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(seed)
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.flatten(), b.flatten()
    labels = (a + b) % p
    perm = torch.randperm(p * p, generator=g)
    n_train = round(frac * p * p)
    tr, te = perm[:n_train], perm[n_train:]

    emb = (torch.randn(p, d, generator=g)).requires_grad_()
    w1 = (torch.randn(hidden, 2 * d, generator=g) / (2 * d) ** 0.5).requires_grad_()
    b1 = torch.zeros(hidden, requires_grad=True)
    w2 = (torch.randn(p, hidden, generator=g) / hidden**0.5).requires_grad_()
    b2 = torch.zeros(p, requires_grad=True)
    opt = torch.optim.AdamW(
        [{"params": [emb, w1, w2], "weight_decay": wd}, {"params": [b1, b2], "weight_decay": 0.0}],
        lr=lr, betas=(0.9, 0.98), eps=1e-8,
    )

    def logits(idx):
        x = torch.cat([emb[a[idx]], emb[b[idx]]], dim=1)
        return F.relu(x @ w1.T + b1) @ w2.T + b2

    fit = gen = gen_seconds = None
    start = time.perf_counter()
    cpu_start = time.process_time()
    step = 0
    for step in range(max_steps):
        out = logits(tr)
        loss = F.cross_entropy(out, labels[tr])
        if step % 10 == 0:
            with torch.no_grad():
                if fit is None and (out.argmax(1) == labels[tr]).float().mean().item() >= 0.99:
                    fit = step
                acc = (logits(te).argmax(1) == labels[te]).float().mean().item()
            if acc >= 0.95 and gen is None:
                gen = step
                gen_seconds = time.perf_counter() - start
                if not run_all:
                    break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return {
        "threads": threads,
        "seed": seed,
        "steps_per_second": (step + 1) / seconds,
        "steps_per_cpu_second": (step + 1) / cpu_seconds,
        "steps_to_train_99": fit,
        "steps_to_test_95": gen,
        "seconds_to_test_95": gen_seconds,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--run-all", action="store_true")
    args = ap.parse_args()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        print(json.dumps(run(seed, args.threads, args.steps, args.run_all)), flush=True)


if __name__ == "__main__":
    main()
