//! Hand-tuned matrix products for the three read-out-sized products of a training step.
//!
//! Why this module exists: a step is ≈ 215 MFLOP, almost all of it in three products of
//! shape (rows × H)·(H × p), (p × rows)·(rows × H) and (rows × p)·(p × H). A
//! general-purpose GEMM (matrixmultiply) packs both operands and, on wasm32, uses an
//! 8 × 8 micro-kernel with sixteen 4-lane accumulators, which leaves no room for its
//! operands in x64's sixteen xmm registers (V8 keeps one as scratch): the accumulators
//! spill and the products reach only 15–21 GFLOP/s. Here the micro-kernel is sized to
//! the register file instead — on wasm32 four rows × two f32x4 vectors (eight
//! accumulators, two B vectors, a splat and, without fused multiply-add, a product
//! temporary: twelve registers) — and reads its operands in place, with strides, so
//! nothing is packed. On x86-64 with AVX-512F, or else AVX2 and FMA (detected at run
//! time), the same kernel runs with 16-lane vectors and twelve rows (24 of the 32 zmm
//! registers accumulate) or 8-lane vectors and six rows (twelve of the sixteen ymm), to
//! the same bits; with AVX-512 a product's last one or two columns past its whole
//! vectors (p = 97) go down the rows, sixteen at a time through a gather, instead of
//! taking a whole vector per row. Elsewhere a portable version of the same kernel on
//! plain arrays lets LLVM vectorise.
//!
//! All products compute `C = A·B` (optionally plus a bias row or plus the old C), with
//! A addressed through two strides — so a transposed A costs nothing — and B row-major
//! with contiguous columns. B and a bias are read in whole vectors, so both must be
//! readable up to the column count rounded up to [`lanes()`] (the callers pad their
//! buffers); C is written only in its `n` columns.
//!
//! The summation order depends only on the shapes and the backend, never on threads or
//! timing: the results are deterministic, and the two halves of a batch give the same
//! bits whether computed on one thread or two.

pub mod bench;

