//! The arithmetic of dram's int8 scheme: symmetric quantization with ONNX `QuantizeLinear`
//! rounding (half to even, saturating), per-row and per-column scales, dequantization. Every
//! exported int8 graph and the fake-quant simulation use these functions.

/// The largest magnitude of a symmetric int8 value.
pub const I8_MAX: f32 = 127.0;
/// The largest value of a post-ReLU activation: int8 in `[0, 127]` (not uint8: tract shifts a
/// uint8 operand to int8 with an extra correction product per call).
pub const RELU_MAX: f32 = 127.0;

/// Rounds half to even, as ONNX `QuantizeLinear` does.
///
/// ```
/// use dram_tools::compress::quantize::scheme::round_half_even;
/// assert_eq!(round_half_even(2.5), 2.0);
/// assert_eq!(round_half_even(3.5), 4.0);
/// assert_eq!(round_half_even(-2.5), -2.0);
/// assert_eq!(round_half_even(2.6), 3.0);
/// ```
pub fn round_half_even(x: f32) -> f32 {
    x.round_ties_even()
}

/// The scale mapping `max_abs` to 127; 1 for an all-zero tensor (any scale represents it).
pub fn symmetric_scale(max_abs: f32) -> f32 {
    if max_abs > 0.0 && max_abs.is_finite() {
        max_abs / I8_MAX
    } else {
        1.0
    }
}

/// `x` as a signed 8-bit value at `scale`: `clamp(round_half_even(x * (1 / scale)), -128, 127)`,
/// ONNX's saturation. Symmetric weights never reach -128 (their scale maps the largest
/// magnitude to 127); clipped activations do.
///
/// Multiplying by the reciprocal (as tract's `QuantizeLinear` does) rather than dividing (as
/// the ONNX text says) only differs within an ulp of a rounding tie; matching the runtime
/// keeps the simulation bit-exact with `dram-core`.
pub fn quantize_i8(x: f32, scale: f32) -> i8 {
    round_half_even(x * scale.recip()).clamp(-I8_MAX - 1.0, I8_MAX) as i8
}

/// ReLU of `x` as an int8 value in `[0, 127]` at `scale`.
pub fn quantize_relu(x: f32, scale: f32) -> i8 {
    round_half_even(x.max(0.0) * scale.recip()).clamp(0.0, RELU_MAX) as i8
}

/// Quantize-then-dequantize with a signed range (what the int8 graph computes in effect).
pub fn fake_i8(x: f32, scale: f32) -> f32 {
    f32::from(quantize_i8(x, scale)) * scale
}

/// Quantize-then-dequantize of ReLU(x).
pub fn fake_relu(x: f32, scale: f32) -> f32 {
    f32::from(quantize_relu(x, scale)) * scale
}

/// Which axis of a 2-D tensor shares one scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleAxis {
    /// One scale per row (weights: per output channel; tables: per embedding row).
    Row,
    /// One scale per column (tables: per embedding dimension).
    Column,
}

/// A row-major 2-D int8 tensor with symmetric scales along one axis.
#[derive(Debug, Clone, PartialEq)]
pub struct QMatrix {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The values, row-major.
    pub values: Vec<i8>,
    /// One scale per row or per column.
    pub scales: Vec<f32>,
    /// The axis the scales follow.
    pub axis: ScaleAxis,
}

impl QMatrix {
    /// Quantizes `data` (`rows x cols`, row-major) with each row's or column's max-abs scale.
    ///
    /// ```
    /// use dram_tools::compress::quantize::scheme::{QMatrix, ScaleAxis};
    /// let q = QMatrix::quantize(&[1.0, -0.5, 0.25, 0.1], 2, 2, ScaleAxis::Row);
    /// assert_eq!(q.scales, vec![1.0 / 127.0, 0.25 / 127.0]);
    /// assert_eq!(q.values, vec![127, -64, 127, 51]);
    /// ```
    pub fn quantize(data: &[f32], rows: usize, cols: usize, axis: ScaleAxis) -> QMatrix {
        assert_eq!(data.len(), rows * cols, "data is rows x cols");
        let scales: Vec<f32> = match axis {
            ScaleAxis::Row => (0..rows)
                .map(|r| symmetric_scale(data[r * cols..(r + 1) * cols].iter().fold(0.0f32, |m, v| m.max(v.abs()))))
                .collect(),
            ScaleAxis::Column => (0..cols)
                .map(|c| symmetric_scale((0..rows).fold(0.0f32, |m, r| m.max(data[r * cols + c].abs()))))
                .collect(),
        };
        let mut q = QMatrix { rows, cols, values: Vec::with_capacity(data.len()), scales, axis };
        for r in 0..rows {
            for c in 0..cols {
                let v = quantize_i8(data[r * cols + c], q.scale(r, c));
                q.values.push(v);
            }
        }
        q
    }

