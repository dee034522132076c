//! The run's path through weight space, and how many dimensions the embedding uses.
//!
//! **Path.** The whole parameter vector is sampled at fixed steps (at most [`MAX_SAMPLES`],
//! thinned like the embedding frames to stay spread over log-step) and projected onto the
//! top two principal components of the samples so far. With n ≤ 48 samples of P ≈ 24 000
//! values, PCA goes through the n × n Gram matrix of the centred samples rather than the
//! P × P covariance: each new sample adds one row of dot products (n·P multiply-adds,
//! ≈ 0.3 ms), and the eigenvectors of the small matrix, scaled by the square roots of
//! their eigenvalues, are the samples' coordinates along the components — the components
//! themselves are never formed. So the figure costs a fraction of one training step per
//! sample, and samples are a few dozen per decade of steps.
//!
//! **Effective dimension.** The participation ratio of the embedding's singular values,
//! (Σσ²)² / Σσ⁴: d when all d directions are used equally, 1 when one direction holds
//! everything. Liu et al. and Nanda et al. describe the general solution as living on a few
//! Fourier directions; this number shows the embedding collapsing onto them as it groks.
//!
//! The eigenproblems are small and symmetric, so a cyclic Jacobi method ([`symmetric_eigen`])
//! solves them exactly enough in a few sweeps; it is written here (forty lines) rather than
//! pulling a linear-algebra crate into the page for two tiny decompositions.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// At most this many parameter samples are kept.
pub const MAX_SAMPLES: usize = 48;

/// Eigenvalues (descending) and eigenvectors (as columns, `vectors[i][k]` is component i
/// of vector k) of a symmetric matrix given row-major, n × n. Cyclic Jacobi rotations until
/// the off-diagonal mass is below 1e-22 of the total (at most 50 sweeps).
pub fn symmetric_eigen(matrix: &[f64], n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(matrix.len(), n * n, "a square matrix");
    let mut a = matrix.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..50 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        if off <= 1e-22 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j * n + j].total_cmp(&a[i * n + i]).then(i.cmp(&j)));
    let values = order.iter().map(|&k| a[k * n + k]).collect();
    let vectors = (0..n)
        .map(|i| order.iter().map(|&k| v[i * n + k]).collect())
        .collect();
    (values, vectors)
}

/// The participation ratio (Σσ²)² / Σσ⁴ of a matrix's singular values: its effective
/// number of dimensions (0 for an all-zero or non-finite matrix).
pub fn participation_ratio(m: ArrayView2<f32>) -> f64 {
    // σ² are the eigenvalues of MᵀM (d × d, d the smaller side for an embedding).
    let d = m.ncols();
    let mut gram = vec![0.0f64; d * d];
    for row in m.rows() {
        for i in 0..d {
            let ri = row[i] as f64;
            for j in i..d {
                gram[i * d + j] += ri * row[j] as f64;
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            gram[i * d + j] = gram[j * d + i];
        }
    }
    let (values, _) = symmetric_eigen(&gram, d);
    let s2: f64 = values.iter().map(|v| v.max(0.0)).sum();
    let s4: f64 = values.iter().map(|v| v.max(0.0).powi(2)).sum();
    if s4 > 0.0 && s2.is_finite() && s4.is_finite() {
        s2 * s2 / s4
    } else {
        0.0
    }
}

/// One point of the projected path.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathPoint {
    /// The step the parameters were sampled at.
    pub step: u64,
    /// Coordinate along the first principal component.
    pub x: f64,
    /// Coordinate along the second.
    pub y: f64,
}

/// The path projected on the top two principal components, and how much of the samples'
/// spread those two hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Path {
    /// The samples, by step, in the plane of the two components.
    pub points: Vec<PathPoint>,
    /// Share of the total variance along each of the two components.
    pub explained: [f64; 2],
}