/// Defines `fn $name(args) -> R` as a call of `$generic(args)` (an `#[inline(always)]`
/// function), through a copy compiled for AVX-512F where the CPU has it, else one for
/// AVX2 and FMA (x86-64, detected at run time; a baseline x86-64 build otherwise
/// vectorises 4 wide with SSE2). The loops then run 16 or 8 wide; the operations and
/// their order stay the same (Rust never fuses a multiply and an add on its own, nor
/// reorders a sum), so the results are the same bits on every path.
macro_rules! with_avx {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $generic:ident;) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) $(-> $ret)? {
                    $generic($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $generic($($arg),*)
                }
                if $crate::kernels::has_avx512() {
                    // SAFETY: the CPU has the features `avx512` was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if $crate::kernels::has_avx2_fma() {
                    // SAFETY: the CPU has the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}

pub(crate) use with_avx;

/// What C starts from before A·B is added.
#[derive(Clone, Copy, Debug)]
pub enum Init<'a> {
    /// C = A·B.
    Zero,
    /// C = A·B + bias, the same bias row added to every row. Read in whole vectors: it
    /// must be readable up to `n` rounded up to [`lanes()`].
    Bias(&'a [f32]),
    /// C = C + A·B.
    Add,
}

/// One product C (m × n) = A (m × k) · B (k × n), described by slices and strides.
#[derive(Debug)]
pub struct Gemm<'a> {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Columns of A, rows of B (the summed dimension).
    pub k: usize,
    /// A(i, l) = a[i·a_rs + l·a_cs].
    pub a: &'a [f32],
    /// Row stride of A.
    pub a_rs: usize,
    /// Column stride of A.
    pub a_cs: usize,
    /// B(l, j) = b[l·b_rs + j]; each row readable up to `n` rounded up to [`lanes()`].
    pub b: &'a [f32],
    /// Row stride of B.
    pub b_rs: usize,
    /// C(i, j) = c[i·ldc + j].
    pub c: &'a mut [f32],
    /// Row stride of C.
    pub ldc: usize,
    /// What C starts from.
    pub init: Init<'a>,
}

/// `x` rounded up to a multiple of [`lanes()`]: the padded width of B operands, biases
/// and of buffers that serve as B.
pub fn pad(x: usize) -> usize {
    x.div_ceil(PAD) * PAD
}

/// The vector width the kernels read B and biases in (4 on wasm32, 16 elsewhere, which
/// covers the AVX-512, the AVX2 and the portable kernel).
pub const fn lanes() -> usize {
    PAD
}

#[cfg(target_arch = "wasm32")]
const PAD: usize = 4;
#[cfg(not(target_arch = "wasm32"))]
const PAD: usize = 16;

impl Gemm<'_> {
    /// Checks that every element the kernel will touch is inside its slice (so the
    /// unchecked accesses below are sound).
    fn check(&self) {
        let (m, n, k) = (self.m, self.n, self.k);
        if m == 0 || n == 0 {
            return;
        }
        // Checked arithmetic: a product whose extents overflow must be refused, not
        // wrapped round into a small number that passes.
        let extent = |rows: usize, stride: usize, plus: usize| {
            (rows - 1)
                .checked_mul(stride)
                .and_then(|x| x.checked_add(plus))
        };
        let np = n
            .checked_next_multiple_of(PAD)
            .expect("n is too large to pad");
        assert!(
            extent(m, self.ldc, n).is_some_and(|need| self.c.len() >= need),
            "C too small"
        );
        assert!(self.ldc >= n, "C rows overlap");
        if let Init::Bias(bias) = self.init {
            assert!(bias.len() >= np, "bias must be readable to {np} values");
        }
        if k > 0 {
            let last_a = extent(m, self.a_rs, 0)
                .zip(extent(k, self.a_cs, 0))
                .and_then(|(x, y)| x.checked_add(y));
            assert!(
                last_a.is_some_and(|last| self.a.len() > last),
                "A too small"
            );
            assert!(
                extent(k, self.b_rs, np).is_some_and(|need| self.b.len() >= need),
                "B must be readable to {np} columns"
            );
        }
    }

    /// The product as raw pointers for the kernels (after [`Gemm::check`]).
    fn raw(self) -> Raw {
        let (bias, add) = match self.init {
            Init::Zero => (std::ptr::null(), false),
            Init::Bias(bias) => (bias.as_ptr(), false),
            Init::Add => (std::ptr::null(), true),
        };
        Raw {
            m: self.m,
            n: self.n,
            k: self.k,
            a: self.a.as_ptr(),
            a_rs: self.a_rs,
            a_cs: self.a_cs,
            b: self.b.as_ptr(),
            b_rs: self.b_rs,
            c: self.c.as_mut_ptr(),
            ldc: self.ldc,
            bias,
            add,
        }
    }

    /// Computes the product with the fastest kernel this machine has.
    pub fn run(self) {
        self.check();
        let g = self.raw();
        // SAFETY: bounds checked above; the backend's CPU features were detected
        // (simd128 is enabled for every wasm build).
        unsafe {
            match Backend::detect() {
                #[cfg(target_arch = "wasm32")]
                Backend::Wasm => chunked::<wasm::F32x4, 4, 2>(g),
                #[cfg(target_arch = "x86_64")]
                Backend::Avx512 => x86::gemm_avx512(g),
                #[cfg(target_arch = "x86_64")]
                Backend::Avx2 => x86::gemm_avx2(g),
                #[cfg(not(target_arch = "wasm32"))]
                Backend::Portable => chunked::<portable::F32x8, 4, 1>(g),
            }
        }
    }

    /// Computes the product with the AVX2 kernel, whatever else the CPU has (for tests:
    /// the AVX-512 kernel must give the same bits). Panics without AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    pub fn run_avx2(self) {
        self.check();
        assert!(has_avx2_fma(), "this CPU has no AVX2 and FMA");
        // SAFETY: bounds checked above, CPU features checked.
        unsafe { x86::gemm_avx2(self.raw()) }
    }

    /// Computes the product with the portable kernel (for other CPUs, and for tests).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run_portable(self) {
        self.check();
        // SAFETY: bounds checked above.
        unsafe { chunked::<portable::F32x8, 4, 1>(self.raw()) }
    }
}

/// Independent accumulators in [`peak`]: enough to cover a fused multiply-add's latency
/// (4 cycles at 2 a cycle needs 8), few enough for x64's sixteen xmm registers in V8.
const PEAK_ACCUMULATORS: usize = 12;

/// The kernels this machine runs: one variant per vector type, those of other targets
/// compiled out, the choice made at run time from the CPU's features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    /// wasm32 simd128 (with relaxed SIMD's multiply-add where the build enables it).
    #[cfg(target_arch = "wasm32")]
    Wasm,
    /// x86-64 with AVX-512F.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// x86-64 with AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain arrays LLVM vectorises for whatever the target has.
    #[cfg(not(target_arch = "wasm32"))]
    Portable,
}

