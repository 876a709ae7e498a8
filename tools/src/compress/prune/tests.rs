//! Pruning against its specification on a tiny shop: structured pruning drops exactly the
//! lowest-saliency units and changes nothing else; masks hold through fine-tuning. That the
//! smaller file runs in dram-core with candle's scores is checked in `tools/tests/prune.rs`,
//! where exporting is in reach.

use std::collections::BTreeMap;

use super::*;
use crate::model::arch::Params;
use crate::model::config::Config;
use crate::data::synth;
use crate::model::net::Net;
use recovery::{Recovery, Selection};

struct Shop {
    config: Config,
    manifest: dram_core::manifest::Manifest,
    train: Dataset,
    valid: Dataset,
}

/// The demo student (categorical, hashed and numeric features, an attention-pooled history)
/// with a two-layer tower, on a few hundred rows.
fn shop() -> Shop {
    let mut config = Config::parse(crate::data::synth::STUDENT_CONFIG).unwrap();
    config.model.hidden = vec![8, 6];
    config.train.epochs = 1;
    config.train.batch_size = 128;
    let table = synth::generate(&synth::ShopConfig { users: 40, items: 50, impressions_per_user: 15, ..Default::default() }).unwrap();
    let (train, valid, _) = synth::split_by_user_time(&table, "user_id", 3, 0).unwrap();
    let manifest = config.manifest(&train).unwrap();
    let train = Dataset::encode(&config, &manifest, &train).unwrap();
    let valid = Dataset::encode(&config, &manifest, &valid).unwrap();
    Shop { config, manifest, train, valid }
}

fn net(shop: &Shop) -> Net {
    let mut net = Net::new(shop.config.net_spec(shop.manifest.clone()), 5).unwrap();
    // Non-zero biases, so zeroing a unit must zero its bias too.
    let mut params = net.params().unwrap();
    for (name, p) in params.iter_mut() {
        if name.ends_with(".bias") {
            p.data.iter_mut().enumerate().for_each(|(i, v)| *v = 0.05 * (i as f32 - 2.0));
        }
    }
    net.load_params(&params).unwrap();
    net
}

/// A stand-in for the exported file's size (exporting sits above pruning): four bytes per
/// parameter, enough to compare sizes before and after.
fn file_bytes(net: &Net) -> anyhow::Result<usize> {
    Ok(4 * net.param_count())
}

fn norm(values: impl Iterator<Item = f32>) -> f64 {
    values.map(|v| f64::from(v).powi(2)).sum::<f64>().sqrt()
}

