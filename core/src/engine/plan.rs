//! How a decluttered graph becomes runnable plans, tuned for small recommendation models.
//!
//! These choices differ from tract's defaults, each measured with `dram-bench profile` (see
//! `docs/performance.md`):
//! - tract's declutter pass `ConcatThenEinsum` splits `Concat -> MatMul` into one small
//!   matrix product per concatenated piece, each packing its own operands; for a ranker whose
//!   first layer reads six or seven embeddings that costs more than the product itself. dram
//!   declutters without that pass, so the first layer stays one product over the concatenated
//!   row.
//! - after decluttering, dram's own rewrites run, in the order [`crate::engine::fuse::apply`]
//!   lists them (fused pooling, word-piece windows, int8 layers, row gathers).
//! - a graph whose inputs all lead with the symbolic candidate count `N` gets one plan per
//!   padded *bucket* of `N`, optimised with `N` fixed (tract then picks kernels and packings
//!   for the real shapes). Buckets are built on first use and cached; a call pads its rows up
//!   to the bucket by repeating its last row and drops the padding's outputs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tract_core::prelude::*;
use tract_core::optim::Optimizer;

/// Rows up to which calls run on a plan specialised for their bucket; larger calls use the
/// symbolic plan.
pub(crate) const MAX_BUCKETED_ROWS: usize = 4096;

/// Most bucket plans kept; calls in further buckets use the symbolic plan.
const MAX_BUCKETS: usize = 24;

/// The plans of one graph: a symbolic one and the specialised buckets.
#[derive(Debug)]
pub(crate) struct Plans {
    decluttered: TypedModel,
    /// The candidate-count symbol, when every input and at least one output lead with it.
    batch: Option<Symbol>,
    /// Which outputs lead with the batch symbol (their padding rows are dropped).
    batched_outputs: Vec<bool>,
    symbolic: Mutex<Option<Arc<TypedSimplePlan>>>,
    buckets: Mutex<HashMap<usize, Arc<TypedSimplePlan>>>,
}

/// A plan chosen for one call, and how many rows its inputs must be padded to.
pub(crate) struct Chosen {
    pub(crate) plan: Arc<TypedSimplePlan>,
    /// `Some(bucket)` when the inputs must be padded to `bucket` rows.
    pub(crate) pad_to: Option<usize>,
}