impl Backend {
    /// The fastest backend this machine has (the CPU's features are detected once, then
    /// cached by std).
    #[inline]
    fn detect() -> Backend {
        #[cfg(target_arch = "wasm32")]
        {
            Backend::Wasm
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx512() {
                    return Backend::Avx512;
                }
                if has_avx2_fma() {
                    return Backend::Avx2;
                }
            }
            Backend::Portable
        }
    }

    /// The lanes of its vectors.
    fn lanes(self) -> usize {
        match self {
            #[cfg(target_arch = "wasm32")]
            Backend::Wasm => 4,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => 16,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => 8,
            #[cfg(not(target_arch = "wasm32"))]
            Backend::Portable => 8,
        }
    }
}

/// The lanes of the vectors [`Gemm::run`] uses on this machine (4 on wasm32; 16 with
/// AVX-512, 8 with AVX2 or the portable kernel).
pub fn vector_lanes() -> usize {
    Backend::detect().lanes()
}

/// Floating-point operations of one [`peak`] call of `rounds` rounds.
pub fn peak_flop(rounds: usize) -> f64 {
    2.0 * (rounds * PEAK_ACCUMULATORS * vector_lanes()) as f64
}

/// The ceiling the matrix kernels work under: `rounds` rounds of multiply-adds on
/// [`PEAK_ACCUMULATORS`] independent vectors held in registers (no loads or stores in
/// the loop), with the vector type and multiply-add [`Gemm::run`] uses here — so its
/// GFLOP/s is the most this engine and CPU give one thread, what a product's GFLOP/s is
/// to be read against. Returns a value computed from every accumulator, for the caller
/// to keep (so nothing is optimised away).
pub fn peak(rounds: usize) -> f32 {
    // SAFETY: register arithmetic and stores to a local array only; the backend's CPU
    // features were detected.
    unsafe {
        match Backend::detect() {
            #[cfg(target_arch = "wasm32")]
            Backend::Wasm => peak_on::<wasm::F32x4>(rounds),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => x86::peak_avx512(rounds),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => x86::peak_avx2(rounds),
            #[cfg(not(target_arch = "wasm32"))]
            Backend::Portable => peak_on::<portable::F32x8>(rounds),
        }
    }
}

/// [`peak`] for one vector type.
#[inline(always)]
unsafe fn peak_on<V: Vector>(rounds: usize) -> f32 {
    let ones = [0.999_f32; 16];
    let small = [1e-3_f32; 16];
    let (a, c) = (V::load(ones.as_ptr()), V::load(small.as_ptr()));
    let mut acc = [V::zero(); PEAK_ACCUMULATORS];
    for _ in 0..rounds {
        for v in acc.iter_mut() {
            *v = V::madd(*v, a, c);
        }
    }
    let mut sum = V::zero();
    for v in acc {
        sum = V::add(sum, v);
    }
    let mut out = [0.0f32; 16];
    sum.store(out.as_mut_ptr());
    out[0]
}

/// Whether this CPU has AVX2 and FMA (checked once, then cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2_fma() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// Whether this CPU has AVX-512F (checked once, then cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx512() -> bool {
    is_x86_feature_detected!("avx512f")
}

/// A checked [`Gemm`] as pointers: what the kernels read and write, all in bounds.
#[derive(Clone, Copy)]
struct Raw {
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    a_rs: usize,
    a_cs: usize,
    b: *const f32,
    b_rs: usize,
    c: *mut f32,
    ldc: usize,
    /// The bias row to add, or null.
    bias: *const f32,
    /// Whether to add to C instead of overwriting it.
    add: bool,
}

/// Rows of B (and columns of A) per pass over C. A long product (dW2 = Gᵀ·H sums over
/// every pair of the batch) runs in slices of this many, adding each slice's product to
/// C: a slice of A and B (≈ 250 KB) then stays in L2 while every tile of C reads it,
/// instead of every tile streaming both whole operands from further away. Fixed, so the
/// summation order depends only on the shapes. A caller that adds products of at most
/// this many rows to C one after another ([`Init::Add`]), in slices that start at
/// multiples of it, gets the same bits as one long product.
pub const KC: usize = 256;

/// The product in slices of at most [`KC`] along k (see there).
#[inline(always)]
unsafe fn chunked<V: Vector, const MR: usize, const NV: usize>(g: Raw) {
    for part in slices(g) {
        driver::<V, MR, NV>(&part);
    }
}