/// Weight saliency written out from its definition, independently of `saliency::scores`.
fn hand_scores(params: &Params, hidden: usize) -> Vec<f64> {
    let w0 = &params["mlp.0.weight"];
    let b0 = &params["mlp.0.bias"];
    let w1 = &params["mlp.1.weight"];
    (0..hidden)
        .map(|j| {
            let incoming = norm(w0.data[j * w0.shape[1]..(j + 1) * w0.shape[1]].iter().copied().chain([b0.data[j]]));
            let outgoing = norm((0..w1.shape[0]).map(|r| w1.data[r * w1.shape[1] + j]));
            incoming * outgoing
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn structured_step_drops_the_lowest_saliency_units_and_nothing_else() {
    let shop = shop();
    let net = net(&shop);
    let params = net.params().unwrap();
    let keep = 0.5;
    let widths = shrink::plan(&net.spec, keep);
    assert!(widths.apply(&net.spec).param_count() as f64 <= keep * net.param_count() as f64);
    assert!(widths.hidden[0] < 8 && widths.embedding_dims["item_id"] < 4, "{widths:?}");

    let pruned = structured_step(&net, &net.spec, keep, &shop.train, Saliency::Weight, 1).unwrap();
    assert_eq!(Widths::of(&pruned.spec), widths);

    // Exactly the lowest-scoring hidden units of layer 0 are gone.
    let scores = hand_scores(&params, 8);
    let mut order: Vec<usize> = (0..8).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut kept: Vec<usize> = order[..widths.hidden[0]].to_vec();
    kept.sort_unstable();
    let library = saliency::scores(&net, &shop.train, Saliency::Weight).unwrap();
    for (a, b) in library.hidden[0].iter().zip(&scores) {
        assert!((a - b).abs() < 1e-9 * b.max(1.0), "library {a} vs hand {b}");
    }
    let pruned_b0 = &pruned.params().unwrap()["mlp.0.bias"].data;
    assert_eq!(*pruned_b0, kept.iter().map(|&j| params["mlp.0.bias"].data[j]).collect::<Vec<_>>());

    // The original with the dropped units zeroed computes what the pruned network computes.
    let kept_dims: BTreeMap<String, Vec<usize>> =
        library.embedding_dims.iter().map(|(f, s)| (f.clone(), shrink::top(s, widths.embedding_dims[f]))).collect();
    let kept_hidden: Vec<Vec<usize>> = library.hidden.iter().zip(&widths.hidden).map(|(s, &w)| shrink::top(s, w)).collect();
    assert_eq!(kept_hidden[0], kept);
    let mut zeroed = params.clone();
    for (feature, dims) in &kept_dims {
        let table = zeroed.get_mut(&format!("emb.{feature}")).unwrap();
        let width = table.shape[1];
        for (i, v) in table.data.iter_mut().enumerate() {
            if !dims.contains(&(i % width)) {
                *v = 0.0;
            }
        }
    }
    for (layer, units) in kept_hidden.iter().enumerate() {
        let w = zeroed.get_mut(&format!("mlp.{layer}.weight")).unwrap();
        let fan_in = w.shape[1];
        for (i, v) in w.data.iter_mut().enumerate() {
            if !units.contains(&(i / fan_in)) {
                *v = 0.0;
            }
        }
        let b = zeroed.get_mut(&format!("mlp.{layer}.bias")).unwrap();
        b.data.iter_mut().enumerate().filter(|(j, _)| !units.contains(j)).for_each(|(_, v)| *v = 0.0);
    }
    let mut reference = net.snapshot().unwrap();
    reference.load_params(&zeroed).unwrap();
    let expected = reference.predict(&shop.valid).unwrap();
    let got = pruned.predict(&shop.valid).unwrap();
    assert!(max_diff(&expected, &got) < 1e-5, "pruned vs zeroed: {}", max_diff(&expected, &got));
    // And pruning did change the function (the test would notice a no-op).
    assert!(max_diff(&net.predict(&shop.valid).unwrap(), &got) > 1e-3);
}

#[test]
fn masks_hold_pruned_weights_at_zero_through_fine_tuning() {
    let shop = shop();
    let net = net(&shop);
    let method = Method::Magnitude { sparsity: 0.6, scope: Scope::PerLayer, importance: Importance::Magnitude };
    let settings = PruneSettings { steps: 2, finetune_epochs: 1, ..PruneSettings::defaults(method) };
    let (pruned, report) = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &settings, &file_bytes).unwrap();
    let params = pruned.params().unwrap();
    let masks = Masks::magnitude(&params, 0.6, Scope::PerLayer);
    for (name, indices) in &masks.pruned {
        assert!(indices.iter().all(|&i| params[name].data[i] == 0.0), "{name} has pruned weights that moved");
    }
    // Per layer, each prunable parameter reaches the target (rounded to whole weights).
    for (name, p) in params.iter().filter(|(n, _)| mask::prunable(n)) {
        let zeros = p.data.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(zeros, (0.6 * p.data.len() as f64).round() as usize, "{name}");
    }
    assert!((report.sparsity - 0.6).abs() < 0.01, "{}", report.sparsity);
    assert_eq!(report.params_after, report.params_before);
    assert_eq!(report.steps.len(), 2);
    assert!((report.steps[0].target - schedule::cubic(0.6, 1, 2)).abs() < 1e-12);
    // Fine-tuning moved the surviving weights (so the zeros are the masks' doing).
    let before = net.params().unwrap();
    assert!(max_diff(&before["mlp.1.weight"].data, &params["mlp.1.weight"].data) > 0.0);
}

#[test]
fn structured_run_reaches_the_target_and_reports_each_step() {
    let shop = shop();
    let net = net(&shop);
    let mut settings = PruneSettings::structured(0.5);
    settings.steps = 2;
    settings.finetune_epochs = 1;
    let (pruned, report) = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &settings, &file_bytes).unwrap();
    assert!(report.params_after as f64 <= 0.5 * report.params_before as f64);
    assert_eq!(report.params_after, pruned.param_count());
    assert!(report.bytes_after < report.bytes_before);
    assert_eq!(report.steps.len(), 2);
    assert!(report.steps[0].params > report.steps[1].params);
    let bad = PruneSettings { method: Method::Structured { keep: 0.0, saliency: Saliency::Weight }, ..settings };
    let err = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &bad, &file_bytes).unwrap_err();
    assert!(err.to_string().contains("keep must be in (0, 1], found 0"), "{err}");
}

