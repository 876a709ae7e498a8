//! Evaluation metrics, defined once: AUC, log-loss, NDCG@k per group, accuracy and macro-F1.
//! Training's early stopping, `dram eval`, the demo and the benchmarks all call these.

use std::collections::BTreeMap;

/// Area under the ROC curve of `scores` against binary `labels` (> 0.5 is positive), with
/// ties counted half. `None` when only one class is present.
///
/// ```
/// let auc = dram_tools::metrics::auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0]).unwrap();
/// assert!((auc - 0.75).abs() < 1e-12);
/// ```
pub fn auc(scores: &[f32], labels: &[f32]) -> Option<f64> {
    assert_eq!(scores.len(), labels.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let positives = labels.iter().filter(|&&l| l > 0.5).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of positive ranks with average ranks for ties (Mann-Whitney U).
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] > 0.5 {
                rank_sum += average_rank;
            }
        }
        i = j + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Mean binary cross-entropy of logits against labels in `[0, 1]`.
///
/// ```
/// let ll = dram_tools::metrics::log_loss(&[0.0], &[1.0]);
/// assert!((ll - std::f64::consts::LN_2).abs() < 1e-9);
/// ```
pub fn log_loss(logits: &[f32], labels: &[f32]) -> f64 {
    let total: f64 = logits
        .iter()
        .zip(labels)
        .map(|(&x, &y)| {
            let (x, y) = (f64::from(x), f64::from(y));
            x.max(0.0) - x * y + (-x.abs()).exp().ln_1p()
        })
        .sum();
    total / logits.len().max(1) as f64
}

/// Mean NDCG@k over groups (users), with graded relevance = label. Groups without any
/// relevant item are skipped, as is usual.
///
/// ```
/// use dram_tools::metrics::ndcg_at;
/// // One user, the relevant item ranked first: perfect.
/// assert_eq!(ndcg_at(10, &[0.9, 0.1], &[1.0, 0.0], &[7, 7]), Some(1.0));
/// ```
pub fn ndcg_at(k: usize, scores: &[f32], labels: &[f32], groups: &[u64]) -> Option<f64> {
    let mut by_group: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, &g) in groups.iter().enumerate() {
        by_group.entry(g).or_default().push(i);
    }
    let dcg = |rels: &mut dyn Iterator<Item = f64>| -> f64 {
        rels.take(k).enumerate().map(|(r, rel)| (2f64.powf(rel) - 1.0) / ((r + 2) as f64).log2()).sum()
    };
    let mut total = 0.0;
    let mut counted = 0usize;
    for rows in by_group.values() {
        let mut by_score = rows.clone();
        by_score.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let mut ideal: Vec<f64> = rows.iter().map(|&i| f64::from(labels[i])).collect();
        ideal.sort_by(|a, b| b.total_cmp(a));
        let best = dcg(&mut ideal.into_iter());
        if best <= 0.0 {
            continue;
        }
        total += dcg(&mut by_score.iter().map(|&i| f64::from(labels[i]))) / best;
        counted += 1;
    }
    (counted > 0).then(|| total / counted as f64)
}

/// Fraction of rows whose arg-max class equals the label.
pub fn accuracy(predicted: &[usize], labels: &[usize]) -> f64 {
    let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    correct as f64 / labels.len().max(1) as f64
}

/// Unweighted mean over classes of F1 (a class absent from both predictions and labels
/// counts as F1 = 0, as scikit-learn does with `zero_division=0`).
///
/// ```
/// let f1 = dram_tools::metrics::macro_f1(&[0, 1, 1], &[0, 1, 0], 2);
/// assert!((f1 - (2.0 / 3.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
/// ```
pub fn macro_f1(predicted: &[usize], labels: &[usize], classes: usize) -> f64 {
    let mut total = 0.0;
    for c in 0..classes {
        let tp = predicted.iter().zip(labels).filter(|&(&p, &l)| p == c && l == c).count() as f64;
        let fp = predicted.iter().zip(labels).filter(|&(&p, &l)| p == c && l != c).count() as f64;
        let fn_ = predicted.iter().zip(labels).filter(|&(&p, &l)| p != c && l == c).count() as f64;
        if tp > 0.0 {
            total += 2.0 * tp / (2.0 * tp + fp + fn_);
        }
    }
    total / classes.max(1) as f64
}

/// Macro one-vs-rest AUC over classes from per-class probabilities (row-major, `classes`
/// per row); classes with only one label value are skipped.
pub fn macro_auc_ovr(probabilities: &[f32], labels: &[usize], classes: usize) -> Option<f64> {
    let aucs: Vec<f64> = (0..classes)
        .filter_map(|c| {
            let scores: Vec<f32> = probabilities.chunks(classes).map(|p| p[c]).collect();
            let binary: Vec<f32> = labels.iter().map(|&l| if l == c { 1.0 } else { 0.0 }).collect();
            auc(&scores, &binary)
        })
        .collect();
    (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_handles_ties_and_degenerate_inputs() {
        assert_eq!(auc(&[0.5, 0.5], &[0.0, 1.0]), Some(0.5));
        assert_eq!(auc(&[1.0, 2.0], &[1.0, 1.0]), None);
        assert_eq!(auc(&[0.0, 1.0, 2.0], &[0.0, 1.0, 1.0]), Some(1.0));
        assert_eq!(auc(&[2.0, 1.0, 0.0], &[0.0, 1.0, 1.0]), Some(0.0));
    }

    #[test]
    fn log_loss_is_stable_for_huge_logits() {
        let ll = log_loss(&[80.0, -80.0], &[0.0, 1.0]);
        assert!((ll - 80.0).abs() < 1e-9, "{ll}");
        assert!(log_loss(&[80.0], &[1.0]) < 1e-30);
    }

    #[test]
    fn ndcg_hand_computed() {
        // Relevant item ranked second of three: DCG = 1/log2(3), ideal = 1.
        let v = ndcg_at(10, &[0.9, 0.5, 0.1], &[0.0, 1.0, 0.0], &[1, 1, 1]).unwrap();
        assert!((v - 1.0 / 3f64.log2()).abs() < 1e-12);
        // A group with no relevant items is skipped; k cuts the list.
        assert_eq!(ndcg_at(1, &[0.9, 0.5, 0.3, 0.2], &[0.0, 1.0, 0.0, 0.0], &[1, 1, 2, 2]), Some(0.0));
        assert_eq!(ndcg_at(10, &[0.1], &[0.0], &[1]), None);
    }

    #[test]
    fn classification_metrics() {
        assert_eq!(accuracy(&[0, 1, 2, 2], &[0, 1, 1, 2]), 0.75);
        // Class 2 never predicted nor present: F1 0 drags the macro mean.
        assert!((macro_f1(&[0, 1], &[0, 1], 3) - 2.0 / 3.0).abs() < 1e-12);
        let probs = [0.9, 0.1, 0.2, 0.8];
        assert_eq!(macro_auc_ovr(&probs, &[0, 1], 2), Some(1.0));
    }
}