impl Plans {
    /// Declutters a typed model with `passes` (never the Concat/EinSum split) and prepares the
    /// plans.
    pub(crate) fn new(mut typed: TypedModel, passes: Declutter) -> TractResult<Plans> {
        declutter(&mut typed, passes)?;
        // No declutter after the fusions: codegen tidies around the fused ops and the plans
        // match tract's fixed points without it (test below), which saves a round at load.
        crate::engine::fuse::apply(&mut typed)?;
        let batch = batch_symbol(&typed)?;
        let batched_outputs = match &batch {
            Some(sym) => typed
                .output_outlets()?
                .iter()
                .map(|o| Ok(leads_with(&typed.outlet_fact(*o)?.shape, sym)))
                .collect::<TractResult<Vec<bool>>>()?,
            None => vec![false; typed.output_outlets()?.len()],
        };
        Ok(Plans {
            decluttered: typed,
            batch,
            batched_outputs,
            symbolic: Mutex::new(None),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// The decluttered (not yet optimised) graph.
    pub(crate) fn decluttered(&self) -> &TypedModel {
        &self.decluttered
    }

    /// Which outputs lead with the candidate count.
    pub(crate) fn batched_outputs(&self) -> &[bool] {
        &self.batched_outputs
    }

    /// Multiply-adds of one call on `rows` rows by tract's cost model (on the decluttered
    /// graph, where matrix products are still `EinSum`s with a declared cost).
    pub(crate) fn multiply_adds(&self, rows: usize) -> TractResult<Option<f64>> {
        let model = match &self.batch {
            Some(sym) => self.decluttered.set_symbols(&HashMap::from([(sym.clone(), TDim::Val(rows as i64))]))?,
            None => self.decluttered.clone(),
        };
        let mut total = 0.0;
        for node in &model.nodes {
            let facts = model.node_input_facts(node.id)?;
            for (cost, count) in node.op.cost(&facts)? {
                if matches!(cost, tract_core::ops::Cost::FMA(_)) {
                    match count.to_i64() {
                        Ok(v) => total += v as f64,
                        Err(_) => return Ok(None),
                    }
                }
            }
        }
        Ok(Some(total))
    }

    /// Whether plans are specialised per bucket of the candidate count.
    pub(crate) fn is_bucketed(&self) -> bool {
        self.batch.is_some()
    }

    /// The plan for a call with `rows` rows (`None` when the graph has no batch symbol).
    pub(crate) fn choose(&self, rows: Option<usize>) -> TractResult<Chosen> {
        let (Some(sym), Some(rows)) = (&self.batch, rows) else {
            return Ok(Chosen { plan: self.symbolic()?, pad_to: None });
        };
        if rows == 0 || rows > MAX_BUCKETED_ROWS {
            return Ok(Chosen { plan: self.symbolic()?, pad_to: None });
        }
        let bucket = bucket_of(rows);
        if let Some(plan) = lock(&self.buckets).get(&bucket) {
            return Ok(Chosen { plan: plan.clone(), pad_to: Some(bucket) });
        }
        if lock(&self.buckets).len() >= MAX_BUCKETS {
            return Ok(Chosen { plan: self.symbolic()?, pad_to: None });
        }
        let subs = HashMap::from([(sym.clone(), TDim::Val(bucket as i64))]);
        // Codegen alone: its passes fold what the fixed `N` makes constant and repeat tract's
        // per-op declutter, so a second declutter of the specialised graph changed nothing.
        let plan = codegen(self.decluttered.set_symbols(&subs)?)?;
        lock(&self.buckets).entry(bucket).or_insert_with(|| plan.clone());
        Ok(Chosen { plan, pad_to: Some(bucket) })
    }

    fn symbolic(&self) -> TractResult<Arc<TypedSimplePlan>> {
        if let Some(plan) = lock(&self.symbolic).as_ref() {
            return Ok(plan.clone());
        }
        let plan = codegen(self.decluttered.clone())?;
        Ok(lock(&self.symbolic).get_or_insert(plan).clone())
    }
}

/// Rows a call of `rows` rows is padded to: `rows` rounded up to a multiple of an eighth of
/// its power of two, so padding never adds more than 12.5% and there are 8 buckets per octave.
///
/// ```text
/// 1..=8 -> itself, 100 -> 104, 1000 -> 1024
/// ```
pub(crate) fn bucket_of(rows: usize) -> usize {
    if rows <= 8 {
        return rows;
    }
    let octave = usize::BITS - 1 - rows.leading_zeros();
    let step = 1usize << (octave - 3);
    rows.div_ceil(step) * step
}

/// Which of tract's declutter passes a typed graph goes through before dram's fusions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declutter {
    /// All but `ConcatThenEinsum`: graphs tract-onnx built (any ONNX file).
    Full,
    /// `ChangeAxes` alone: graphs dram's direct import built ([`crate::engine::import`]). Their
    /// constants are folded as they are wired and they hold none of the ops the propagation,
    /// slice and mask passes look for; codegen repeats the per-op declutters, so only moving
    /// axes into products is left (tests below: the same plans as [`Declutter::Full`] on the
    /// tract-onnx graph, on every dram file).
    AxesOnly,
}

/// tract's declutter passes minus `ConcatThenEinsum` (see the module doc), each run once, or
/// only `ChangeAxes` for graphs of dram's direct import.
///
/// tract repeats the whole pass list until a round changes nothing; on dram's graphs the
/// rounds after the first only re-applied per-op declutters, which codegen's own fixed point
/// repeats, so the plans come out the same and load saves two rounds (a test below checks).
fn declutter(model: &mut TypedModel, passes: Declutter) -> TractResult<()> {
    let mut optimizer = Optimizer::declutter();
    optimizer.passes.retain(|pass| match passes {
        Declutter::Full => !format!("{pass:?}").starts_with("ConcatThenEinsum"),
        Declutter::AxesOnly => format!("{pass:?}").starts_with("ChangeAxes"),
    });
    let _proofs = model.symbols.proof_cache_session();
    model.compact()?;
    optimizer.session().run_all_passes(0, model)
}

/// tract's codegen passes on an already decluttered model, then its execution plan.
fn codegen(mut model: TypedModel) -> TractResult<Arc<TypedSimplePlan>> {
    model.optimize()?;
    model.into_runnable()
}

/// The symbol every input's first dimension is, if there is one and an output leads with it.
fn batch_symbol(model: &TypedModel) -> TractResult<Option<Symbol>> {
    let mut found: Option<Symbol> = None;
    for outlet in model.input_outlets()? {
        let fact = model.outlet_fact(*outlet)?;
        let Some(TDim::Sym(sym)) = fact.shape.iter().next() else { return Ok(None) };
        let other_symbolic = fact.shape.iter().skip(1).any(|d| d.to_i64().is_err());
        if other_symbolic || found.as_ref().is_some_and(|f| f != sym) {
            return Ok(None);
        }
        found = Some(sym.clone());
    }
    let Some(sym) = found else { return Ok(None) };
    let any_output = model
        .output_outlets()?
        .iter()
        .map(|o| model.outlet_fact(*o).map(|f| leads_with(&f.shape, &sym)))
        .collect::<TractResult<Vec<bool>>>()?;
    Ok(any_output.into_iter().any(|b| b).then_some(sym))
}

fn leads_with(shape: &ShapeFact, sym: &Symbol) -> bool {
    matches!(shape.iter().next(), Some(TDim::Sym(s)) if s == sym)
}

// A panic while building a plan leaves the map as it was (insertion is one call), so a
// poisoned lock is still sound.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_up_to_eight_then_an_eighth_of_their_octave() {
        assert_eq!((1..=8).map(bucket_of).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
        assert_eq!(bucket_of(9), 9);
        assert_eq!(bucket_of(17), 18);
        assert_eq!(bucket_of(100), 104);
        assert_eq!(bucket_of(128), 128);
        assert_eq!(bucket_of(1000), 1024);
        for rows in 1..5000 {
            let b = bucket_of(rows);
            assert!(b >= rows && (b - rows) * 8 <= rows, "{rows} -> {b}");
        }
    }

    /// Node by node: the op and its output facts.
    fn layout(model: &TypedModel) -> Vec<String> {
        model.nodes.iter().map(|n| format!("{} {:?}", n.op.name(), n.outputs.iter().map(|o| &o.fact).collect::<Vec<_>>())).collect()
    }

    /// The work a plan does, node by node: the op, its output types and shapes without unit
    /// axes, leaving out the reshapes that move no data (`IntoShape`, and `AddAxis` / `RmAxis` of
    /// unit axes). Two plans with the same work may differ in where an axis of size 1 is dropped.
    fn work(model: &TypedModel) -> Vec<String> {
        let shape = |f: &TypedFact| f.shape.iter().filter(|d| !d.is_one()).map(|d| d.to_string()).collect::<Vec<_>>().join(",");
        model
            .nodes
            .iter()
            .filter(|n| !["IntoShape", "AddAxis", "RmAxis"].contains(&&*n.op.name()))
            .map(|n| format!("{} {:?}", n.op.name(), n.outputs.iter().map(|o| format!("{:?} [{}]", o.fact.datum_type, shape(&o.fact))).collect::<Vec<_>>()))
            .collect()
    }

    #[test]
    fn one_declutter_round_and_codegen_alone_plan_like_tracts_fixed_points() {
        let full = |model: &mut TypedModel| {
            let mut optimizer = Optimizer::declutter();
            optimizer.passes.retain(|pass| !format!("{pass:?}").starts_with("ConcatThenEinsum"));
            optimizer.optimize(model).unwrap();
        };
        for name in ["ranker.onnx", "ranker_din.onnx", "classifier.onnx"] {
            let path = format!("{}/../tests/vectors/models/{name}", env!("CARGO_MANIFEST_DIR"));
            let proto = crate::format::container::decode(&std::fs::read(path).unwrap()).unwrap();
            let typed = crate::format::onnx::tests::typed_by_tract_onnx(&proto);
            let plans = Plans::new(typed.clone(), Declutter::Full).unwrap();
            let ours = plans.choose(Some(100)).unwrap().plan;
            let mut reference = typed;
            full(&mut reference);
            crate::engine::fuse::apply(&mut reference).unwrap();
            full(&mut reference);
            if let Some(sym) = &plans.batch {
                reference = reference.set_symbols(&HashMap::from([(sym.clone(), TDim::Val(104))])).unwrap();
                full(&mut reference);
            }
            reference.optimize().unwrap();
            assert_eq!(layout(ours.model()), layout(&reference), "{name}");
        }
    }

    /// dram's direct import (with only `ChangeAxes` before the fusions) and tract-onnx (with
    /// the full declutter round) give plans doing the same work, node for node, and the same
    /// outputs on every dram file at hand (the fixtures, and the MovieLens, review and demo models when
    /// `out/` holds them), for a bucketed call and for the symbolic plan, and declare the same
    /// graph inputs and outputs.
    #[test]
    fn translated_graphs_plan_like_tract_onnx() {
        let io = |model: &TypedModel| {
            let (inputs, outputs) = (model.input_outlets().unwrap(), model.output_outlets().unwrap());
            let fact = |o: &OutletId| format!("{:?} {:?}", model.outlet_label(*o), model.outlet_fact(*o).unwrap());
            (inputs.iter().map(fact).collect::<Vec<_>>(), outputs.iter().map(fact).collect::<Vec<_>>())
        };
        for path in crate::format::onnx::tests::dram_files() {
            if crate::format::onnx::tests::outside_the_set(&path) {
                continue;
            }
            let proto = crate::format::container::decode(&std::fs::read(&path).unwrap()).unwrap();
            let direct = Plans::new(crate::engine::import::translate(&proto).unwrap(), Declutter::AxesOnly).unwrap();
            let onnx = crate::format::onnx::tests::typed_by_tract_onnx(&proto);
            let onnx = Plans::new(onnx, Declutter::Full).unwrap();
            assert_eq!(io(direct.decluttered()), io(onnx.decluttered()), "{}", path.display());
            for rows in [Some(100), None] {
                let (ours, theirs) = (direct.choose(rows).unwrap(), onnx.choose(rows).unwrap());
                assert_eq!(work(ours.plan.model()), work(theirs.plan.model()), "{} {rows:?}", path.display());
                let inputs = some_inputs(direct.decluttered(), ours.pad_to.unwrap_or(100));
                let (a, b) = (ours.plan.run(inputs.clone()).unwrap(), theirs.plan.run(inputs).unwrap());
                for (a, b) in a.iter().zip(b.iter()) {
                    a.close_enough(b, tract_core::internal::Approximation::Exact).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                }
            }
        }
    }

    /// Inputs for `model` with `rows` for its symbolic dimension: small floats, indices 0..3.
    fn some_inputs(model: &TypedModel, rows: usize) -> TVec<TValue> {
        let tensor = |fact: &TypedFact| {
            let shape: Vec<usize> = fact.shape.iter().map(|d| d.to_i64().map_or(rows, |v| v as usize)).collect();
            let n = shape.iter().product::<usize>();
            match fact.datum_type {
                DatumType::F32 => Tensor::from_shape(&shape, &(0..n).map(|i| (i % 7) as f32 * 0.3 - 0.9).collect::<Vec<_>>()),
                DatumType::I64 => Tensor::from_shape(&shape, &(0..n).map(|i| (i % 3) as i64).collect::<Vec<_>>()),
                other => panic!("no test inputs of {other:?}"),
            }
        };
        let outlets = model.input_outlets().unwrap();
        outlets.iter().map(|o| tensor(model.outlet_fact(*o).unwrap()).unwrap().into_tvalue()).collect()
    }
}