#[test]
fn plans_meet_the_budget_and_nest_as_the_budget_shrinks() {
    let shop = shop();
    let spec = net(&shop).spec;
    let mut last = Widths::of(&spec);
    for keep in [0.9, 0.7, 0.5, 0.3] {
        let widths = shrink::plan(&spec, keep);
        assert!(widths.apply(&spec).param_count() as f64 <= keep * spec.param_count() as f64, "keep {keep}");
        assert!(widths.hidden.iter().zip(&last.hidden).all(|(a, b)| a <= b), "{widths:?} after {last:?}");
        assert!(widths.embedding_dims.iter().all(|(f, d)| *d <= last.embedding_dims[f] && *d >= 1));
        last = widths;
    }
    assert_eq!(shrink::plan(&spec, 1.0), Widths::of(&spec));
    assert_eq!(shrink::top(&[0.3, 0.1, 0.3, 0.9], 2), vec![0, 3]);
}

#[test]
fn fisher_pruning_zeroes_rows_no_training_row_reads_first_and_reports_each_tensor() {
    let shop = shop();
    let net = net(&shop);
    let method = Method::Magnitude { sparsity: 0.3, scope: Scope::Global, importance: Importance::Fisher };
    let settings = PruneSettings { steps: 1, finetune_epochs: 0, ..PruneSettings::defaults(method) };
    let (pruned, report) = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &settings, &file_bytes).unwrap();
    let params = pruned.params().unwrap();
    // Table rows that no training row looks up (directly or in a history; unused hash
    // buckets here) carry no gradient, so they go before any row that is read, however large
    // their weights; magnitude ranking keeps some of them (initial weights are not small).
    let all: Vec<usize> = (0..shop.train.rows).collect();
    let batch = net.batch(&shop.train, &all).unwrap();
    let magnitude = Masks::magnitude(&net.params().unwrap(), 0.3, Scope::Global);
    let (mut unread_weights, mut kept_by_magnitude) = (0, 0);
    for (table, local) in pruned.spec.tables().iter().zip(&batch.locals) {
        let data = &params[&table.param].data;
        for r in (0..table.rows).filter(|r| !local.rows.contains(r)) {
            let span = r * table.dim..(r + 1) * table.dim;
            assert!(data[span.clone()].iter().all(|&v| v == 0.0), "{} row {r} is unread but kept", table.param);
            unread_weights += table.dim;
            kept_by_magnitude += span.filter(|i| !magnitude.pruned[&table.param].contains(i)).count();
        }
    }
    let (_, prunable) = mask::zeros(&params);
    assert!(unread_weights > 0 && (unread_weights as f64) < 0.3 * prunable as f64, "{unread_weights} of {prunable}");
    assert!(kept_by_magnitude > 0);
    assert_eq!(report.unread_table_weights, unread_weights);
    // The report counts zeros honestly: over all weights but biases, and per tensor.
    let (zeros, prunable) = mask::zeros(&params);
    assert_eq!(report.sparsity, zeros as f64 / prunable as f64);
    assert!((report.sparsity - 0.3).abs() < 0.005, "{}", report.sparsity);
    let weighted: f64 = report.sparsity_by_param.iter().map(|(n, s)| s * params[n].data.len() as f64).sum();
    assert!((weighted - zeros as f64).abs() < 1e-6);
    assert!(!report.sparsity_by_param.contains_key("mlp.0.bias"));
    let names: Vec<&String> = report.sensitivity.iter().map(|s| &s.param).collect();
    assert_eq!(names, report.sparsity_by_param.keys().collect::<Vec<_>>());
}

