//! `grok`: the training core from the command line, for researchers and for benchmarks.
//!
//! ```text
//! grok train [--p 97] [--op add] [--frac 0.3] [--wd 1] [--lr 0.01] [--d 32] [--hidden 128]
//!            [--seed 0] [--model mlp] [levers] [--steps 10000] [--stop-when-grokked]
//!            [--eval-every N] [--csv FILE] [--progress] [--threads 1|2] [--quiet]
//! grok train --link 'URL-or-query'        replay a share link copied from the page
//! grok sweep --wd 0,0.1,1 --frac 0.3,0.5 [--seeds 2] [--steps 3000] [--threads N]
//! ```
//!
//! Every run goes through the engine ([`grokking::engine::Run`]) that the page's workers
//! use, so a link replays the page's run. Progress goes to stderr; the last line on stdout
//! is one JSON object summarising the run or the sweep, so scripts can read it with
//! `tail -n 1`. `grok help train` lists every flag.

// The CLI is native only (its argument parser is not built for the page); a wasm32 build
// of the crate's test targets compiles this binary as an empty program.
#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
