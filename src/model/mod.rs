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
//! - [`transformer`]: the one-layer transformer of Nanda et al. (2023), DESIGN.md's
//!   "The transformer of the papers";
//! - [`loss`]: the stable softmax cross-entropy every model ends in.

pub mod loss;
pub mod mlp;
pub mod transformer;

use crate::params::{Layout, Params};
use crate::task::Pair;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use mlp::{Mlp, Shape};
pub use transformer::{Shape as TransformerShape, Transformer};

/// Which network a run trains (the `model` field of a config, `model=` in a link).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Shared embedding, one ReLU hidden layer, linear read-out (the default).
    #[default]
    Mlp,
    /// One-layer transformer on [a, b, =] (Nanda et al. 2023): attention, then an MLP.
    Transformer,
}

impl ModelKind {
    /// Every kind, in menu order.
    pub const ALL: [ModelKind; 2] = [ModelKind::Mlp, ModelKind::Transformer];

    /// The name used in configs, links and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Transformer => "transformer",
        }
    }

    /// A short description for menus.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Mlp => "MLP (embedding, one hidden layer)",
            ModelKind::Transformer => "Transformer (1 layer, attention)",
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
    /// See [`transformer`].
    Transformer(Transformer),
}

/// Scratch buffers of one model's passes (see [`Model::workspace`]).
// A workspace lives as long as its trainer and is made a few times per run, so the
// variants' different sizes (a couple of KB of buffer headers) cost nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Workspace {
    /// See [`mlp::Workspace`].
    Mlp(mlp::Workspace),
    /// See [`transformer::Workspace`].
    Transformer(transformer::Workspace),
}

impl Model {
    /// The parameter layout.
    pub fn layout(&self) -> &Arc<Layout> {
        match self {
            Model::Mlp(m) => m.layout(),
            Model::Transformer(t) => t.layout(),
        }
    }

    /// Initial parameters for `seed`, the matrices' scale multiplied by `scale`.
    pub fn init(&self, seed: u32, scale: f64) -> Params {
        match self {
            Model::Mlp(m) => m.init(seed, scale),
            Model::Transformer(t) => t.init(seed, scale),
        }
    }

    /// Scratch buffers for batches of at most `rows` pairs.
    pub fn workspace(&self, rows: usize) -> Workspace {
        match self {
            Model::Mlp(m) => Workspace::Mlp(m.workspace(rows)),
            Model::Transformer(t) => Workspace::Transformer(t.workspace(rows)),
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
            (Model::Transformer(_), Workspace::Transformer(ws)) => {
                transformer::loss_and_grad(params, pairs, total, grads, ws)
            }
            _ => panic!("a workspace of another model"),
        }
    }

    /// Values in a partial gradient: what each part of a batch produces and the parts add
    /// up before [`Model::finish`] turns the sum into the parameters' gradient. For the
    /// MLP that is the gradient with respect to the folded first layer and the read-out
    /// (so the first layer is unfolded once per step, however many parts); for the
    /// transformer, the gradient of its per-step key/value/score tables and of the
    /// weights after the attention (the tables unfold into W_E, W_pos, W_Q, W_K, W_V
    /// once per step).
    pub fn partial_len(&self) -> usize {
        match self {
            Model::Mlp(m) => mlp::partial_len(m.shape()),
            Model::Transformer(t) => transformer::partial_len(t.shape()),
        }
    }

