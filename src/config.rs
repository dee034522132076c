//! A run's settings: the task, the model, the optimiser and the levers, with the defaults
//! of the reference experiment and the checks that reject a bad setting before any work.
//!
//! [`Config`] is plain data (serde, every field defaulted when missing), shared by the CLI,
//! the page's links and workers and the tests; [`Config::validate`] returns a typed
//! [`ConfigError`] whose `Display` is the sentence the CLI prints and the page shows. The
//! limits live here once, as constants, so the page reads them rather than copying them
//! (see [`Limits`]).

use crate::model::{Mlp, Model, ModelKind, Shape};
use crate::optim::Decay;
use crate::task::{is_prime, Dataset, Op};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Grokfast's two settings (see [`crate::optim::Grokfast`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrokfastConfig {
    /// Momentum α of the gradient average, strictly between 0 and 1 (the paper: 0.98).
    pub alpha: f64,
    /// Amplification λ of the average, 0 to 100 (the paper: 2).
    pub lambda: f64,
}

/// Every setting of a run. Missing fields take their defaults when deserialised, so old
/// links and JSON files keep working as fields are added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Modulus p (default 97): tokens and classes are 0..p. Range 3..=257.
    pub p: u32,
    /// Operation (default `add`).
    pub op: Op,
    /// Fraction of all pairs used for training (default 0.3), strictly between 0 and 1.
    pub frac: f64,
    /// Weight decay (default 1.0), 0..=100: decoupled (AdamW) or coupled (Adam + L2), as
    /// [`Config::optimizer`] says.
    pub wd: f64,
    /// Learning rate (default 0.01), in (0, 10].
    pub lr: f64,
    /// Embedding width d (default 32), 1..=512; the transformer's residual width.
    pub d: u32,
    /// Hidden width (default 128), 1..=2048: the MLP's H, or the transformer's MLP width.
    pub hidden: u32,
    /// Seed of the data split, the initialisation and the minibatches (default 0).
    pub seed: u32,
    /// The network (default `mlp`).
    pub model: ModelKind,
    /// Attention heads of the transformer (default 4); must divide `d`. Unused by the MLP.
    pub heads: u32,
    /// How weight decay enters the update (default `adamw`, decoupled).
    pub optimizer: Decay,
    /// Pairs per step drawn with replacement from the training set, by the run's seed;
    /// 0 (the default) is the full batch.
    pub batch: u32,
    /// Initialisation scale α (default 1): every matrix starts α times its default size.
    /// Range (0, 100].
    pub init_scale: f64,
    /// Omnigrok's fixed norm: after every update the matrices are rescaled together to this
    /// Euclidean norm (default none). Range (0, 10⁴].
    pub fix_norm: Option<f64>,
    /// Grokfast's EMA filter on the gradient (default none).
    pub grokfast: Option<GrokfastConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            p: 97,
            op: Op::Add,
            frac: 0.3,
            wd: 1.0,
            lr: 0.01,
            d: 32,
            hidden: 128,
            seed: 0,
            model: ModelKind::Mlp,
            heads: 4,
            optimizer: Decay::Decoupled,
            batch: 0,
            init_scale: 1.0,
            fix_norm: None,
            grokfast: None,
        }
    }
}

