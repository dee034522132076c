//! Parameters as one flat vector of f32, described by a [`Layout`] of named blocks.
//!
//! Why flat: everything that treats the parameters as a whole — the optimiser and its
//! moments, the Grokfast filter, the fixed-norm projection, the gradient that workers
//! exchange through shared memory, the weight-space samples — is then one loop over one
//! slice, the same for every model. Only the model's own forward and backward passes care
//! which block is which; they read the blocks as ndarray views ([`Params::matrix`],
//! [`Params::blocks_mut`]).
//!
//! The order of the blocks is the order a model declares them in, and it is part of a run's
//! arithmetic: the optimiser and the norms go through the blocks in that order.

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use std::sync::Arc;

/// One block of parameters: a matrix (`rows × cols`, row-major) or a vector (`rows == 1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSpec {
    /// The block's name (`embed`, `w1`, `b1`, …), unique within its layout.
    pub name: &'static str,
    /// Rows (1 for a vector).
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Where the block starts in the flat vector.
    pub offset: usize,
    /// Whether weight decay (and the norm levers) apply: matrices yes, biases no.
    pub decay: bool,
}

impl BlockSpec {
    /// Number of values in the block.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// True for an empty block (never in a valid model).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block's range in the flat vector.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// The blocks of a model's parameters, in order, and the total length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    blocks: Vec<BlockSpec>,
    len: usize,
}

impl Layout {
    /// A layout of the given blocks `(name, rows, cols, decay)`, placed one after another.
    pub fn new(blocks: &[(&'static str, usize, usize, bool)]) -> Arc<Layout> {
        let mut offset = 0;
        let blocks = blocks
            .iter()
            .map(|&(name, rows, cols, decay)| {
                let spec = BlockSpec {
                    name,
                    rows,
                    cols,
                    offset,
                    decay,
                };
                offset += rows * cols;
                spec
            })
            .collect();
        Arc::new(Layout {
            blocks,
            len: offset,
        })
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[BlockSpec] {
        &self.blocks
    }

    /// The block called `name`. Panics if there is none (a programming error).
    pub fn block(&self, name: &str) -> &BlockSpec {
        self.blocks
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no parameter block named {name}"))
    }

    /// Total number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a layout with no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A flat parameter vector (or a gradient, or an optimiser moment) with its layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    layout: Arc<Layout>,
    data: Vec<f32>,
}

/// One block of a [`Params`], mutable, as the optimiser sees it.
pub struct BlockMut<'a> {
    /// The block's name.
    pub name: &'static str,
    /// Its values, row-major.
    pub values: &'a mut [f32],
    /// Whether weight decay applies.
    pub decay: bool,
}

impl Params {
    /// All zeros.
    pub fn zeros(layout: &Arc<Layout>) -> Params {
        Params {
            layout: Arc::clone(layout),
            data: vec![0.0; layout.len()],
        }
    }

    /// The layout.
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// All values, blocks one after another.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The values of block `name`.
    pub fn block(&self, name: &str) -> &[f32] {
        &self.data[self.layout.block(name).range()]
    }

    /// Block `name` as a matrix view.
    pub fn matrix(&self, name: &str) -> ArrayView2<'_, f32> {
        let b = self.layout.block(name);
        ArrayView2::from_shape((b.rows, b.cols), &self.data[b.range()]).expect("block shape")
    }

    /// Block `name` as a mutable matrix view.
    pub fn matrix_mut(&mut self, name: &str) -> ArrayViewMut2<'_, f32> {
        let b = self.layout.block(name).clone();
        ArrayViewMut2::from_shape((b.rows, b.cols), &mut self.data[b.range()]).expect("block shape")
    }

    /// Block `name` as a vector view.
    pub fn vector(&self, name: &str) -> ArrayView1<'_, f32> {
        ArrayView1::from(self.block(name))
    }

    /// Block `name` as a mutable vector view.
    pub fn vector_mut(&mut self, name: &str) -> ArrayViewMut1<'_, f32> {
        let range = self.layout.block(name).range();
        ArrayViewMut1::from(&mut self.data[range])
    }

    /// Every block, mutable, in layout order (disjoint slices of the flat vector).
    pub fn blocks_mut(&mut self) -> Vec<BlockMut<'_>> {
        let mut rest: &mut [f32] = &mut self.data;
        let mut out = Vec::with_capacity(self.layout.blocks.len());
        for spec in &self.layout.blocks {
            let (values, tail) = rest.split_at_mut(spec.len());
            rest = tail;
            out.push(BlockMut {
                name: spec.name,
                values,
                decay: spec.decay,
            });
        }
        out
    }

    /// Euclidean norm of all values: each block's sum of squares in f64, then the blocks
    /// added in order.
    pub fn norm(&self) -> f64 {
        self.block_squares(|_| true).sqrt()
    }

    /// Euclidean norm of the decayed blocks (the matrices): what Omnigrok's fixed-norm
    /// projection holds constant and the initialisation scale multiplies.
    pub fn matrix_norm(&self) -> f64 {
        self.block_squares(|b| b.decay).sqrt()
    }

    fn block_squares(&self, include: impl Fn(&BlockSpec) -> bool) -> f64 {
        self.layout
            .blocks
            .iter()
            .filter(|b| include(b))
            .map(|b| {
                self.data[b.range()]
                    .iter()
                    .map(|&x| (x as f64) * (x as f64))
                    .sum::<f64>()
            })
            .sum()
    }

    /// Multiplies the decayed blocks (the matrices) by `factor`.
    pub fn scale_matrices(&mut self, factor: f32) {
        for block in self.blocks_mut() {
            if block.decay {
                block.values.iter_mut().for_each(|w| *w *= factor);
            }
        }
    }

    /// Adds `other` element-wise (combining the gradients of parts of a batch).
    pub fn add_assign(&mut self, other: &Params) {
        add_into(&mut self.data, &other.data);
    }

    /// Sets every value to zero.
    pub fn fill_zero(&mut self) {
        self.data.fill(0.0);
    }
}

/// `acc[i] += x[i]`, the one element-wise sum every combination of gradients uses.
pub fn add_into(acc: &mut [f32], x: &[f32]) {
    assert_eq!(acc.len(), x.len(), "adding vectors of different lengths");
    for (a, &b) in acc.iter_mut().zip(x) {
        *a += b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_placed_in_order_and_viewed_by_name() {
        let layout = Layout::new(&[("w", 2, 3, true), ("b", 1, 3, false)]);
        assert_eq!(layout.len(), 9);
        assert_eq!(layout.block("b").offset, 6);
        let mut p = Params::zeros(&layout);
        p.matrix_mut("w")[[1, 2]] = 5.0;
        p.vector_mut("b")[0] = -1.0;
        assert_eq!(p.as_slice(), &[0., 0., 0., 0., 0., 5., -1., 0., 0.]);
        assert_eq!(p.norm(), 26f64.sqrt());
        assert_eq!(p.matrix_norm(), 5.0);
        p.scale_matrices(2.0);
        assert_eq!(p.block("w")[5], 10.0);
        assert_eq!(p.block("b")[0], -1.0, "biases are not scaled");
        let names: Vec<_> = p.blocks_mut().iter().map(|b| (b.name, b.decay)).collect();
        assert_eq!(names, vec![("w", true), ("b", false)]);
    }

    #[test]
    #[should_panic(expected = "no parameter block named nope")]
    fn unknown_block_is_a_programming_error() {
        Layout::new(&[("w", 1, 1, true)]).block("nope");
    }
}
