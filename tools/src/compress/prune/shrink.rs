//! Structured surgery: a network loses whole hidden units and whole embedding dimensions and
//! comes out as a smaller [`NetSpec`] with smaller matrices. Removing dimension `k` of a table
//! also removes every MLP input column that carries it (the feature's own slot and the slot of
//! each sequence pooled from that table) and row and column `k` of the sequence's attention
//! matrix. The pruned network computes exactly what the original computes with those units
//! zeroed.

use std::collections::BTreeMap;

use dram_core::manifest::FeatureKind;
use serde::Serialize;

use crate::model::arch::{NetSpec, Param, Params, Pooling};
use crate::model::config::Config;

use super::PruneError;

/// The widths of a network's prunable groups: every table's embedding width and every hidden
/// layer's width.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Widths {
    /// Embedding width of each table-backed feature.
    pub embedding_dims: BTreeMap<String, usize>,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
}

impl Widths {
    /// The widths of `spec`.
    pub fn of(spec: &NetSpec) -> Widths {
        Widths { embedding_dims: spec.embedding_dims.clone(), hidden: spec.hidden.clone() }
    }

    /// `spec` with these widths.
    pub fn apply(&self, spec: &NetSpec) -> NetSpec {
        NetSpec { embedding_dims: self.embedding_dims.clone(), hidden: self.hidden.clone(), ..spec.clone() }
    }
}

/// The widths that keep at most `keep` of `spec`'s parameters. Units go one at a time from
/// the group that has kept the largest fraction of its original width (ties: the group whose
/// unit holds the most parameters), so groups shrink in proportion and a smaller `keep`
/// always yields narrower-or-equal widths. Groups never drop below width 1, so a very small
/// `keep` may not be reachable; the report says what was.
pub fn plan(spec: &NetSpec, keep: f64) -> Widths {
    let original = Widths::of(spec);
    let budget = keep * spec.param_count() as f64;
    let mut widths = original.clone();
    let mut params = spec.param_count();
    while params as f64 > budget {
        let mut best: Option<(f64, usize, Widths)> = None;
        let candidates = original
            .embedding_dims
            .keys()
            .map(Group::Table)
            .chain((0..original.hidden.len()).map(Group::Hidden));
        for group in candidates {
            let (now, was) = group.width(&widths, &original);
            if now <= 1 {
                continue;
            }
            let mut next = widths.clone();
            group.narrow(&mut next);
            let count = next.apply(spec).param_count();
            let ratio = now as f64 / was as f64;
            let better = best.as_ref().is_none_or(|(r, c, _)| ratio > *r + 1e-12 || ((ratio - r).abs() <= 1e-12 && count < *c));
            if better {
                best = Some((ratio, count, next));
            }
        }
        let Some((_, count, next)) = best else { break };
        widths = next;
        params = count;
    }
    widths
}

/// A group of units that are pruned together.
enum Group<'a> {
    Table(&'a String),
    Hidden(usize),
}

impl Group<'_> {
    /// Current and original width.
    fn width(&self, now: &Widths, was: &Widths) -> (usize, usize) {
        match self {
            Group::Table(f) => (now.embedding_dims[*f], was.embedding_dims[*f]),
            Group::Hidden(i) => (now.hidden[*i], was.hidden[*i]),
        }
    }

    fn narrow(&self, widths: &mut Widths) {
        match self {
            Group::Table(f) => *widths.embedding_dims.get_mut(*f).expect("group exists") -= 1,
            Group::Hidden(i) => widths.hidden[*i] -= 1,
        }
    }
}

/// Which table dimension each MLP input column carries: `Some((table feature, dim))` for
/// embedding columns (a sequence's columns belong to its item feature's table), `None` for
/// numeric inputs, which are never pruned.
pub fn column_owners(spec: &NetSpec) -> Vec<Option<(String, usize)>> {
    let mut owners = Vec::with_capacity(spec.input_width());
    for feature in &spec.manifest.features {
        let owner = match &feature.kind {
            FeatureKind::Numeric { .. } => None,
            FeatureKind::Sequence { item_feature, .. } => Some(item_feature.clone()),
            _ => Some(feature.name.clone()),
        };
        for k in 0..spec.feature_width(feature) {
            owners.push(owner.clone().map(|o| (o, k)));
        }
    }
    owners
}