/// The slices of at most [`KC`] along k of a product, the first as given, the later ones
/// adding onto what the first wrote (bias included): every kernel sums over k in the
/// same slices, so they agree to the bit. (An iterator rather than a closure taking the
/// kernel: a closure would not inherit its caller's target features, and the inlined
/// kernel would lose its vector instructions.)
#[inline(always)]
fn slices(g: Raw) -> impl Iterator<Item = Raw> {
    // Where the next slice starts; None once the last is out. A product with k = 0 is
    // one empty slice (C = bias, or C kept), none at all if C is empty.
    let mut next = (g.m > 0 && g.n > 0).then_some(0);
    std::iter::from_fn(move || {
        let l = next?;
        let mut part = g;
        part.k = (g.k - l).min(KC);
        // In bounds (l < k, or l = 0), as Gemm::check found A and B.
        part.a = g.a.wrapping_add(l * g.a_cs);
        part.b = g.b.wrapping_add(l * g.b_rs);
        if l > 0 {
            part.bias = std::ptr::null();
            part.add = true;
        }
        next = Some(l + part.k).filter(|&end| end < g.k);
        Some(part)
    })
}

/// The operations a micro-kernel needs from a vector of `LANES` f32.
trait Vector: Copy {
    const LANES: usize;
    /// All zeros.
    unsafe fn zero() -> Self;
    /// `*p` in every lane.
    unsafe fn splat(p: *const f32) -> Self;
    /// `LANES` values from `p` (unaligned).
    unsafe fn load(p: *const f32) -> Self;
    /// Stores `LANES` values at `p` (unaligned).
    unsafe fn store(self, p: *mut f32);
    /// a·b + c (fused where the backend can).
    unsafe fn madd(a: Self, b: Self, c: Self) -> Self;
    /// a + b.
    unsafe fn add(a: Self, b: Self) -> Self;
}

/// The product, tile by tile: rows in blocks of `MR`, columns in blocks of `NV` vectors
/// (the last column block narrower if `n` needs fewer vectors), for each row block all
/// column blocks: the block's A rows stay in L1 while B streams from L2.
#[inline(always)]
unsafe fn driver<V: Vector, const MR: usize, const NV: usize>(g: &Raw) {
    let mut i = 0;
    while i + MR <= g.m {
        columns::<V, MR, NV>(g, i);
        i += MR;
    }
    // The last rows, fewer than MR. (Arms of row counts a kernel's MR cannot leave are
    // never instantiated for it: the guards are constants.)
    match g.m - i {
        0 => {}
        1 => columns::<V, 1, NV>(g, i),
        2 => columns::<V, 2, NV>(g, i),
        3 => columns::<V, 3, NV>(g, i),
        4 if MR > 4 => columns::<V, 4, NV>(g, i),
        5 if MR > 5 => columns::<V, 5, NV>(g, i),
        6 if MR > 6 => columns::<V, 6, NV>(g, i),
        7 if MR > 7 => columns::<V, 7, NV>(g, i),
        8 if MR > 8 => columns::<V, 8, NV>(g, i),
        9 if MR > 9 => columns::<V, 9, NV>(g, i),
        10 if MR > 10 => columns::<V, 10, NV>(g, i),
        11 if MR > 11 => columns::<V, 11, NV>(g, i),
        _ => unreachable!("row blocks are at most 12 rows"),
    }
}

/// All column blocks of the rows i..i+R.
#[inline(always)]
unsafe fn columns<V: Vector, const R: usize, const NV: usize>(g: &Raw, i: usize) {
    let nr = NV * V::LANES;
    let mut j = 0;
    while j + nr <= g.n {
        tile::<V, R, NV>(g, i, j, nr);
        j += nr;
    }
    let width = g.n - j;
    if width > 0 {
        // The last columns: exactly as many vectors as they need, so B is never read
        // past `n` rounded up to the vector width.
        match width.div_ceil(V::LANES) {
            1 => tile::<V, R, 1>(g, i, j, width),
            2 => tile::<V, R, 2>(g, i, j, width),
            _ => unreachable!("tiles are at most two vectors wide"),
        }
    }
}

