//! The matrix kernels of src/kernels.rs against a naive triple loop in f64, on odd shapes
//! (1, 3, 5, 97 rows or columns; sums not a multiple of the vector width, and longer
//! than one k-slice), with transposed operands, padded strides and every start for C.
//!
//! Runs natively (`cargo test --test kernels`, which also checks the portable kernel
//! that non-x86 CPUs use) and on wasm32 (`cargo test --target wasm32-unknown-unknown
//! --test kernels`, in node through wasm-bindgen-test-runner), so the simd128 kernel —
//! and, built with `RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd"`, the
//! relaxed-SIMD one — is checked too.

use grokking::kernels::{lanes, pad, Gemm, Init, KC};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Deterministic values in [-1, 1).
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// Which start C gets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Start {
    Zero,
    Bias,
    Add,
}

/// The operands of one test product, deterministic for its shape: A (stored
/// transposed or not), B with rows longer than needed (it is read in place, with its
/// stride), a bias, and C's starting values, with rows longer than `n`.
struct Operands {
    m: usize,
    n: usize,
    k: usize,
    a: Vec<f32>,
    a_rs: usize,
    a_cs: usize,
    b: Vec<f32>,
    b_rs: usize,
    bias: Vec<f32>,
    c0: Vec<f32>,
    ldc: usize,
}

impl Operands {
    fn new(m: usize, n: usize, k: usize, a_transposed: bool) -> Operands {
        let (np, ldc) = (pad(n), n + 3);
        let (a_rs, a_cs) = if a_transposed { (1, m) } else { (k, 1) };
        let b_rs = np + lanes();
        Operands {
            m,
            n,
            k,
            a: values(m * k.max(1), 1 + (m * 31 + k) as u64),
            a_rs,
            a_cs,
            b: values(k.max(1) * b_rs, 7 + n as u64),
            b_rs,
            bias: values(np, 11),
            c0: values(m * ldc, 13),
            ldc,
        }
    }

    /// The product into `c` (C's starting values, a copy of `c0`), from `start`.
    fn gemm<'a>(&'a self, c: &'a mut [f32], start: Start) -> Gemm<'a> {
        Gemm {
            m: self.m,
            n: self.n,
            k: self.k,
            a: &self.a,
            a_rs: self.a_rs,
            a_cs: self.a_cs,
            b: &self.b,
            b_rs: self.b_rs,
            c,
            ldc: self.ldc,
            init: match start {
                Start::Zero => Init::Zero,
                Start::Bias => Init::Bias(&self.bias),
                Start::Add => Init::Add,
            },
        }
    }
}

/// One product of the given shape through `run` (a kernel entry point), checked against
/// f64. A is stored transposed or not; B and C have rows longer than `n`, and the
/// columns of C past `n` must come back untouched.
fn check(m: usize, n: usize, k: usize, a_transposed: bool, start: Start, run: fn(Gemm)) {
    let ops = Operands::new(m, n, k, a_transposed);
    let (a, b, bias, c0) = (&ops.a, &ops.b, &ops.bias, &ops.c0);
    let (a_rs, a_cs, b_rs, ldc) = (ops.a_rs, ops.a_cs, ops.b_rs, ops.ldc);
    let mut c = c0.clone();
    run(ops.gemm(&mut c, start));
    for i in 0..m {
        for j in 0..ldc {
            let got = c[i * ldc + j];
            if j >= n {
                assert_eq!(
                    got.to_bits(),
                    c0[i * ldc + j].to_bits(),
                    "C[{i}][{j}] written"
                );
                continue;
            }
            let mut want = match start {
                Start::Zero => 0.0,
                Start::Bias => bias[j] as f64,
                Start::Add => c0[i * ldc + j] as f64,
            };
            let mut scale = want.abs();
            for l in 0..k {
                let x = a[i * a_rs + l * a_cs] as f64 * b[l * b_rs + j] as f64;
                want += x;
                scale += x.abs();
            }
            let err = (got as f64 - want).abs();
            assert!(
                err <= 1e-5 * scale + 1e-30,
                "{m}×{n}×{k} (A transposed: {a_transposed}, {start:?}): C[{i}][{j}] = {got}, \
                 want {want}"
            );
        }
    }
}

/// Every combination of a few odd sizes.
fn check_all(run: fn(Gemm)) {
    // Every leftover row count of the row tilings `run` can take (4 rows in wasm and
    // the portable kernel, 12 with AVX-512; the AVX2 kernel's 6 are compared with
    // AVX-512 below): 8 of 12 is what H = 128 leaves natively, 4 of 4 what blocks of 256
    // leave in wasm. Columns one and two past whole 16-lane vectors (1, 17, 18, 97) go
    // through the AVX-512 kernel's gathered edge.
    for m in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 97] {
        for n in [1, 3, 5, 8, 17, 18, 97, 128] {
            for k in [0, 1, 5, 97, 300] {
                for a_transposed in [false, true] {
                    for start in [Start::Zero, Start::Bias, Start::Add] {
                        check(m, n, k, a_transposed, start, run);
                    }
                }
            }
        }
    }
}