    /// The scale of element `(r, c)`.
    pub fn scale(&self, r: usize, c: usize) -> f32 {
        match self.axis {
            ScaleAxis::Row => self.scales[r],
            ScaleAxis::Column => self.scales[c],
        }
    }

    /// The float values the int8 values stand for.
    pub fn dequantize(&self) -> Vec<f32> {
        (0..self.rows)
            .flat_map(|r| (0..self.cols).map(move |c| (r, c)))
            .map(|(r, c)| f32::from(self.values[r * self.cols + c]) * self.scale(r, c))
            .collect()
    }

    /// The values as floats without their scales ("units"), for graphs that fold the scales
    /// into the next layer.
    pub fn units(&self) -> Vec<f32> {
        self.values.iter().map(|&v| f32::from(v)).collect()
    }

    /// The transpose's values, row-major (`cols x rows`), e.g. `MatMulInteger`'s `B` from a
    /// `(out, in)` weight.
    pub fn transposed_values(&self) -> Vec<i8> {
        let mut out = vec![0; self.values.len()];
        for r in 0..self.rows {
            for c in 0..self.cols {
                out[c * self.rows + r] = self.values[r * self.cols + c];
            }
        }
        out
    }
}

/// `||a - b|| / ||a||` (0 when `a` is all zeros and `b` equals it).
pub fn relative_error(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    let den: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum();
    if den == 0.0 {
        if num == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        (num / den).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_matches_hand_computed_values() {
        let s = 0.5;
        assert_eq!(quantize_i8(1.25, s), 2); // 2.5 rounds to even
        assert_eq!(quantize_i8(1.75, s), 4); // 3.5 rounds to even
        assert_eq!(quantize_i8(-1.25, s), -2);
        assert_eq!(quantize_i8(1000.0, s), 127);
        assert_eq!(quantize_i8(-1000.0, s), -128);
        assert_eq!(quantize_relu(-3.0, s), 0);
        assert_eq!(quantize_relu(200.0, s), 127);
        assert_eq!(fake_relu(0.3, 0.25), 0.25);
        assert_eq!(symmetric_scale(0.0), 1.0);
        assert_eq!(symmetric_scale(12.7), 0.1);
    }

    #[test]
    fn per_row_and_per_column_scales_follow_their_axis() {
        // Row 0 spans [-2, 1], row 1 spans [0.5, 0.25]; column 0 spans [-2, 0.5], column 1 [1, 0.25].
        let data = [-2.0, 1.0, 0.5, 0.25];
        let rows = QMatrix::quantize(&data, 2, 2, ScaleAxis::Row);
        assert_eq!(rows.scales, vec![2.0 / 127.0, 0.5 / 127.0]);
        assert_eq!(rows.values, vec![-127, 64, 127, 64]);
        let cols = QMatrix::quantize(&data, 2, 2, ScaleAxis::Column);
        assert_eq!(cols.scales, vec![2.0 / 127.0, 1.0 / 127.0]);
        assert_eq!(cols.values, vec![-127, 127, 32, 32]);
        assert_eq!(cols.transposed_values(), vec![-127, 32, 127, 32]);
        for q in [rows, cols] {
            let back = q.dequantize();
            for (a, b) in data.iter().zip(&back) {
                // Round trip error is at most half a step of the element's scale.
                assert!((a - b).abs() <= 0.5 * 2.0 / 127.0 + 1e-7, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn per_row_scales_keep_small_rows_precise() {
        // A table whose second row is 100x smaller: per-row scales keep it, per-column lose it.
        let data = [1.0, -1.0, 0.01, 0.003];
        let row = QMatrix::quantize(&data, 2, 2, ScaleAxis::Row).dequantize();
        let col = QMatrix::quantize(&data, 2, 2, ScaleAxis::Column).dequantize();
        assert!(relative_error(&data[2..], &row[2..]) < 0.01);
        assert!(relative_error(&data[2..], &col[2..]) > 0.2);
    }

    #[test]
    fn relative_error_is_zero_only_for_equal_tensors() {
        assert_eq!(relative_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!((relative_error(&[3.0, 4.0], &[3.0, 3.0]) - 0.2).abs() < 1e-12);
        assert_eq!(relative_error(&[0.0], &[1.0]), f64::INFINITY);
    }
}