/// The micro-kernel: C[i..i+R, j..j+width] from R × NV accumulator vectors. Each step
/// of the k loop loads NV vectors of one B row and, per row, one broadcast A element.
#[inline(always)]
unsafe fn tile<V: Vector, const R: usize, const NV: usize>(
    g: &Raw,
    i: usize,
    j: usize,
    width: usize,
) {
    let mut acc = [[V::zero(); NV]; R];
    let a = g.a.add(i * g.a_rs);
    let mut b = g.b.add(j);
    for l in 0..g.k {
        let mut bv = [V::zero(); NV];
        for (v, bv) in bv.iter_mut().enumerate() {
            *bv = V::load(b.add(v * V::LANES));
        }
        let al = a.add(l * g.a_cs);
        for (r, acc) in acc.iter_mut().enumerate() {
            let av = V::splat(al.add(r * g.a_rs));
            for v in 0..NV {
                acc[v] = V::madd(av, bv[v], acc[v]);
            }
        }
        b = b.add(g.b_rs);
    }
    if !g.bias.is_null() {
        for v in 0..NV {
            let bias = V::load(g.bias.add(j + v * V::LANES));
            for acc in acc.iter_mut() {
                acc[v] = V::add(acc[v], bias);
            }
        }
    }
    let (add, c) = (g.add, g.c);
    let full = width == NV * V::LANES;
    for (r, acc) in acc.iter().enumerate() {
        let row = c.add((i + r) * g.ldc + j);
        if full {
            for (v, &x) in acc.iter().enumerate() {
                let at = row.add(v * V::LANES);
                let x = if add { V::add(V::load(at), x) } else { x };
                x.store(at);
            }
        } else {
            // A partial block (the last columns): go through a buffer so nothing past
            // column n is read or written.
            let mut buf = [0.0f32; 32];
            for (v, &x) in acc.iter().enumerate() {
                x.store(buf.as_mut_ptr().add(v * V::LANES));
            }
            for (t, &x) in buf[..width].iter().enumerate() {
                let at = row.add(t);
                *at = if add { *at + x } else { x };
            }
        }
    }
}

/// wasm32 simd128: f32x4, with relaxed-SIMD's fused multiply-add when the build enables
/// it (`-C target-feature=+relaxed-simd`, the second module scripts/build makes).
#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::Vector;
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    impl Vector for F32x4 {
        const LANES: usize = 4;
        #[inline(always)]
        unsafe fn zero() -> Self {
            F32x4(f32x4_splat(0.0))
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            // One instruction (v128.load32_splat), no separate load and shuffle.
            F32x4(v128_load32_splat(p as *const u32))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            F32x4(v128_load(p as *const v128))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            {
                // Fused where the hardware has FMA (V8 on x64 with FMA3, ARM64); the
                // rounding may then differ between machines, never between runs.
                F32x4(f32x4_relaxed_madd(a.0, b.0, c.0))
            }
            #[cfg(not(target_feature = "relaxed-simd"))]
            {
                F32x4(f32x4_add(f32x4_mul(a.0, b.0), c.0))
            }
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            F32x4(f32x4_add(a.0, b.0))
        }
    }
}