/// The sampled parameter vectors and their dot products.
#[derive(Clone, Debug, Default)]
pub struct WeightPath {
    steps: Vec<u64>,
    samples: Vec<Vec<f32>>,
    /// Dot products of the raw samples, row-major over `samples` (n × n).
    dots: Vec<Vec<f64>>,
}

impl WeightPath {
    /// No samples.
    pub fn new() -> WeightPath {
        WeightPath::default()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The sampled steps.
    pub fn steps(&self) -> &[u64] {
        &self.steps
    }

    /// Adds the parameters at `step` (ignored if not after the latest sample); when over
    /// [`MAX_SAMPLES`], drops the sample in the densest stretch of log-step (the first
    /// and the latest always stay).
    pub fn push(&mut self, step: u64, params: &[f32]) {
        if self.steps.last().is_some_and(|&s| s >= step) {
            return;
        }
        let row: Vec<f64> = self
            .samples
            .iter()
            .map(|s| dot(s, params))
            .chain(std::iter::once(dot(params, params)))
            .collect();
        for (r, &v) in self.dots.iter_mut().zip(&row) {
            r.push(v);
        }
        self.dots.push(row);
        self.samples.push(params.to_vec());
        self.steps.push(step);
        while self.samples.len() > MAX_SAMPLES {
            let Some(i) = crate::analysis::thin_index(&self.steps) else {
                break;
            };
            self.steps.remove(i);
            self.samples.remove(i);
            self.dots.remove(i);
            for r in &mut self.dots {
                r.remove(i);
            }
        }
    }

    /// The path in the plane of the top two principal components of the samples (empty
    /// with fewer than two samples). Signs are fixed so the first sample has x ≤ 0 and
    /// y ≤ 0, so the picture does not flip as samples arrive.
    pub fn project(&self) -> Path {
        let n = self.samples.len();
        if n < 2 {
            return Path {
                points: self
                    .steps
                    .iter()
                    .map(|&step| PathPoint {
                        step,
                        x: 0.0,
                        y: 0.0,
                    })
                    .collect(),
                explained: [0.0; 2],
            };
        }
        // Centred Gram matrix: G = J D J with J = I − 11ᵀ/n.
        let row_mean: Vec<f64> = self
            .dots
            .iter()
            .map(|r| r.iter().sum::<f64>() / n as f64)
            .collect();
        let all_mean = row_mean.iter().sum::<f64>() / n as f64;
        let mut g = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                g[i * n + j] = self.dots[i][j] - row_mean[i] - row_mean[j] + all_mean;
            }
        }
        let (values, vectors) = symmetric_eigen(&g, n);
        let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
        let coord = |k: usize| -> Vec<f64> {
            let scale = values[k].max(0.0).sqrt();
            let mut c: Vec<f64> = (0..n).map(|i| vectors[i][k] * scale).collect();
            if c[0] > 0.0 {
                c.iter_mut().for_each(|x| *x = -*x);
            }
            c
        };
        let (xs, ys) = (coord(0), coord(1));
        let share = |k: usize| {
            if total > 0.0 {
                values[k].max(0.0) / total
            } else {
                0.0
            }
        };
        Path {
            points: (0..n)
                .map(|i| PathPoint {
                    step: self.steps[i],
                    x: xs[i],
                    y: ys[i],
                })
                .collect(),
            explained: [share(0), share(1)],
        }
    }
}