/// Why a [`Config`] was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// p outside 3..=257.
    ModulusOutOfRange { p: u32 },
    /// The operation needs a prime modulus.
    CompositeModulus { p: u32, op: Op },
    /// A numeric setting is NaN or infinite.
    NotFinite { field: &'static str },
    /// The training fraction is not strictly between 0 and 1.
    FracOutOfRange { frac: f64 },
    /// The fraction leaves no training pair.
    EmptyTrainSet { frac: f64, pairs: usize },
    /// The fraction leaves no test pair.
    EmptyTestSet { frac: f64, pairs: usize },
    /// The learning rate is not in (0, 10].
    LearningRate { lr: f64 },
    /// The weight decay is not in [0, 100].
    WeightDecay { wd: f64 },
    /// A width is zero or too large.
    Width {
        field: &'static str,
        value: u32,
        max: u32,
    },
    /// The heads do not divide the width (or are zero).
    Heads { heads: u32, d: u32 },
    /// The initialisation scale is not in (0, 100].
    InitScale { scale: f64 },
    /// The fixed norm is not in (0, 10⁴].
    FixNorm { norm: f64 },
    /// Grokfast's α is not strictly between 0 and 1, or λ not in [0, 100].
    Grokfast { alpha: f64, lambda: f64 },
    /// The minibatch is larger than the training set.
    BatchTooLarge { batch: u32, train: usize },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ModulusOutOfRange { p } => {
                write!(f, "modulus p = {p} is out of range: use 3 to 257")
            }
            ConfigError::CompositeModulus { p, op } => write!(
                f,
                "{} needs a prime modulus, and p = {p} is not prime ({p} = {})",
                op.formula(),
                factor(*p)
            ),
            ConfigError::NotFinite { field } => write!(f, "{field} must be a finite number"),
            ConfigError::FracOutOfRange { frac } => write!(
                f,
                "training fraction {frac} is out of range: use a value between 0 and 1"
            ),
            ConfigError::EmptyTrainSet { frac, pairs } => write!(
                f,
                "training fraction {frac} of {pairs} pairs leaves the training set empty"
            ),
            ConfigError::EmptyTestSet { frac, pairs } => write!(
                f,
                "training fraction {frac} of {pairs} pairs leaves the test set empty"
            ),
            ConfigError::LearningRate { lr } => write!(
                f,
                "learning rate {lr} is out of range: use a value in (0, 10]"
            ),
            ConfigError::WeightDecay { wd } => {
                write!(f, "weight decay {wd} is out of range: use 0 to 100")
            }
            ConfigError::Width { field, value, max } => {
                write!(f, "{field} = {value} is out of range: use 1 to {max}")
            }
            ConfigError::Heads { heads, d } => write!(
                f,
                "{heads} attention heads do not divide the width d = {d}: each head needs d / heads whole dimensions"
            ),
            ConfigError::InitScale { scale } => write!(
                f,
                "initialisation scale {scale} is out of range: use a value in (0, 100]"
            ),
            ConfigError::FixNorm { norm } => write!(
                f,
                "fixed weight norm {norm} is out of range: use a radius in (0, 10000]"
            ),
            ConfigError::Grokfast { alpha, lambda } => write!(
                f,
                "Grokfast needs 0 < alpha < 1 and 0 <= lambda <= 100, got alpha {alpha}, lambda {lambda}"
            ),
            ConfigError::BatchTooLarge { batch, train } => write!(
                f,
                "a minibatch of {batch} pairs is larger than the training set ({train} pairs): use at most {train}, or 0 for the full batch"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// "91 = 7 × 13"-style factorisation for error messages.
fn factor(mut n: u32) -> String {
    let mut parts = Vec::new();
    let mut q = 2;
    while q * q <= n {
        while n.is_multiple_of(q) {
            parts.push(q.to_string());
            n /= q;
        }
        q += 1;
    }
    if n > 1 {
        parts.push(n.to_string());
    }
    parts.join(" × ")
}

/// The ranges [`Config::validate`] accepts, as one value the page can read (so its
/// sliders and notices never copy a number from here).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Limits {
    /// Smallest and largest modulus.
    pub p: (u32, u32),
    /// Largest learning rate (the smallest is any positive number).
    pub lr_max: f64,
    /// Largest weight decay.
    pub wd_max: f64,
    /// Largest embedding width.
    pub d_max: u32,
    /// Largest hidden width.
    pub hidden_max: u32,
    /// Largest initialisation scale.
    pub init_scale_max: f64,
    /// Largest fixed norm.
    pub fix_norm_max: f64,
    /// Largest Grokfast λ.
    pub grokfast_lambda_max: f64,
}

impl Config {
    /// Smallest modulus accepted.
    pub const MIN_P: u32 = 3;
    /// Largest modulus accepted.
    pub const MAX_P: u32 = 257;
    /// Largest learning rate accepted.
    pub const MAX_LR: f64 = 10.0;
    /// Largest weight decay accepted.
    pub const MAX_WD: f64 = 100.0;
    /// Largest embedding width accepted.
    pub const MAX_D: u32 = 512;
    /// Largest hidden width accepted.
    pub const MAX_HIDDEN: u32 = 2048;
    /// Largest initialisation scale accepted.
    pub const MAX_INIT_SCALE: f64 = 100.0;
    /// Largest fixed norm accepted.
    pub const MAX_FIX_NORM: f64 = 10_000.0;
    /// Largest Grokfast λ accepted.
    pub const MAX_GROKFAST_LAMBDA: f64 = 100.0;

    /// The accepted ranges.
    pub fn limits() -> Limits {
        Limits {
            p: (Self::MIN_P, Self::MAX_P),
            lr_max: Self::MAX_LR,
            wd_max: Self::MAX_WD,
            d_max: Self::MAX_D,
            hidden_max: Self::MAX_HIDDEN,
            init_scale_max: Self::MAX_INIT_SCALE,
            fix_norm_max: Self::MAX_FIX_NORM,
            grokfast_lambda_max: Self::MAX_GROKFAST_LAMBDA,
        }
    }

    /// Checks every setting; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("frac", self.frac),
            ("wd", self.wd),
            ("lr", self.lr),
            ("init_scale", self.init_scale),
        ] {
            if !value.is_finite() {
                return Err(ConfigError::NotFinite { field });
            }
        }
        if !(Self::MIN_P..=Self::MAX_P).contains(&self.p) {
            return Err(ConfigError::ModulusOutOfRange { p: self.p });
        }
        if self.op.needs_prime() && !is_prime(self.p) {
            return Err(ConfigError::CompositeModulus {
                p: self.p,
                op: self.op,
            });
        }
        if !(self.frac > 0.0 && self.frac < 1.0) {
            return Err(ConfigError::FracOutOfRange { frac: self.frac });
        }
        let pairs = Dataset::all_pairs(self.p, self.op).len();
        let n_train = Dataset::train_size(pairs, self.frac);
        if n_train == 0 {
            return Err(ConfigError::EmptyTrainSet {
                frac: self.frac,
                pairs,
            });
        }
        if n_train == pairs {
            return Err(ConfigError::EmptyTestSet {
                frac: self.frac,
                pairs,
            });
        }
        validate_hyper(self.lr, self.wd)?;
        for (field, value, max) in [
            ("d", self.d, Self::MAX_D),
            ("hidden", self.hidden, Self::MAX_HIDDEN),
        ] {
            if value == 0 || value > max {
                return Err(ConfigError::Width { field, value, max });
            }
        }
        if !(self.init_scale > 0.0 && self.init_scale <= Self::MAX_INIT_SCALE) {
            return Err(ConfigError::InitScale {
                scale: self.init_scale,
            });
        }
        if let Some(norm) = self.fix_norm {
            if !(norm.is_finite() && norm > 0.0 && norm <= Self::MAX_FIX_NORM) {
                return Err(ConfigError::FixNorm { norm });
            }
        }
        if let Some(GrokfastConfig { alpha, lambda }) = self.grokfast {
            let alpha_ok = alpha.is_finite() && alpha > 0.0 && alpha < 1.0;
            let lambda_ok =
                lambda.is_finite() && (0.0..=Self::MAX_GROKFAST_LAMBDA).contains(&lambda);
            if !(alpha_ok && lambda_ok) {
                return Err(ConfigError::Grokfast { alpha, lambda });
            }
        }
        if self.batch as usize > n_train {
            return Err(ConfigError::BatchTooLarge {
                batch: self.batch,
                train: n_train,
            });
        }
        Ok(())
    }

    /// The network this config trains.
    pub fn model(&self) -> Model {
        match self.model {
            ModelKind::Mlp => Model::Mlp(Mlp::new(Shape {
                p: self.p as usize,
                d: self.d as usize,
                hidden: self.hidden as usize,
            })),
        }
    }

    /// Number of training pairs at the start of the run.
    pub fn train_pairs(&self) -> usize {
        Dataset::train_size(Dataset::all_pairs(self.p, self.op).len(), self.frac)
    }
}

