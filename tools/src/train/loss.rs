//! Training and distillation losses as pure functions of candle tensors.
//!
//! Every loss here is built from primitive ops so gradients flow (candle's fused softmax,
//! layer-norm and its `binary_cross_entropy_with_logit` either block gradients or overflow).

use candle_core::{Result, Tensor, D};

/// Numerically stable mean binary cross-entropy with logits:
/// `max(x, 0) - x * y + ln(1 + exp(-|x|))`, finite for any logit.
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let positive_part = logits.relu()?;
    let cross = (logits * targets)?;
    let softplus = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    ((positive_part - cross)? + softplus)?.mean_all()
}

/// Binary distillation: `alpha * bce(s, y) + (1 - alpha) * T^2 * bce(s / T, sigmoid(t / T))`.
pub fn binary_kd(student: &Tensor, labels: &Tensor, teacher: &Tensor, alpha: f64, temperature: f64) -> Result<Tensor> {
    let hard = bce_with_logits(student, labels)?;
    if alpha >= 1.0 {
        return Ok(hard);
    }
    let soft_targets = candle_nn::ops::sigmoid(&teacher.affine(1.0 / temperature, 0.0)?)?.detach();
    let soft = bce_with_logits(&student.affine(1.0 / temperature, 0.0)?, &soft_targets)?;
    hard.affine(alpha, 0.0)? + soft.affine((1.0 - alpha) * temperature * temperature, 0.0)?
}

/// Mean KL(softmax(t / T) || softmax(s / T)) over rows of `[rows, classes]` logits, where
/// `mask` (same shape, 1 real, 0 padding) excludes padded entries of ragged lists.
pub fn softmax_kd(student: &Tensor, teacher: &Tensor, mask: Option<&Tensor>, temperature: f64) -> Result<Tensor> {
    let offset = |t: &Tensor| -> Result<Tensor> {
        match mask {
            Some(m) => t.affine(1.0 / temperature, 0.0)? + (m.affine(1.0, -1.0)? * 1e4)?,
            None => t.affine(1.0 / temperature, 0.0),
        }
    };
    let log_p_teacher = candle_nn::ops::log_softmax(&offset(teacher)?, D::Minus1)?.detach();
    let log_p_student = candle_nn::ops::log_softmax(&offset(student)?, D::Minus1)?;
    let mut terms = (log_p_teacher.exp()? * (log_p_teacher - log_p_student)?)?;
    if let Some(m) = mask {
        terms = (terms * m)?;
    }
    let rows = student.dim(0)? as f64;
    terms.sum_all()?.affine(1.0 / rows, 0.0)
}

/// Mean cross-entropy of `[rows, classes]` logits against class indices (u32).
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = log_p.gather(&labels.unsqueeze(1)?, 1)?;
    picked.neg()?.mean_all()
}

/// Cross-entropy of `[rows, classes]` logits against class indices (u32), each row weighted by
/// its label's entry of `class_weights` (one per class), averaged over the rows. With every
/// weight 1 this is [`cross_entropy`].
pub fn weighted_cross_entropy(logits: &Tensor, labels: &Tensor, class_weights: &Tensor) -> Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = log_p.gather(&labels.unsqueeze(1)?, 1)?.squeeze(1)?;
    let weights = class_weights.gather(labels, 0)?;
    (picked * weights)?.neg()?.mean_all()
}

/// Class weights `(n / (k * n_c))^power` for `k` classes with `counts[c] = n_c`, scaled so the
/// mean weight over the rows is 1 (the loss keeps its scale). `power` 0 weighs every class
/// alike, 1 gives every class the same total weight ("balanced"); a class with no rows gets 0.
pub fn balanced_class_weights(counts: &[usize], power: f64) -> Vec<f32> {
    let n: usize = counts.iter().sum();
    let k = counts.len() as f64;
    let raw: Vec<f64> = counts.iter().map(|&c| if c == 0 { 0.0 } else { (n as f64 / (k * c as f64)).powf(power) }).collect();
    let mean = counts.iter().zip(&raw).map(|(&c, w)| c as f64 * w).sum::<f64>() / n.max(1) as f64;
    raw.iter().map(|w| if mean > 0.0 { (w / mean) as f32 } else { 1.0 }).collect()
}