/// Dot product accumulated in f64.
fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn jacobi_finds_known_eigenpairs() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1)/√2 and (1, −1)/√2.
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        let v0 = [vectors[0][0], vectors[1][0]];
        assert!((v0[0].abs() - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((v0[0] - v0[1]).abs() < 1e-12, "{v0:?}");
        // A random symmetric 6 × 6: A·v = λ·v for every pair.
        let n = 6;
        let mut rng = crate::rng::Rng::new(1, 1);
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let x = rng.normal();
                m[i * n + j] = x;
                m[j * n + i] = x;
            }
        }
        let (values, vectors) = symmetric_eigen(&m, n);
        for k in 0..n {
            for i in 0..n {
                let av: f64 = (0..n).map(|j| m[i * n + j] * vectors[j][k]).sum();
                assert!((av - values[k] * vectors[i][k]).abs() < 1e-9);
            }
        }
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "descending");
    }

    #[test]
    fn participation_ratio_counts_used_directions() {
        let mut m = Array2::<f32>::zeros((10, 4));
        for i in 0..10 {
            m[[i, i % 2]] = 1.0; // two orthogonal directions, equal weight
        }
        assert!((participation_ratio(m.view()) - 2.0).abs() < 1e-9);
        m.column_mut(0).fill(0.0);
        m.column_mut(1).fill(0.0);
        m[[0, 3]] = 5.0;
        assert!((participation_ratio(m.view()) - 1.0).abs() < 1e-9);
        assert_eq!(
            participation_ratio(Array2::<f32>::zeros((3, 3)).view()),
            0.0
        );
    }

    #[test]
    fn the_path_recovers_two_known_directions() {
        // A synthetic trajectory in 500 dimensions: x(t) = a(t)·u + b(t)·w + tiny noise,
        // u and w orthonormal. The projection must recover (a, b) up to sign and shift.
        let dim = 500;
        let mut u = vec![0.0f32; dim];
        let mut w = vec![0.0f32; dim];
        for i in 0..dim {
            u[i] = if i % 2 == 0 { 1.0 } else { -1.0 } / (dim as f32).sqrt();
            w[i] = if i < dim / 2 { 1.0 } else { -1.0 } / (dim as f32).sqrt();
        }
        let mut rng = crate::rng::Rng::new(3, 0);
        let mut path = WeightPath::new();
        let traj: Vec<(f64, f64)> = (0..30)
            .map(|t| {
                let t = t as f64 / 29.0;
                (10.0 * t, 3.0 * (std::f64::consts::PI * t).sin())
            })
            .collect();
        for (t, &(a, b)) in traj.iter().enumerate() {
            let x: Vec<f32> = (0..dim)
                .map(|i| (a as f32) * u[i] + (b as f32) * w[i] + 1e-4 * rng.normal() as f32 + 7.0)
                .collect();
            path.push(t as u64 * 10, &x);
        }
        let p = path.project();
        assert_eq!(p.points.len(), 30);
        assert!(
            p.explained[0] > 0.8 && p.explained[0] + p.explained[1] > 0.999,
            "{:?}",
            p.explained
        );
        // x tracks a (the larger spread), y tracks b, each up to a shift and a sign.
        let corr = |f: &dyn Fn(&PathPoint) -> f64, g: &dyn Fn(&(f64, f64)) -> f64| {
            let xs: Vec<f64> = p.points.iter().map(f).collect();
            let ys: Vec<f64> = traj.iter().map(g).collect();
            let (mx, my) = (xs.iter().sum::<f64>() / 30.0, ys.iter().sum::<f64>() / 30.0);
            let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
            let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
            let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
            cov / (vx * vy).sqrt()
        };
        assert!(corr(&|q| q.x, &|t| t.0).abs() > 0.999);
        assert!(corr(&|q| q.y, &|t| t.1).abs() > 0.999);
        assert!(p.points[0].x <= 0.0 && p.points[0].y <= 0.0, "signs fixed");
    }

    #[test]
    fn samples_are_bounded_and_keep_the_ends() {
        let mut path = WeightPath::new();
        for s in 0..500u64 {
            path.push(s * 7, &[s as f32, 1.0]);
        }
        assert_eq!(path.len(), MAX_SAMPLES);
        assert_eq!(path.steps()[0], 0);
        assert_eq!(*path.steps().last().unwrap(), 499 * 7);
        path.push(10, &[0.0, 0.0]);
        assert_eq!(path.len(), MAX_SAMPLES, "an earlier step is ignored");
        // The kept dot products are those of the kept samples.
        let p = path.project();
        assert!(p.points.windows(2).all(|w| w[0].step < w[1].step));
    }
}
