"""The transformer of DESIGN.md ("The transformer of the papers") in PyTorch eager, for
side-by-side speed figures and grokking steps against `grok train --model transformer`.

Same task, model, initialisation and optimiser as the Rust core: inputs [a, b, =] (token
p is "="), W_E ((p + 1) x d) and W_pos (3 x d) N(0, 1/d); H heads of width d/H with
W_Q, W_K, W_V, W_O (d x d) N(0, 1/d), no biases, causal mask, scores / sqrt(d/H); MLP
W_in (d x m) N(0, 1/d) + b_in, ReLU, W_out (m x d) N(0, 1/m) + b_out; W_U (d x p)
N(0, 1/d) read at "="; no LayerNorm. Full-batch AdamW (betas 0.9/0.98, eps 1e-8),
decoupled decay on the matrices only. Train accuracy (from the step's own logits) and
test accuracy on evaluation steps only (every 10), like ../shared/bench/torch_baseline.py:
a `.item()` on other steps would only add a host sync.

Lean, as a researcher would write it: attention over all three positions (queries, keys
and values of every position, the causal mask), then the MLP and the read-out at "="
only, the one position the loss reads (`--all-positions` runs them at every position and
reads the last, as Nanda et al.'s code does).

Prints one JSON line per seed:
  {"threads", "seed", "steps", "steps_per_second", "steps_per_cpu_second" (per second of
   the process's CPU time), "steps_to_train_99", "steps_to_test_95", "seconds_to_test_95"}

usage: python3 bench/torch_transformer.py [--threads 1] [--seeds 1] [--first-seed 0]
         [--steps 3000] [--run-all] [--all-positions] [--p 97] [--d 32] [--heads 4]
         [--mlp 128] [--lr 0.003] [--wd 1] [--frac 0.4]
  --run-all: take all --steps steps instead of stopping at test accuracy >= 95% (a run of
  fixed length, for speed)
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F


def run(args, seed):
    torch.set_num_threads(args.threads)
    p, d, heads, m = args.p, args.d, args.heads, args.mlp
    dh = d // heads
    g = torch.Generator().manual_seed(seed)
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.flatten(), b.flatten()
    labels = (a + b) % p
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    perm = torch.randperm(p * p, generator=g)
    n_train = round(args.frac * p * p)
    tr, te = perm[:n_train], perm[n_train:]
    x_tr, y_tr, x_te, y_te = tokens[tr], labels[tr], tokens[te], labels[te]

    def normal(*shape, fan):
        return (torch.randn(*shape, generator=g) / fan**0.5).requires_grad_()

    w_e, w_pos = normal(p + 1, d, fan=d), normal(3, d, fan=d)
    w_q, w_k, w_v, w_o = (normal(d, d, fan=d) for _ in range(4))
    w_in, w_out = normal(d, m, fan=d), normal(m, d, fan=m)
    w_u = normal(d, p, fan=d)
    b_in = torch.zeros(m, requires_grad=True)
    b_out = torch.zeros(d, requires_grad=True)
    opt = torch.optim.AdamW(
        [
            {"params": [w_e, w_pos, w_q, w_k, w_v, w_o, w_in, w_out, w_u], "weight_decay": args.wd},
            {"params": [b_in, b_out], "weight_decay": 0.0},
        ],
        lr=args.lr, betas=(0.9, 0.98), eps=1e-8,
    )
    mask = torch.tril(torch.ones(3, 3, dtype=torch.bool))

    def logits(x):
        n = x.shape[0]
        r = w_e[x] + w_pos  # n x 3 x d
        q = (r @ w_q).view(n, 3, heads, dh).transpose(1, 2)  # n x H x 3 x dh
        k = (r @ w_k).view(n, 3, heads, dh).transpose(1, 2)
        v = (r @ w_v).view(n, 3, heads, dh).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / dh**0.5
        att = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        z = (att @ v).transpose(1, 2).reshape(n, 3, d)
        r = r + z @ w_o
        if not args.all_positions:
            r = r[:, -1]
        r = r + F.relu(r @ w_in + b_in) @ w_out + b_out
        out = r @ w_u
        return out if not args.all_positions else out[:, -1]

    fit = gen = gen_seconds = None
    start = time.perf_counter()
    cpu_start = time.process_time()
    step = 0
    for step in range(args.steps):
        out = logits(x_tr)
        loss = F.cross_entropy(out, y_tr)
        if step % 10 == 0:
            with torch.no_grad():
                if fit is None and (out.argmax(1) == y_tr).float().mean().item() >= 0.99:
                    fit = step
                acc = (logits(x_te).argmax(1) == y_te).float().mean().item()
            if acc >= 0.95 and gen is None:
                gen = step
                gen_seconds = time.perf_counter() - start
                if not args.run_all:
                    break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return {
        "threads": args.threads,
        "seed": seed,
        "steps": step + 1,
        "steps_per_second": (step + 1) / seconds,
        "steps_per_cpu_second": (step + 1) / cpu_seconds,
        "steps_to_train_99": fit,
        "steps_to_test_95": gen,
        "seconds_to_test_95": gen_seconds,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--run-all", action="store_true")
    ap.add_argument("--all-positions", action="store_true")
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--wd", type=float, default=1.0)
    ap.add_argument("--frac", type=float, default=0.4)
    args = ap.parse_args()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        print(json.dumps(run(args, seed)), flush=True)


if __name__ == "__main__":
    main()