#[test]
fn kernel_matches_naive_product_on_odd_shapes() {
    check_all(|g| g.run());
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn portable_kernel_matches_naive_product_on_odd_shapes() {
    check_all(|g| g.run_portable());
}

/// The AVX-512 kernel (what `run` picks on a CPU with AVX-512F) and the AVX2 one give
/// the same bits: each element is the same chain of fused multiply-adds, so a run's
/// numbers do not depend on which of the two a machine has.
#[cfg(target_arch = "x86_64")]
#[test]
fn avx512_and_avx2_kernels_give_the_same_bits() {
    if !grokking::kernels::has_avx512() || !grokking::kernels::has_avx2_fma() {
        eprintln!("this CPU lacks AVX-512F or AVX2: nothing to compare");
        return;
    }
    for (m, n, k) in [
        (1, 1, 1),
        (7, 97, 300),
        (13, 128, 97),
        (97, 5, 1412),
        (256, 97, 128),
        // Edges of two and three columns past whole vectors (the AVX-512 kernel takes
        // up to two down the rows, sixteen at a time, the last ones masked).
        (33, 18, 40),
        (20, 35, 260),
    ] {
        for transposed in [false, true] {
            let ops = Operands::new(m, n, k, transposed);
            let mut results = Vec::new();
            for avx2 in [false, true] {
                for start in [Start::Zero, Start::Bias, Start::Add] {
                    let mut c = ops.c0.clone();
                    let g = ops.gemm(&mut c, start);
                    if avx2 {
                        g.run_avx2()
                    } else {
                        g.run()
                    }
                    results.push(c.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
                }
            }
            assert_eq!(
                results[..3],
                results[3..],
                "{m}×{n}×{k}, A transposed: {transposed}"
            );
        }
    }
}

/// A long product taken in slices of at most `KC` rows, each added onto C, gives the
/// same bits as the whole product at once — what the blocked training step relies on.
#[test]
fn slices_of_the_summed_dimension_add_up_to_the_same_bits() {
    let (m, n, k) = (97, 97, 1412);
    let a = values(m * k, 3);
    let b = values(k * pad(n), 5);
    let product = |rows: std::ops::Range<usize>, c: &mut [f32], init: Init| {
        Gemm {
            m,
            n,
            k: rows.len(),
            a: &a[rows.start * m..],
            a_rs: 1,
            a_cs: m,
            b: &b[rows.start * pad(n)..],
            b_rs: pad(n),
            c,
            ldc: n,
            init,
        }
        .run()
    };
    let mut whole = vec![0.0f32; m * n];
    product(0..k, &mut whole, Init::Zero);
    let mut sliced = vec![0.0f32; m * n];
    for (i, start) in (0..k).step_by(KC).enumerate() {
        let init = if i == 0 { Init::Zero } else { Init::Add };
        product(start..(start + KC).min(k), &mut sliced, init);
    }
    assert!(whole
        .iter()
        .zip(&sliced)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    // Slices that do not start at multiples of KC group the sums differently: the
    // comparison above can fail.
    let mut shifted = vec![0.0f32; m * n];
    product(0..100, &mut shifted, Init::Zero);
    product(100..k, &mut shifted, Init::Add);
    assert!(whole
        .iter()
        .zip(&shifted)
        .any(|(x, y)| x.to_bits() != y.to_bits()));
}

// (wasm32 builds abort on a panic, so this one runs natively only.)
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[should_panic(expected = "B must be readable")]
fn short_b_is_rejected() {
    let mut c = vec![0.0f32; 5];
    Gemm {
        m: 1,
        n: 5,
        k: 2,
        a: &[1.0, 2.0],
        a_rs: 2,
        a_cs: 1,
        b: &[0.0; 10], // the second row is not readable to pad(5)
        b_rs: 5,
        c: &mut c,
        ldc: 5,
        init: Init::Zero,
    }
    .run();
}

/// Extents that overflow `usize` are refused, not wrapped round to a small number.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[should_panic(expected = "C too small")]
fn overflowing_strides_are_rejected() {
    let mut c = vec![0.0f32; 16];
    Gemm {
        m: 3,
        n: 1,
        k: 1,
        a: &[1.0; 3],
        a_rs: 1,
        a_cs: 1,
        b: &[0.0; 8],
        b_rs: 8,
        c: &mut c,
        // 2 · ldc + 1 wraps to 1 without checked arithmetic.
        ldc: usize::MAX / 2 + 1,
        init: Init::Zero,
    }
    .run();
}

/// The ceiling benchmark computes what it says: each of its twelve accumulators runs
/// x ← 0.999·x + 0.001 from 0, so after r rounds holds 1 − 0.999^r; their sum is returned.
#[test]
fn peak_runs_its_multiply_adds() {
    for rounds in [1, 10, 1000] {
        let want = 12.0 * (1.0 - 0.999f64.powi(rounds as i32));
        let got = grokking::kernels::peak(rounds) as f64;
        assert!(
            (got - want).abs() < 1e-4 * want.max(1.0),
            "{rounds}: {got} vs {want}"
        );
    }
    assert_eq!(
        grokking::kernels::peak_flop(10),
        2.0 * 10.0 * 12.0 * grokking::kernels::vector_lanes() as f64
    );
}
