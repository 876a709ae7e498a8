//! Per-node timing of one graph on given inputs: where a call's time goes inside tract, so
//! latency work starts from measurements (`dram-bench profile` prints it).

use std::time::{Duration, Instant};

use tract_core::plan::{eval, SimpleState};

use crate::engine::session::{guard, Session};
use crate::tensor::Tensor as DramTensor;
use crate::{Error, Result};

/// Time spent in one node of the optimised plan, averaged over the profiled calls.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTime {
    /// Node name in the optimised graph (tract derives it from the ONNX node's).
    pub name: String,
    /// tract's operator name (`OptMatMul`, `Gather`, ...).
    pub op: String,
    /// Mean microseconds per call.
    pub micros: f64,
}

/// Per-node times of one input set, slowest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Rows the plan ran on (the padded bucket, or the real count for unbucketed graphs).
    pub plan_rows: Option<usize>,
    /// Nodes, slowest first.
    pub nodes: Vec<NodeTime>,
    /// Mean microseconds of a whole call inside tract (state setup, nodes, outputs).
    pub total_micros: f64,
    /// Multiply-adds of one call on `plan_rows` rows, by tract's cost model.
    pub multiply_adds: Option<f64>,
}

impl Session {
    /// Runs the graph `calls` times on `inputs` (after one warm-up call) timing each node.
    ///
    /// ```no_run
    /// use dram_core::{Session, Tensor};
    /// let session = Session::load("model.onnx")?;
    /// let profile = session.profile(vec![("x".into(), Tensor::f32(vec![1, 3], vec![0.1, 0.2, 0.3])?)], 100)?;
    /// for node in profile.nodes.iter().take(3) {
    ///     println!("{:>8.1} µs {} ({})", node.micros, node.name, node.op);
    /// }
    /// # Ok::<(), dram_core::Error>(())
    /// ```
    pub fn profile(&self, inputs: Vec<(String, DramTensor)>, calls: usize) -> Result<Profile> {
        let (plan, values, _) = self.prepare(self.checked(inputs)?)?;
        let plan_rows = values.first().and_then(|v| v.shape().first().copied());
        let calls = calls.max(1);
        guard(|| {
            let mut spent = vec![Duration::ZERO; plan.model().nodes.len()];
            let mut total = Duration::ZERO;
            for call in 0..=calls {
                let mut state = SimpleState::new(&plan).map_err(Error::runtime)?;
                let started = Instant::now();
                state
                    .run_plan_with_eval(values.clone(), |ctx, op_state, node, inputs| {
                        let node_started = Instant::now();
                        let outputs = eval(ctx, op_state, node, inputs);
                        if call > 0 {
                            spent[node.id] += node_started.elapsed();
                        }
                        outputs
                    })
                    .map_err(Error::runtime)?;
                if call > 0 {
                    total += started.elapsed();
                }
            }
            let model = plan.model();
            let mut nodes: Vec<NodeTime> = spent
                .iter()
                .enumerate()
                .filter(|(_, d)| !d.is_zero())
                .map(|(id, d)| NodeTime {
                    name: model.nodes[id].name.clone(),
                    op: model.nodes[id].op().name().to_string(),
                    micros: d.as_secs_f64() * 1e6 / calls as f64,
                })
                .collect();
            nodes.sort_by(|a, b| b.micros.total_cmp(&a.micros));
            let multiply_adds = match plan_rows {
                Some(rows) => self.plans().multiply_adds(rows).map_err(Error::runtime)?,
                None => None,
            };
            Ok(Profile { plan_rows, nodes, total_micros: total.as_secs_f64() * 1e6 / calls as f64, multiply_adds })
        })
    }
}