/// x86-64 with AVX2 and FMA: 8-lane vectors, six rows × two vectors (twelve of the
/// sixteen ymm registers accumulate, two hold B, one the broadcast).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{chunked, peak_on, slices, Raw, Vector};
    use core::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct F32x8(__m256);

    impl Vector for F32x8 {
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> Self {
            F32x8(_mm256_setzero_ps())
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            F32x8(_mm256_broadcast_ss(&*p))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            F32x8(_mm256_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm256_storeu_ps(p, self.0)
        }
        #[inline(always)]
        unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
            F32x8(_mm256_fmadd_ps(a.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            F32x8(_mm256_add_ps(a.0, b.0))
        }
    }

    /// The whole product compiled with AVX2 and FMA (the generic code above is inlined
    /// into this function, so its intrinsics get the features).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gemm_avx2(g: Raw) {
        chunked::<F32x8, 6, 2>(g)
    }

    /// 16-lane AVX-512 vectors. Each element of C is the same chain of fused
    /// multiply-adds over k as in the AVX2 kernel, only twice as many columns at once,
    /// so the two give the same bits (tests/kernels.rs checks it).
    #[derive(Clone, Copy)]
    pub struct F32x16(__m512);

    impl Vector for F32x16 {
        const LANES: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> Self {
            F32x16(_mm512_setzero_ps())
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            F32x16(_mm512_set1_ps(*p))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            F32x16(_mm512_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm512_storeu_ps(p, self.0)
        }
        #[inline(always)]
        unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
            F32x16(_mm512_fmadd_ps(a.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            F32x16(_mm512_add_ps(a.0, b.0))
        }
    }

    /// The whole product with AVX-512F: twelve rows × two 16-lane vectors (24 of the 32
    /// zmm registers accumulate, two hold B, one the broadcast), so a tile covers 32
    /// columns: p = 97 is three tiles and one column, H = 128 four tiles. Measured as
    /// whole native runs against the AVX2 kernel (`python3 bench/paired.py --against
    /// AVX2_BUILD/grok`, 4 pairs each): six rows 1.40×, eight 1.09× more, twelve 1.08×
    /// more again.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn gemm_avx512(g: Raw) {
        let edge = g.n % 16;
        if edge == 0 || edge > EDGE_BY_ROWS || !offsets_fit(&g) {
            chunked::<F32x16, 12, 2>(g);
            return;
        }
        // The last `edge` columns, a vector's few lanes, cost a whole vector per row in
        // a tile (p = 97: a fifth of the logits product's time for 1% of its columns).
        // They go down the rows instead: sixteen rows' A elements gathered into one
        // vector, times the broadcast B element, each lane the same chain of fused
        // multiply-adds over k as in a tile, so the same bits.
        let full = g.n - edge;
        if full > 0 {
            chunked::<F32x16, 12, 2>(Raw { n: full, ..g });
        }
        for part in slices(g) {
            columns_by_rows(&part, full);
        }
    }

    /// [`super::peak`] with AVX-512 vectors.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn peak_avx512(rounds: usize) -> f32 {
        peak_on::<F32x16>(rounds)
    }

    /// [`super::peak`] with AVX2 and FMA vectors.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn peak_avx2(rounds: usize) -> f32 {
        peak_on::<F32x8>(rounds)
    }

    /// Column counts up to this past the last whole vector are computed by
    /// [`columns_by_rows`].
    const EDGE_BY_ROWS: usize = 2;

    /// Whether the A offsets of sixteen rows fit the gather's i32 indices.
    fn offsets_fit(g: &Raw) -> bool {
        15usize
            .checked_mul(g.a_rs)
            .is_some_and(|x| x <= i32::MAX as usize)
    }

    /// Columns `j0..n` of C, sixteen rows at a time (the last rows masked): lane r of
    /// the accumulator is C(i + r, j), built as acc = fma(A(i + r, l), B(l, j), acc) for
    /// l = 0..k from zero, then plus the bias, then added to the old C if asked — the
    /// order [`super::tile`] uses.
    #[target_feature(enable = "avx512f")]
    unsafe fn columns_by_rows(g: &Raw, j0: usize) {
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let a_offsets = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(g.a_rs as i32));
        let mut i = 0;
        while i < g.m {
            let rows = (g.m - i).min(16);
            let mask: __mmask16 = ((1u32 << rows) - 1) as u16;
            let a = g.a.add(i * g.a_rs);
            for j in j0..g.n {
                let mut acc = _mm512_setzero_ps();
                let mut b = g.b.add(j);
                for l in 0..g.k {
                    let av = _mm512_mask_i32gather_ps::<4>(
                        _mm512_setzero_ps(),
                        mask,
                        a_offsets,
                        a.add(l * g.a_cs),
                    );
                    acc = _mm512_fmadd_ps(av, _mm512_set1_ps(*b), acc);
                    b = b.add(g.b_rs);
                }
                if !g.bias.is_null() {
                    acc = _mm512_add_ps(acc, _mm512_set1_ps(*g.bias.add(j)));
                }
                let mut out = [0.0f32; 16];
                _mm512_storeu_ps(out.as_mut_ptr(), acc);
                for (r, &x) in out[..rows].iter().enumerate() {
                    let at = g.c.add((i + r) * g.ldc + j);
                    *at = if g.add { *at + x } else { x };
                }
            }
            i += 16;
        }
    }
}

/// Plain arrays of eight f32 with element-wise loops: LLVM turns them into whatever
/// vectors the target has.
#[cfg(not(target_arch = "wasm32"))]
mod portable {
    use super::Vector;

    #[derive(Clone, Copy)]
    pub struct F32x8([f32; 8]);

    impl Vector for F32x8 {
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> Self {
            F32x8([0.0; 8])
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> Self {
            F32x8([*p; 8])
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            F32x8(std::ptr::read_unaligned(p as *const [f32; 8]))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            std::ptr::write_unaligned(p as *mut [f32; 8], self.0)
        }
        #[inline(always)]
        unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
            let mut out = c.0;
            for ((o, x), y) in out.iter_mut().zip(a.0).zip(b.0) {
                *o += x * y;
            }
            F32x8(out)
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            let mut out = a.0;
            for (o, y) in out.iter_mut().zip(b.0) {
                *o += y;
            }
            F32x8(out)
        }
    }
}