/// Mean squared error.
pub fn mse(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    (a - b)?.sqr()?.mean_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn t(v: &[f32]) -> Tensor {
        Tensor::new(v, &Device::Cpu).unwrap()
    }

    fn scalar(t: Tensor) -> f32 {
        t.to_scalar::<f32>().unwrap()
    }

    #[test]
    fn bce_matches_hand_computed_values_and_survives_huge_logits() {
        // x = 0, y = 1: ln 2. x = 2, y = 0: 2 + ln(1 + e^-2).
        let v = scalar(bce_with_logits(&t(&[0.0, 2.0]), &t(&[1.0, 0.0])).unwrap());
        let want = (std::f32::consts::LN_2 + 2.0 + (1.0 + (-2f32).exp()).ln()) / 2.0;
        assert!((v - want).abs() < 1e-6, "{v} vs {want}");
        // candle's own version returns inf here (issue #2561).
        let v = scalar(bce_with_logits(&t(&[45.0, -45.0]), &t(&[0.0, 1.0])).unwrap());
        assert!((v - 45.0).abs() < 1e-4, "{v}");
    }

    #[test]
    fn bce_gradient_is_sigmoid_minus_target() {
        let x = Var::new(&[0.5f32, -1.0], &Device::Cpu).unwrap();
        let loss = bce_with_logits(x.as_tensor(), &t(&[1.0, 0.0])).unwrap();
        let g = loss.backward().unwrap().get(&x).unwrap().to_vec1::<f32>().unwrap();
        let sig = |z: f32| 1.0 / (1.0 + (-z).exp());
        assert!((g[0] - (sig(0.5) - 1.0) / 2.0).abs() < 1e-6);
        assert!((g[1] - sig(-1.0) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn binary_kd_mixes_hard_and_soft_terms() {
        let s = t(&[1.0]);
        let y = t(&[0.0]);
        let teacher = t(&[3.0]);
        let v = scalar(binary_kd(&s, &y, &teacher, 0.25, 2.0).unwrap());
        let sig = |z: f32| 1.0 / (1.0 + (-z).exp());
        let bce = |x: f32, y: f32| x.max(0.0) - x * y + (1.0 + (-x.abs()).exp()).ln();
        let want = 0.25 * bce(1.0, 0.0) + 0.75 * 4.0 * bce(0.5, sig(1.5));
        assert!((v - want).abs() < 1e-5, "{v} vs {want}");
    }

    #[test]
    fn softmax_kd_is_zero_for_equal_logits_and_ignores_padding() {
        let a = Tensor::new(&[[1.0f32, 2.0, 3.0]], &Device::Cpu).unwrap();
        assert!(scalar(softmax_kd(&a, &a, None, 2.0).unwrap()).abs() < 1e-6);
        // Padding entry differs wildly but is masked out.
        let s = Tensor::new(&[[1.0f32, 2.0, 99.0]], &Device::Cpu).unwrap();
        let t2 = Tensor::new(&[[1.0f32, 2.0, -99.0]], &Device::Cpu).unwrap();
        let m = Tensor::new(&[[1.0f32, 1.0, 0.0]], &Device::Cpu).unwrap();
        assert!(scalar(softmax_kd(&s, &t2, Some(&m), 1.0).unwrap()).abs() < 1e-6);
        // Hand-computed KL for two classes at T = 1.
        let s = Tensor::new(&[[0.0f32, 0.0]], &Device::Cpu).unwrap();
        let t3 = Tensor::new(&[[0.0f32, (3f32).ln()]], &Device::Cpu).unwrap();
        let want = 0.25 * (0.25f32 / 0.5).ln() + 0.75 * (0.75f32 / 0.5).ln();
        assert!((scalar(softmax_kd(&s, &t3, None, 1.0).unwrap()) - want).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_and_mse_hand_computed() {
        let logits = Tensor::new(&[[0.0f32, 0.0], [0.0, (3f32).ln()]], &Device::Cpu).unwrap();
        let labels = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
        let want = (std::f32::consts::LN_2 - (0.75f32).ln()) / 2.0;
        assert!((scalar(cross_entropy(&logits, &labels).unwrap()) - want).abs() < 1e-6);
        assert!((scalar(mse(&t(&[1.0, 3.0]), &t(&[0.0, 1.0])).unwrap()) - 2.5).abs() < 1e-6);
    }

    #[test]
    fn weighted_cross_entropy_weighs_rows_by_their_class() {
        let logits = Tensor::new(&[[0.0f32, 0.0], [0.0, (3f32).ln()]], &Device::Cpu).unwrap();
        let labels = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
        let ones = t(&[1.0, 1.0]);
        let plain = scalar(cross_entropy(&logits, &labels).unwrap());
        assert!((scalar(weighted_cross_entropy(&logits, &labels, &ones).unwrap()) - plain).abs() < 1e-6);
        let want = (3.0 * std::f32::consts::LN_2 - 0.5 * (0.75f32).ln()) / 2.0;
        let v = scalar(weighted_cross_entropy(&logits, &labels, &t(&[3.0, 0.5])).unwrap());
        assert!((v - want).abs() < 1e-6, "{v} vs {want}");
    }

    #[test]
    fn balanced_class_weights_keep_the_mean_and_even_out_the_classes() {
        assert_eq!(balanced_class_weights(&[30, 10], 0.0), vec![1.0, 1.0]);
        let w = balanced_class_weights(&[30, 10], 1.0);
        // Each class carries the same total weight, and the mean weight per row is 1.
        assert!((30.0 * w[0] - 10.0 * w[1]).abs() < 1e-4, "{w:?}");
        assert!(((30.0 * w[0] + 10.0 * w[1]) / 40.0 - 1.0).abs() < 1e-6, "{w:?}");
        let half = balanced_class_weights(&[30, 10], 0.5);
        assert!(half[1] / half[0] > 1.0 && half[1] / half[0] < w[1] / w[0], "{half:?}");
        assert_eq!(balanced_class_weights(&[5, 0], 1.0)[1], 0.0);
    }

    #[test]
    fn softmax_kd_sends_gradients_to_the_student() {
        let s = Var::new(&[[0.3f32, -0.2, 0.1]], &Device::Cpu).unwrap();
        let teacher = Tensor::new(&[[1.0f32, 0.0, -1.0]], &Device::Cpu).unwrap();
        let loss = softmax_kd(s.as_tensor(), &teacher, None, 2.0).unwrap();
        let g = loss.backward().unwrap().get(&s).unwrap().to_vec2::<f32>().unwrap();
        assert!(g[0].iter().all(|v| v.abs() > 1e-4), "{g:?}");
    }
}
