//! Embedding tables trained sparsely: a step gathers only the rows its batch touches into a
//! small candle variable, and a lazy AdamW updates just those rows. candle's own embedding
//! backward is dense (a zero table plus `index_add`) and its AdamW touches every row, so a
//! step's cost grew with the table; here it grows with the batch.

use std::collections::HashMap;

use candle_core::{Device, Result, Tensor, Var};

use crate::rng::Rng;

/// AdamW hyper-parameters shared by dense and sparse parameters.
#[derive(Debug, Clone, Copy)]
pub struct AdamW {
    /// Learning rate of the current step.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator epsilon.
    pub eps: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
}

/// One embedding table with its AdamW moments.
#[derive(Debug, Clone)]
pub struct SparseTable {
    /// Rows.
    pub rows: usize,
    /// Width.
    pub dim: usize,
    /// Values, row-major.
    pub data: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
}

/// The rows of one table a batch touches, as a trainable variable, and the mapping from
/// table rows to its local rows.
#[derive(Debug)]
pub struct LocalRows {
    /// Table row of each local row.
    pub rows: Vec<usize>,
    /// Local row of each table row seen.
    pub index: HashMap<i64, u32>,
    /// The gathered rows, `[rows.len(), dim]`.
    pub var: Var,
}

impl SparseTable {
    /// A table initialised from N(0, std^2).
    pub fn new(rows: usize, dim: usize, std: f64, rng: &mut Rng) -> SparseTable {
        SparseTable { rows, dim, data: rng.normals(rows * dim, std), m: vec![0.0; rows * dim], v: vec![0.0; rows * dim] }
    }

    /// Local rows for the ids of a batch (every id must be `< rows`).
    pub fn gather<'a>(&self, ids: impl IntoIterator<Item = &'a i64>, device: &Device) -> Result<LocalRows> {
        let mut index = HashMap::new();
        let mut rows = Vec::new();
        for &id in ids {
            index.entry(id).or_insert_with(|| {
                rows.push(id as usize);
                (rows.len() - 1) as u32
            });
        }
        let mut values = Vec::with_capacity(rows.len() * self.dim);
        for &r in &rows {
            values.extend_from_slice(&self.data[r * self.dim..(r + 1) * self.dim]);
        }
        let var = Var::from_tensor(&Tensor::from_vec(values, (rows.len(), self.dim), device)?)?;
        Ok(LocalRows { rows, index, var })
    }

    /// Applies AdamW at `step` (1-based) to the rows `local` covers, with their gradient.
    pub fn update(&mut self, local: &LocalRows, grad: &Tensor, opt: &AdamW, step: usize) -> Result<()> {
        let grad = grad.flatten_all()?.to_vec1::<f32>()?;
        let (b1, b2) = (opt.beta1 as f32, opt.beta2 as f32);
        let correction1 = 1.0 - opt.beta1.powi(step as i32);
        let correction2 = 1.0 - opt.beta2.powi(step as i32);
        let step_size = (opt.lr / correction1) as f32;
        let decay = (1.0 - opt.lr * opt.weight_decay) as f32;
        let sqrt_c2 = correction2.sqrt() as f32;
        for (local_row, &row) in local.rows.iter().enumerate() {
            let g = &grad[local_row * self.dim..(local_row + 1) * self.dim];
            let at = row * self.dim;
            for (k, &gk) in g.iter().enumerate() {
                let i = at + k;
                self.m[i] = b1 * self.m[i] + (1.0 - b1) * gk;
                self.v[i] = b2 * self.v[i] + (1.0 - b2) * gk * gk;
                let denom = self.v[i].sqrt() / sqrt_c2 + opt.eps as f32;
                self.data[i] = self.data[i] * decay - step_size * self.m[i] / denom;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_touched_rows_change_and_the_first_step_is_lr_sized() {
        let mut rng = Rng::new(1);
        let mut table = SparseTable::new(10, 2, 0.1, &mut rng);
        let before = table.data.clone();
        let local = table.gather(&[3, 7, 3], &Device::Cpu).unwrap();
        assert_eq!(local.rows, vec![3, 7]);
        assert_eq!(local.index[&7], 1);
        let grad = Tensor::new(&[[1.0f32, -2.0], [0.5, 0.0]], &Device::Cpu).unwrap();
        let opt = AdamW { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 };
        table.update(&local, &grad, &opt, 1).unwrap();
        for row in 0..10 {
            let changed = (0..2).any(|k| table.data[row * 2 + k] != before[row * 2 + k]);
            assert_eq!(changed, row == 3 || row == 7, "row {row}");
        }
        // Adam's first step moves each coordinate by lr * sign(g) (zero gradient: no move).
        assert!((before[6] - table.data[6] - 0.01).abs() < 1e-6);
        assert!((table.data[7] - before[7] - 0.01).abs() < 1e-6);
        assert_eq!(table.data[15], before[15]);
    }
}