    /// Makes `ws` ready for [`Model::partial`] at `params` (once per step per workspace).
    pub fn prepare(&self, params: &Params, ws: &mut Workspace) {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::prepare(params, ws),
            (Model::Transformer(_), Workspace::Transformer(ws)) => transformer::prepare(params, ws),
            _ => panic!("a workspace of another model"),
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
            (Model::Transformer(_), Workspace::Transformer(ws)) => {
                transformer::partial(params, pairs, total, out, ws)
            }
            _ => panic!("a workspace of another model"),
        }
    }

    /// The parameters' gradient from the sum of a batch's partial gradients.
    pub fn finish(&self, params: &Params, partial: &[f32], grads: &mut Params, ws: &mut Workspace) {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::finish(params, partial, grads, ws),
            (Model::Transformer(_), Workspace::Transformer(ws)) => {
                transformer::finish(params, partial, grads, ws)
            }
            _ => panic!("a workspace of another model"),
        }
    }

    /// Loss and accuracy on `pairs` (any number).
    pub fn evaluate(&self, params: &Params, pairs: &[Pair], ws: &mut Workspace) -> BatchStats {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::evaluate(params, pairs, ws),
            (Model::Transformer(_), Workspace::Transformer(ws)) => {
                transformer::evaluate(params, pairs, ws)
            }
            _ => panic!("a workspace of another model"),
        }
    }

    /// The logits for `pairs`, pairs × classes.
    pub fn logits(&self, params: &Params, pairs: &[Pair], ws: &mut Workspace) -> Array2<f32> {
        match (self, ws) {
            (Model::Mlp(_), Workspace::Mlp(ws)) => mlp::logits(params, pairs, ws),
            (Model::Transformer(_), Workspace::Transformer(ws)) => {
                transformer::logits(params, pairs, ws)
            }
            _ => panic!("a workspace of another model"),
        }
    }

    /// The token embedding of the numbers 0..p (p × d): what the Fourier analysis reads.
    pub fn embedding<'a>(&self, params: &'a Params) -> ArrayView2<'a, f32> {
        match self {
            Model::Mlp(m) => m.embedding(params),
            Model::Transformer(t) => t.embedding(params),
        }
    }

    /// The gradient of logit `c` of the pair (a, b) with respect to the embedding of
    /// each operand as it enters the network — the first operand's, then the second's
    /// (d values each, f64). For the MLP these are E_a and E_b in the concatenated
    /// input; for the transformer W_E[a] at position 0 and W_E[b] at position 1. What
    /// the clock-or-pizza measures of [`crate::mechanism`] compare. Off the hot path.
    pub fn input_gradients(&self, params: &Params, a: u32, b: u32, c: u32) -> [Vec<f64>; 2] {
        match self {
            Model::Mlp(m) => m.input_gradients(params, a, b, c),
            Model::Transformer(t) => t.input_gradients(params, a, b, c),
        }
    }

    /// [`Model::input_gradients`] for many triples (the transformer converts its
    /// parameters to f64 once instead of per triple).
    pub fn input_gradient_fn<'a>(
        &'a self,
        params: &'a Params,
    ) -> Box<dyn Fn(u32, u32, u32) -> [Vec<f64>; 2] + 'a> {
        match self {
            Model::Mlp(m) => Box::new(move |a, b, c| m.input_gradients(params, a, b, c)),
            Model::Transformer(t) => Box::new(t.input_gradient_fn(params)),
        }
    }

    /// Each hidden neuron's input weights over the tokens 0..p, neurons × p, one matrix
    /// per path by which the operands reach it (the MLP: a's half and b's half of W1;
    /// the transformer: W_E W_V W_O W_in, shared by both operands). What
    /// [`crate::analysis::neuron_frequencies`] reads.
    pub fn neuron_inputs(&self, params: &Params) -> Vec<ndarray::Array2<f64>> {
        match self {
            Model::Mlp(m) => m.neuron_inputs(params),
            Model::Transformer(t) => t.neuron_inputs(params),
        }
    }

    /// The "=" query's attention to a, b and "=" per head, averaged over all p² pairs
    /// (see [`Transformer::mean_attention`]); `None` for a model without attention.
    pub fn mean_attention(&self, params: &Params) -> Option<Vec<[f64; 3]>> {
        match self {
            Model::Mlp(_) => None,
            Model::Transformer(t) => Some(t.mean_attention(params)),
        }
    }
}

impl Workspace {
    /// The largest batch these buffers hold.
    pub fn rows(&self) -> usize {
        match self {
            Workspace::Mlp(ws) => ws.rows(),
            Workspace::Transformer(ws) => ws.rows(),
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

    /// Loss and accuracy over `pairs` as every model evaluates them: in chunks of
    /// `chunk` pairs (a workspace's rows), each chunk in blocks of [`crate::kernels::KC`]
    /// (so a block's matrices stay in cache). `block(pairs, &mut loss)` runs one block's
    /// forward pass, adds its summed cross-entropy to `loss` and returns how many it got
    /// right. The loss is summed in the same order whatever the blocks.
    pub(crate) fn in_blocks(
        pairs: &[Pair],
        chunk: usize,
        mut block: impl FnMut(&[Pair], &mut f64) -> usize,
    ) -> BatchStats {
        let mut total = BatchStats::default();
        for chunk in pairs.chunks(chunk) {
            let mut loss = 0.0;
            let mut correct = 0;
            for pairs in chunk.chunks(crate::kernels::KC) {
                correct += block(pairs, &mut loss);
            }
            total.merge(BatchStats {
                loss: loss / chunk.len() as f64,
                correct,
                count: chunk.len(),
            });
        }
        total
    }
}
