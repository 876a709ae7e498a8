//! dram's own small tensor type: what crosses the public API, so tract's types never leak
//! into apps or bindings.

use crate::{Error, Result};

/// Element storage of a [`Tensor`].
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit integers.
    I64(Vec<i64>),
}

/// A dense row-major tensor.
///
/// ```
/// use dram_core::Tensor;
/// let t = Tensor::f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// assert_eq!(t.shape(), &[2, 2]);
/// assert!(Tensor::f32(vec![3], vec![1.0]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: TensorData,
}

impl Tensor {
    /// A float tensor; fails if `data.len()` is not the product of `shape`.
    pub fn f32(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
        Tensor::new(shape, TensorData::F32(data))
    }

    /// An integer tensor; fails if `data.len()` is not the product of `shape`.
    pub fn i64(shape: Vec<usize>, data: Vec<i64>) -> Result<Tensor> {
        Tensor::new(shape, TensorData::I64(data))
    }

    /// A tensor from shape and data; fails if they disagree.
    pub fn new(shape: Vec<usize>, data: TensorData) -> Result<Tensor> {
        let expected = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::InvalidTensor { reason: format!("shape {shape:?} overflows") })?;
        let len = match &data {
            TensorData::F32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        };
        if len != expected {
            return Err(Error::InvalidTensor {
                reason: format!("shape {shape:?} needs {expected} elements, found {len}"),
            });
        }
        Ok(Tensor { shape, data })
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements.
    pub fn data(&self) -> &TensorData {
        &self.data
    }

    /// The elements, if they are floats.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            TensorData::F32(v) => Some(v),
            TensorData::I64(_) => None,
        }
    }

    /// The elements, if they are integers.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match &self.data {
            TensorData::I64(v) => Some(v),
            TensorData::F32(_) => None,
        }
    }

    /// The element type's name.
    pub fn dtype_name(&self) -> &'static str {
        match self.data {
            TensorData::F32(_) => "f32",
            TensorData::I64(_) => "i64",
        }
    }

    /// Shape and data, consumed.
    pub fn into_parts(self) -> (Vec<usize>, TensorData) {
        (self.shape, self.data)
    }
}

impl Tensor {
    /// Grows the leading dimension to `rows` by repeating the last row (padding a call up to
    /// a plan's bucket); a tensor already that long, or empty, is returned as it is.
    pub(crate) fn pad_rows(mut self, rows: usize) -> Tensor {
        let have = self.shape.first().copied().unwrap_or(0);
        if have == 0 || have >= rows {
            return self;
        }
        let width = self.shape[1..].iter().product::<usize>();
        fn repeat<T: Clone>(v: &mut Vec<T>, width: usize, times: usize) {
            let last = v.len() - width;
            for _ in 0..times {
                v.extend_from_within(last..last + width);
            }
        }
        match &mut self.data {
            TensorData::F32(v) => repeat(v, width, rows - have),
            TensorData::I64(v) => repeat(v, width, rows - have),
        }
        self.shape[0] = rows;
        self
    }

    /// Keeps the first `rows` rows (dropping a bucket's padding); shorter tensors are kept whole.
    pub(crate) fn truncate_rows(mut self, rows: usize) -> Tensor {
        let have = self.shape.first().copied().unwrap_or(0);
        if have <= rows {
            return self;
        }
        let width = self.shape[1..].iter().product::<usize>();
        match &mut self.data {
            TensorData::F32(v) => v.truncate(rows * width),
            TensorData::I64(v) => v.truncate(rows * width),
        }
        self.shape[0] = rows;
        self
    }
}

#[cfg(test)]
mod padding_tests {
    use super::*;

    #[test]
    fn padding_repeats_the_last_row_and_truncating_drops_it() {
        let t = Tensor::i64(vec![2, 2], vec![1, 2, 3, 4]).unwrap();
        let padded = t.clone().pad_rows(4);
        assert_eq!(padded, Tensor::i64(vec![4, 2], vec![1, 2, 3, 4, 3, 4, 3, 4]).unwrap());
        assert_eq!(padded.truncate_rows(2), t);
        let scalar_rows = Tensor::f32(vec![1], vec![0.5]).unwrap().pad_rows(3);
        assert_eq!(scalar_rows, Tensor::f32(vec![3], vec![0.5, 0.5, 0.5]).unwrap());
        assert_eq!(scalar_rows.clone().pad_rows(2), scalar_rows);
    }
}
