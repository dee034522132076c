//! The networks: what a model must provide to be trained, analysed and drawn.
//!
//! A model is a parameter [`Layout`] plus passes over batches of pairs: the loss and its
//! gradient, the loss and accuracy alone, and the logits. Everything else — the
//! optimiser and the levers that act on the whole parameter vector, the split of a batch
//! between workers, the analysis of the token embedding — works on the flat [`Params`] and
//! does not care which model produced them. [`Model`] is the closed set of models the
//! page offers; adding one means a file here, a variant below and a [`ModelKind`] name
//! (see docs/ARCHITECTURE.md, "Adding a model").
//!
//! - [`mlp`]: the MLP of DESIGN.md (shared embedding, one ReLU layer), the default;
//! - [`loss`]: the stable softmax cross-entropy every model ends in.

pub mod loss;
pub mod mlp;

use crate::params::{Layout, Params};
use crate::task::Pair;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use mlp::{Mlp, Shape};

/// Which network a run trains (the `model` field of a config, `model=` in a link).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Shared embedding, one ReLU hidden layer, linear read-out (the default).
    #[default]
    Mlp,
}

impl ModelKind {
    /// Every kind, in menu order.
    pub const ALL: [ModelKind; 1] = [ModelKind::Mlp];

    /// The name used in configs, links and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
        }
    }

    /// A short description for menus.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Mlp => "MLP (embedding, one hidden layer)",
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = ModelKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown model '{s}' (use {})", names.join(" or "))
            })
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A network of a definite shape.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// See [`mlp`].
    Mlp(Mlp),
}

/// Scratch buffers of one model's passes (see [`Model::workspace`]).
#[derive(Clone, Debug)]
pub enum Workspace {
    /// See [`mlp::Workspace`].
    Mlp(mlp::Workspace),
}

impl Model {
    /// The parameter layout.
    pub fn layout(&self) -> &Arc<Layout> {
        match self {
            Model::Mlp(m) => m.layout(),
        }
    }

    /// Initial parameters for `seed`, the matrices' scale multiplied by `scale`.
    pub fn init(&self, seed: u32, scale: f64) -> Params {
        match self {
            Model::Mlp(m) => m.init(seed, scale),
        }
    }

    /// Scratch buffers for batches of at most `rows` pairs.
    pub fn workspace(&self, rows: usize) -> Workspace {
        match self {
            Model::Mlp(m) => Workspace::Mlp(m.workspace(rows)),
        }
    }

    /// Forward and backward pass over `pairs`, a part of a batch of `total` pairs:
    /// overwrites `grads` with the gradient of (sum of the losses over `pairs`) / `total`,
    /// so the gradients of the parts of a batch add up to that of its mean loss. Returns
    /// the loss and accuracy over `pairs`.
    pub fn loss_and_grad(
        &self,
        params: &Params,
        pairs: &[Pair],
        total: usize,
        grads: &mut Params,
        ws: &mut Workspace,
    ) -> BatchStats {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => {
                mlp::loss_and_grad(params, pairs, total, grads, ws)
            }
        }
    }

    /// Values in a partial gradient: what each part of a batch produces and the parts add
    /// up before [`Model::finish`] turns the sum into the parameters' gradient. For the
    /// MLP that is the gradient with respect to the folded first layer and the read-out
    /// (so the first layer is unfolded once per step, however many parts); a model
    /// without such a fold uses its parameters' gradient itself.
    pub fn partial_len(&self) -> usize {
        match self {
            Model::Mlp(m) => mlp::partial_len(m.shape()),
        }
    }

    /// Makes `ws` ready for [`Model::partial`] at `params` (once per step per workspace).
    pub fn prepare(&self, params: &Params, ws: &mut Workspace) {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::prepare(params, ws),
        }
    }

    /// The partial gradient of `pairs`, a part of a batch of `total` pairs, into `out`
    /// ([`Model::partial_len`] values); the part's loss and accuracy. After
    /// [`Model::prepare`].
    pub fn partial(
        &self,
        params: &Params,
        pairs: &[Pair],
        total: usize,
        out: &mut [f32],
        ws: &mut Workspace,
    ) -> BatchStats {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::partial(params, pairs, total, out, ws),
        }
    }

    /// The parameters' gradient from the sum of a batch's partial gradients.
    pub fn finish(&self, params: &Params, partial: &[f32], grads: &mut Params, ws: &mut Workspace) {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::finish(params, partial, grads, ws),
        }
    }

    /// Loss and accuracy on `pairs` (any number).
    pub fn evaluate(&self, params: &Params, pairs: &[Pair], ws: &mut Workspace) -> BatchStats {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::evaluate(params, pairs, ws),
        }
    }

    /// The logits for `pairs`, pairs × classes.
    pub fn logits(&self, params: &Params, pairs: &[Pair], ws: &mut Workspace) -> Array2<f32> {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::logits(params, pairs, ws),
        }
    }

    /// The token embedding of the numbers 0..p (p × d): what the Fourier analysis reads.
    pub fn embedding<'a>(&self, params: &'a Params) -> ArrayView2<'a, f32> {
        match self {
            Model::Mlp(m) => m.embedding(params),
        }
    }
}

impl Workspace {
    /// The largest batch these buffers hold.
    pub fn rows(&self) -> usize {
        match self {
            Workspace::Mlp(ws) => ws.rows(),
        }
    }
}

/// Loss and accuracy over a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchStats {
    /// Mean cross-entropy (natural log), accumulated in f64.
    pub loss: f64,
    /// Number of pairs whose arg-max logit is the label.
    pub correct: usize,
    /// Number of pairs.
    pub count: usize,
}

impl BatchStats {
    /// Fraction correct, 0 for an empty batch.
    pub fn accuracy(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.correct as f64 / self.count as f64
        }
    }

    /// Combines the stats of two disjoint batches (loss as the count-weighted mean).
    pub fn merge(&mut self, other: BatchStats) {
        let n = self.count + other.count;
        if n > 0 {
            self.loss =
                (self.loss * self.count as f64 + other.loss * other.count as f64) / n as f64;
        }
        self.correct += other.correct;
        self.count = n;
    }
}