#[test]
fn final_epochs_extend_the_last_steps_fine_tuning_only() {
    let shop = shop();
    let net = net(&shop);
    let mut train_config = shop.config.train.clone();
    train_config.patience = 100;
    train_config.warmup_steps = 0;
    let mut settings = PruneSettings::magnitude(0.4);
    settings.steps = 2;
    settings.finetune_epochs = 1;
    settings.final_epochs = 2;
    let (_, report) = run(&net, &shop.train, &shop.valid, &train_config, Objective::Labels, &settings, &file_bytes).unwrap();
    assert_eq!(report.steps.iter().map(|s| s.epochs.len()).collect::<Vec<_>>(), vec![1, 3]);
    // The last step's learning rate decays over all three epochs.
    let lrs: Vec<f64> = report.steps[1].epochs.iter().map(|e| e.lr).collect();
    assert!(lrs.windows(2).all(|w| w[1] < w[0]), "{lrs:?}");
}

#[test]
fn fine_tuning_that_loses_validation_quality_is_undone() {
    let shop = shop();
    let mut net = net(&shop);
    // Trained a little, so it ranks better than chance and a wrecked network is worse.
    let mut config = shop.config.train.clone();
    config.epochs = 3;
    crate::train::fit(&mut net, &shop.train, &shop.valid, &config, Objective::Labels, "train", None).unwrap();
    let mut settings = PruneSettings::magnitude(0.2);
    settings.steps = 1;
    settings.finetune_epochs = 1;
    // A learning rate that wrecks the network: the pruned weights must be kept instead.
    settings.lr = Some(50.0);
    let (pruned, report) = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &settings, &file_bytes).unwrap();
    let step = &report.steps[0];
    assert!(step.epochs[0].valid_metric < step.valid_metric_pruned, "{step:?}");
    assert!(!step.finetuned);
    assert_eq!(step.valid_metric, step.valid_metric_pruned);
    let expected = Masks::magnitude(&net.params().unwrap(), 0.2, Scope::PerLayer);
    let mut reference = net.snapshot().unwrap();
    expected.apply(&mut reference).unwrap();
    assert_eq!(pruned.params().unwrap(), reference.params().unwrap());
    // A sane rate fine-tunes as before.
    settings.lr = None;
    let (_, report) = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &settings, &file_bytes).unwrap();
    assert!(report.steps[0].valid_metric >= report.steps[0].valid_metric_pruned, "{:?}", report.steps[0]);
}

#[test]
fn sensitivity_scope_prunes_each_tensor_to_its_allocation_and_meets_the_target() {
    let shop = shop();
    let net = net(&shop);
    let method = Method::Magnitude { sparsity: 0.5, scope: Scope::Sensitivity, importance: Importance::Magnitude };
    let settings = PruneSettings { steps: 2, finetune_epochs: 0, ..PruneSettings::defaults(method) };
    let (pruned, report) = run(&net, &shop.train, &shop.valid, &shop.config.train, Objective::Labels, &settings, &file_bytes).unwrap();
    let params = pruned.params().unwrap();
    // The allocation is the one allocate::allocate makes from the measured curves.
    let scores = importance::scores(&net, &shop.train, Objective::Labels, &shop.config.train, Importance::Magnitude).unwrap();
    let sizes: BTreeMap<String, usize> = scores.iter().filter(|(n, _)| mask::prunable(n)).map(|(n, p)| (n.clone(), p.data.len())).collect();
    let curves = allocate::curves(&net, &shop.valid, &scores, allocate::Cost::Metric).unwrap();
    assert_eq!(report.allocation, allocate::allocate(&curves, &sizes, 0.5));
    // It is not the per-layer plan: tensors get different sparsities.
    let distinct: std::collections::BTreeSet<u64> = report.allocation.values().map(|s| (s * 1e6) as u64).collect();
    assert!(distinct.len() > 1, "{:?}", report.allocation);
    // Each tensor holds exactly its share (rounded up), so the total reaches the target.
    for (name, share) in &report.allocation {
        let len = params[name].data.len();
        let zeros = params[name].data.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(zeros, (share * len as f64 - 1e-9).ceil() as usize, "{name}");
    }
    assert!(report.sparsity >= 0.5, "{}", report.sparsity);
    // The first step scales every share by the schedule.
    let first = report.steps[0].sparsity;
    assert!((first - schedule::cubic(0.5, 1, 2)).abs() < 0.01, "{first}");
}