/// The units a pruning step keeps (ascending indices within each group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// Kept dimensions of each table, by table feature.
    pub embedding_dims: BTreeMap<String, Vec<usize>>,
    /// Kept units of each hidden layer.
    pub hidden: Vec<Vec<usize>>,
}

/// The `width` highest-scoring indices, ascending (ties keep the lower index).
pub fn top(scores: &[f64], width: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut kept: Vec<usize> = order.into_iter().take(width).collect();
    kept.sort_unstable();
    kept
}

/// The network `spec` with `params` reduced to the `kept` units: the new spec and parameters.
pub fn shrink(spec: &NetSpec, params: &Params, kept: &Kept) -> Result<(NetSpec, Params), PruneError> {
    let widths = Widths {
        embedding_dims: spec
            .embedding_dims
            .keys()
            .map(|f| (f.clone(), kept.embedding_dims.get(f).map_or(spec.embedding_dims[f], Vec::len)))
            .collect(),
        hidden: kept.hidden.iter().map(Vec::len).collect(),
    };
    if widths.hidden.len() != spec.hidden.len() {
        return Err(PruneError::Mismatch(format!(
            "expected kept units for {} hidden layers, found {}",
            spec.hidden.len(),
            widths.hidden.len()
        )));
    }
    let all = |n: usize| (0..n).collect::<Vec<_>>();
    let dims_of = |f: &str| kept.embedding_dims.get(f).cloned().unwrap_or_else(|| all(spec.embedding_dims[f]));
    let get = |name: &str| params.get(name).ok_or_else(|| PruneError::Mismatch(format!("parameter `{name}` is missing")));
    let mut out = Params::new();
    for table in spec.tables() {
        let feature = table.param.trim_start_matches("emb.");
        let p = get(&table.param)?;
        out.insert(table.param.clone(), select(p, &all(table.rows), &dims_of(feature), 1.0));
    }
    for feature in &spec.manifest.features {
        if spec.pooling_of(feature) != Pooling::Attention {
            continue;
        }
        let FeatureKind::Sequence { item_feature, .. } = &feature.kind else { continue };
        let dims = dims_of(item_feature);
        // Attention logits are divided by sqrt(width); rescaling keeps them unchanged.
        let scale = (dims.len() as f32 / spec.embedding_dims[item_feature] as f32).sqrt();
        let name = format!("att.{}", feature.name);
        out.insert(name.clone(), select(get(&name)?, &dims, &dims, scale));
    }
    let inputs: Vec<usize> = column_owners(spec)
        .iter()
        .enumerate()
        .filter(|(_, owner)| owner.as_ref().is_none_or(|(f, k)| dims_of(f).contains(k)))
        .map(|(c, _)| c)
        .collect();
    let layers = spec.layers();
    for (i, &(_, fan_out)) in layers.iter().enumerate() {
        let rows = kept.hidden.get(i).cloned().unwrap_or_else(|| all(fan_out));
        let cols = if i == 0 { inputs.clone() } else { kept.hidden[i - 1].clone() };
        let (w, b) = (format!("mlp.{i}.weight"), format!("mlp.{i}.bias"));
        out.insert(w.clone(), select(get(&w)?, &rows, &cols, 1.0));
        let bias = get(&b)?;
        out.insert(b, Param { shape: vec![rows.len()], data: rows.iter().map(|&r| bias.data[r]).collect() });
    }
    Ok((widths.apply(spec), out))
}

/// Rows `rows` and columns `cols` of a matrix, times `scale`.
fn select(p: &Param, rows: &[usize], cols: &[usize], scale: f32) -> Param {
    let width = p.shape[1];
    let data = rows.iter().flat_map(|&r| cols.iter().map(move |&c| p.data[r * width + c] * scale)).collect();
    Param { shape: vec![rows.len(), cols.len()], data }
}

/// `config` rewritten so that [`Config::net_spec`] builds `spec`'s widths (every table
/// feature's `embedding_dim` and `[model] hidden`), as a pruned checkpoint must record them.
pub fn config_for(config: &Config, spec: &NetSpec) -> Config {
    let mut config = config.clone();
    for feature in &mut config.features {
        if let Some(&dim) = spec.embedding_dims.get(&feature.name) {
            feature.embedding_dim = Some(dim);
        }
    }
    config.model.hidden = spec.hidden.clone();
    config
}