/// The checks on the two settings that may change during a run.
pub fn validate_hyper(lr: f64, wd: f64) -> Result<(), ConfigError> {
    if !lr.is_finite() {
        return Err(ConfigError::NotFinite { field: "lr" });
    }
    if !wd.is_finite() {
        return Err(ConfigError::NotFinite { field: "wd" });
    }
    if !(lr > 0.0 && lr <= Config::MAX_LR) {
        return Err(ConfigError::LearningRate { lr });
    }
    if !(0.0..=Config::MAX_WD).contains(&wd) {
        return Err(ConfigError::WeightDecay { wd });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_names_the_factors() {
        assert_eq!(factor(91), "7 × 13");
        assert_eq!(factor(96), "2 × 2 × 2 × 2 × 2 × 3");
    }

    #[test]
    fn levers_are_validated_with_readable_messages() {
        let bad = |c: Config| c.validate().unwrap_err().to_string();
        let base = Config::default();
        assert!(bad(Config {
            init_scale: 0.0,
            ..base.clone()
        })
        .contains("initialisation scale 0"));
        assert!(bad(Config {
            fix_norm: Some(-1.0),
            ..base.clone()
        })
        .contains("radius"));
        assert!(bad(Config {
            grokfast: Some(GrokfastConfig {
                alpha: 1.0,
                lambda: 2.0
            }),
            ..base.clone()
        })
        .contains("0 < alpha < 1"));
        let msg = bad(Config {
            batch: 5000,
            ..base.clone()
        });
        assert!(
            msg.contains("larger than the training set (2823 pairs)"),
            "{msg}"
        );
        assert!(Config {
            batch: 512,
            fix_norm: Some(40.0),
            grokfast: Some(GrokfastConfig {
                alpha: 0.98,
                lambda: 2.0
            }),
            optimizer: Decay::Coupled,
            init_scale: 3.0,
            ..base
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn missing_fields_take_their_defaults() {
        let c: Config = serde_json::from_str(r#"{"p": 31, "wd": 0.5}"#).unwrap();
        assert_eq!(
            c,
            Config {
                p: 31,
                wd: 0.5,
                ..Config::default()
            }
        );
    }
}