#[test]
fn self_distillation_fine_tunes_towards_the_unpruned_networks_logits() {
    let shop = shop();
    let net = net(&shop);
    let labels_only = self_distillation_set(&net, &shop.train, Objective::Labels).unwrap_err();
    assert!(labels_only.to_string().contains("needs a distillation objective"), "{labels_only}");
    let distill = Objective::Distill(crate::train::DistillSettings { alpha: 0.0, temperature: 1.0, soft: crate::model::config::SoftLoss::Binary, mse_weight: 0.0 });
    let set = self_distillation_set(&net, &shop.train, distill).unwrap();
    assert_eq!(set.teacher.as_deref(), Some(net.predict(&shop.train).unwrap().as_slice()));
    assert_eq!(set.labels, shop.train.labels);
    // Fine-tuning with self-distillation is fine-tuning on the set with the network's own
    // logits as the teacher's (magnitude ranking reads no logits), not on the teacher's.
    let mut teacher_set = shop.train.clone();
    teacher_set.teacher = Some(shop.train.labels.iter().map(|&l| 4.0 * l - 2.0).collect());
    let mut settings = PruneSettings::magnitude(0.3);
    settings.steps = 1;
    settings.finetune_epochs = 3;
    settings.recovery = Recovery::SelfDistill;
    // Validated on the training rows at a brisk rate, so fitting the teacher's logits (built
    // from the labels) is kept rather than undone.
    settings.lr = Some(0.02);
    let mut config = shop.config.train.clone();
    config.warmup_steps = 0;
    let (selfd, _) = run(&net, &teacher_set, &shop.train, &config, distill, &settings, &file_bytes).unwrap();
    settings.recovery = Recovery::Teacher;
    let own = self_distillation_set(&net, &teacher_set, distill).unwrap();
    let (by_hand, report) = run(&net, &own, &shop.train, &config, distill, &settings, &file_bytes).unwrap();
    let (from_teacher, _) = run(&net, &teacher_set, &shop.train, &config, distill, &settings, &file_bytes).unwrap();
    assert_eq!(selfd.params().unwrap(), by_hand.params().unwrap());
    assert!(report.steps[0].finetuned, "{:?}", report.steps[0]);
    assert_ne!(selfd.params().unwrap(), from_teacher.params().unwrap());
}

#[test]
fn fidelity_selection_keeps_the_network_closest_to_the_unpruned_one() {
    let shop = shop();
    let mut net = net(&shop);
    let mut config = shop.config.train.clone();
    config.epochs = 3;
    crate::train::fit(&mut net, &shop.train, &shop.valid, &config, Objective::Labels, "train", None).unwrap();
    config.patience = 100;
    let mut settings = PruneSettings::magnitude(0.4);
    settings.steps = 1;
    settings.finetune_epochs = 4;
    settings.lr = Some(0.02);
    // The same seed gives the same pruned network and fine-tuning epochs; only the choice
    // among them (the pruned network itself included) differs.
    let run_with = |settings: &PruneSettings| run(&net, &shop.train, &shop.valid, &config, Objective::Labels, settings, &file_bytes).unwrap().1;
    let by_metric = run_with(&settings);
    settings.select = Selection::Fidelity;
    let by_fidelity = run_with(&settings);
    settings.finetune_epochs = 0;
    let unfinetuned = run_with(&settings);
    let rmse = |r: &PruneReport| r.steps[0].valid_logit_rmse;
    assert!(rmse(&by_fidelity) <= rmse(&by_metric), "{} vs {}", rmse(&by_fidelity), rmse(&by_metric));
    assert!(rmse(&by_fidelity) <= rmse(&unfinetuned), "{} vs {}", rmse(&by_fidelity), rmse(&unfinetuned));
    assert!(rmse(&unfinetuned) > 0.0);
    assert_eq!(by_fidelity.valid_logit_rmse, rmse(&by_fidelity));
    assert!(by_metric.steps[0].valid_metric >= by_fidelity.steps[0].valid_metric);
}
