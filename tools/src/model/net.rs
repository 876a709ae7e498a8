//! The candle network of a [`NetSpec`]: embedding lookups and pooling, an MLP tower, logits.
//! It mirrors the exported ONNX graph op for op, so candle's scores and `dram-core`'s agree.

use candle_core::{DType, Device, Result, Tensor, Var, D};

use crate::model::arch::{NetSpec, Param, Params, Pooling, MASK_OFFSET};
use crate::model::dataset::{Buffer, Dataset};
use crate::rng::Rng;
use crate::model::sparse::{LocalRows, SparseTable};
use dram_core::manifest::FeatureKind;

/// What a padding position adds to its convolution outputs before the maximum over positions:
/// below any real output, finite (so no `inf - inf`), and `1 * x - x` is exactly 0 on real ones.
const PADDING_OFFSET: f64 = 1e30;

/// Trainable parameters of a network. Not `Clone`: candle `Var`s share storage when cloned,
/// so a copy would silently train along; [`Net::snapshot`] is the deep copy.
#[derive(Debug)]
pub struct Net {
    /// The architecture.
    pub spec: NetSpec,
    /// Embedding tables, in [`NetSpec::tables`] order.
    pub tables: Vec<SparseTable>,
    /// Dense parameters by name, in [`NetSpec::dense_shapes`] order.
    pub dense: Vec<(String, Var)>,
    /// For each graph input, the table its ids index (`None` for float inputs).
    input_tables: Vec<Option<usize>>,
}

/// A batch ready for the forward pass: inputs with ids remapped to local table rows.
pub struct Batch {
    /// Inputs in encoder order (ids as u32 local rows, floats as f32).
    pub inputs: Vec<Tensor>,
    /// The touched rows of every table.
    pub locals: Vec<LocalRows>,
}

impl Net {
    /// A freshly initialised network.
    pub fn new(spec: NetSpec, seed: u64) -> Result<Net> {
        let mut rng = Rng::new(seed);
        let tables = spec.tables().iter().map(|t| SparseTable::new(t.rows, t.dim, 0.05, &mut rng)).collect();
        let mut dense = Vec::new();
        let layers = spec.layers().len();
        for (name, shape) in spec.dense_shapes() {
            let data = if name.ends_with(".bias") {
                vec![0.0; shape.iter().product()]
            } else if name.starts_with("att.") {
                rng.normals(shape.iter().product(), 0.1 / (shape[1] as f64).sqrt())
            } else if name.starts_with("conv.") {
                // He initialisation over the window's `window * dim` inputs.
                rng.normals(shape.iter().product(), (2.0 / (shape[0] * shape[1]) as f64).sqrt())
            } else {
                let last = name == format!("mlp.{}.weight", layers - 1);
                let gain = if last { 1.0 } else { 2.0 };
                rng.normals(shape.iter().product(), (gain / shape[1] as f64).sqrt())
            };
            let var = Var::from_tensor(&Tensor::from_vec(data, shape.as_slice(), &Device::Cpu)?)?;
            dense.push((name, var));
        }
        let names: Vec<String> = spec.tables().into_iter().map(|t| t.param).collect();
        let mut input_tables = Vec::new();
        for feature in &spec.manifest.features {
            let table =
                spec.lookup_table(feature).map(|t| names.iter().position(|n| *n == t.param).expect("table listed"));
            for input in feature.graph_inputs() {
                let is_ids = input.dtype == dram_core::manifest::DType::I64;
                input_tables.push(if is_ids { table } else { None });
            }
        }
        Ok(Net { spec, tables, dense, input_tables })
    }

    /// Every parameter, for export.
    pub fn params(&self) -> Result<Params> {
        let mut params = Params::new();
        for (t, table) in self.spec.tables().into_iter().zip(&self.tables) {
            params.insert(t.param, Param { shape: vec![t.rows, t.dim], data: table.data.clone() });
        }
        for (name, var) in &self.dense {
            let shape = var.dims().to_vec();
            params.insert(name.clone(), Param { shape, data: var.flatten_all()?.to_vec1::<f32>()? });
        }
        Ok(params)
    }

    /// A deep copy: `Var`s share storage when cloned, so early stopping's "best epoch" copy
    /// must copy the tensors.
    pub fn snapshot(&self) -> Result<Net> {
        let dense = self
            .dense
            .iter()
            .map(|(n, v)| Ok((n.clone(), Var::from_tensor(&v.as_tensor().copy()?)?)))
            .collect::<Result<_>>()?;
        Ok(Net { spec: self.spec.clone(), tables: self.tables.clone(), dense, input_tables: self.input_tables.clone() })
    }

    /// Replaces every parameter's values (names and shapes must match).
    pub fn load_params(&mut self, params: &Params) -> Result<()> {
        for (t, table) in self.spec.tables().into_iter().zip(self.tables.iter_mut()) {
            let p = params.get(&t.param).ok_or_else(|| candle_core::Error::Msg(format!("missing {}", t.param)))?;
            table.data.clone_from(&p.data);
        }
        for (name, var) in &self.dense {
            let p = params.get(name).ok_or_else(|| candle_core::Error::Msg(format!("missing {name}")))?;
            var.set(&Tensor::from_vec(p.data.clone(), p.shape.as_slice(), &Device::Cpu)?)?;
        }
        Ok(())
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.spec.param_count()
    }

    /// The dense variables (for the dense optimiser).
    pub fn dense_vars(&self) -> Vec<Var> {
        self.dense.iter().map(|(_, v)| v.clone()).collect()
    }

    fn dense(&self, name: &str) -> &Tensor {
        self.dense.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_tensor()).expect("dense parameter exists")
    }

    /// Builds the batch of `rows` of `data`.
    pub fn batch(&self, data: &Dataset, rows: &[usize]) -> Result<Batch> {
        let dev = Device::Cpu;
        let mut locals = Vec::with_capacity(self.tables.len());
        for (t, table) in self.tables.iter().enumerate() {
            let ids = data.inputs.iter().zip(&self.input_tables).filter(|(_, it)| **it == Some(t)).flat_map(|(b, _)| {
                let Buffer::Ids { width, data, .. } = b else { unreachable!("tables are indexed by ids") };
                rows.iter().flat_map(move |&r| &data[r * width..(r + 1) * width])
            });
            locals.push(table.gather(ids, &dev)?);
        }
        let mut inputs = Vec::with_capacity(data.inputs.len());
        for (buffer, table) in data.inputs.iter().zip(&self.input_tables) {
            let shape = buffer.shape(rows.len());
            inputs.push(match buffer {
                Buffer::Ids { width, data, .. } => {
                    let index = &locals[table.expect("ids index a table")].index;
                    let local: Vec<u32> =
                        rows.iter().flat_map(|&r| &data[r * width..(r + 1) * width]).map(|id| index[id]).collect();
                    Tensor::from_vec(local, shape, &dev)?
                }
                Buffer::Values { width, data, .. } => {
                    Tensor::from_vec(crate::model::dataset::gather(data, *width, rows), shape, &dev)?
                }
            });
        }
        Ok(Batch { inputs, locals })
    }

    /// Logits `[rows, output_width]`.
    pub fn forward(&self, batch: &Batch) -> Result<Tensor> {
        let mut x = self.mlp_input(batch)?;
        let layers = self.spec.layers().len();
        for i in 0..layers {
            let w = self.dense(&format!("mlp.{i}.weight"));
            let b = self.dense(&format!("mlp.{i}.bias"));
            x = x.matmul(&w.t()?)?.broadcast_add(b)?;
            if i + 1 < layers {
                x = x.relu()?;
            }
        }
        Ok(x)
    }

    /// The MLP tower's input `[rows, input_width]`: every feature's vector (embeddings,
    /// pooled sequences, numeric values), concatenated in feature order. Pruning reads it to
    /// score input columns by their activations.
    pub fn mlp_input(&self, batch: &Batch) -> Result<Tensor> {
        let mut pieces = Vec::new();
        let mut next = 0;
        let mut item_vectors: Vec<(&str, Tensor)> = Vec::new();
        for feature in &self.spec.manifest.features {
            let table_of = |i: usize| batch.locals[self.input_tables[i].expect("ids")].var.as_tensor();
            match &feature.kind {
                FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                    let v = table_of(next).index_select(&batch.inputs[next], 0)?;
                    item_vectors.push((feature.name.as_str(), v.clone()));
                    pieces.push(v);
                    next += 1;
                }
                FeatureKind::Numeric { .. } => {
                    pieces.push(batch.inputs[next].clone());
                    next += 1;
                }
                FeatureKind::Sequence { .. } | FeatureKind::Text { .. } => {
                    let ids = &batch.inputs[next];
                    let weights = &batch.inputs[next + 1];
                    let (n, len) = ids.dims2()?;
                    let table = table_of(next);
                    let dim = table.dim(1)?;
                    let h = table.index_select(&ids.flatten_all()?, 0)?.reshape((n, len, dim))?;
                    let pooled = match self.spec.pooling_of(feature) {
                        Pooling::Mean => h.broadcast_mul(&weights.unsqueeze(2)?)?.sum(1)?,
                        Pooling::Attention => {
                            let FeatureKind::Sequence { item_feature, .. } = &feature.kind else { unreachable!() };
                            let target = &item_vectors.iter().find(|(n, _)| n == item_feature).expect("item feature precedes").1;
                            let w = self.dense(&format!("att.{}", feature.name));
                            let q = target.matmul(&w.t()?)?;
                            let logits = h.broadcast_mul(&q.unsqueeze(1)?)?.sum(2)?.affine(1.0 / (dim as f64).sqrt(), 0.0)?;
                            let mask = weights.affine(len as f64, 0.0)?.clamp(0f32, 1f32)?;
                            let masked = (logits + mask.affine(-MASK_OFFSET as f64, MASK_OFFSET as f64)?)?;
                            let attention = candle_nn::ops::softmax(&masked, D::Minus1)?;
                            let any = weights.sum_keepdim(1)?;
                            h.broadcast_mul(&attention.unsqueeze(2)?)?.sum(1)?.broadcast_mul(&any)?
                        }
                    };
                    pieces.push(pooled);
                    next += 2;
                }
                FeatureKind::WordPieces { .. } => {
                    let conv = self.spec.conv(feature).expect("word-piece features have a convolution");
                    pieces.push(self.conv_max(&conv, table_of(next), &batch.inputs[next], &batch.inputs[next + 1])?);
                    next += 2;
                }
            }
        }
        if pieces.len() == 1 {
            Ok(pieces.remove(0))
        } else {
            Tensor::cat(&pieces, 1)
        }
    }

    /// A word-piece feature's vector `[rows, channels]`: the width-`window` convolution over
    /// embedded pieces (`ids` `[rows, window, len]`, local table rows), ReLU, then the maximum
    /// over real positions (`weights` 1) — [`crate::model::reference`]'s `conv_max`, batched as one
    /// `[rows * len, window * dim] x [window * dim, channels]` product.
    ///
    /// The graph computes `max_t w_t relu(z_t + b)`; this computes `relu(b + max_t (z_t + m_t))`
    /// with `m_t` 0 on real positions and far below any product on padding. Both are the same
    /// numbers (ReLU is monotone and `b` is the same at every position; padding only adds
    /// zeros to a maximum of values >= 0), but the bias, the ReLU and the mask's product run on
    /// `[rows, channels]` instead of `[rows, len, channels]`, in the forward and the backward
    /// pass: the word-piece students train 1.6x faster.
    fn conv_max(&self, conv: &crate::model::arch::Conv, table: &Tensor, ids: &Tensor, weights: &Tensor) -> Result<Tensor> {
        conv_max(conv, table, self.dense(&conv.weight), self.dense(&conv.bias), ids, weights)
    }

    /// Logits of every row of `data`, row-major (`output_width` per row), computed in chunks.
    pub fn predict(&self, data: &Dataset) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(data.rows * self.spec.output_width());
        let all: Vec<usize> = (0..data.rows).collect();
        for chunk in all.chunks(4096) {
            let logits = self.forward(&self.batch(data, chunk)?)?;
            out.extend(logits.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }
}

/// [`Net::conv_max`] with its parameters given.
fn conv_max(conv: &crate::model::arch::Conv, table: &Tensor, weight: &Tensor, bias: &Tensor, ids: &Tensor, weights: &Tensor) -> Result<Tensor> {
    let (n, window, len) = ids.dims3()?;
    let h = table.index_select(&ids.flatten_all()?, 0)?.reshape((n, window, len, conv.dim))?;
    let windows = h.permute((0, 2, 1, 3))?.contiguous()?.reshape((n * len, window * conv.dim))?;
    let w = weight.reshape((window * conv.dim, conv.channels))?;
    let z = windows.matmul(&w)?.reshape((n, len, conv.channels))?;
    let padding = weights.affine(PADDING_OFFSET, -PADDING_OFFSET)?.unsqueeze(2)?;
    z.broadcast_add(&padding)?.max(1)?.broadcast_add(bias)?.relu()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth;

    #[test]
    fn the_pooled_convolution_is_the_graphs_formula_exactly() {
        // `max_t w_t relu(z_t + b)`, as the exported graph computes it, against `conv_max`'s
        // `relu(b + max_t (z_t + m_t))`: equal bit for bit, with rows partly padded, fully
        // padded (0) and unpadded.
        let (rows, window, len, dim, channels) = (4, 3, 6, 5, 7);
        let conv = crate::model::arch::Conv { dim, window, channels, weight: "conv.weight".into(), bias: "conv.bias".into() };
        let mut rng = Rng::new(9);
        let dev = Device::Cpu;
        let weight = Tensor::from_vec(rng.normals(window * dim * channels, 1.0).iter().map(|&v| v as f32).collect::<Vec<_>>(), (window * dim, channels), &dev).unwrap();
        let bias = Tensor::from_vec(rng.normals(channels, 1.0).iter().map(|&v| v as f32).collect::<Vec<_>>(), channels, &dev).unwrap();
        let table = Tensor::from_vec(rng.normals(10 * dim, 1.0).iter().map(|&v| v as f32).collect::<Vec<_>>(), (10, dim), &dev).unwrap();
        let ids: Vec<u32> = (0..rows * window * len).map(|i| (i * 7 % 10) as u32).collect();
        let ids = Tensor::from_vec(ids, (rows, window, len), &dev).unwrap();
        let real = [3, 0, 6, 1];
        let weights: Vec<f32> = real.iter().flat_map(|&r| (0..len).map(move |t| if t < r { 1.0 } else { 0.0 })).collect();
        let weights = Tensor::from_vec(weights, (rows, len), &dev).unwrap();
        let pooled = conv_max(&conv, &table, &weight, &bias, &ids, &weights).unwrap();
        let h = table.index_select(&ids.flatten_all().unwrap(), 0).unwrap().reshape((rows, window, len, dim)).unwrap();
        let windows = h.permute((0, 2, 1, 3)).unwrap().contiguous().unwrap().reshape((rows * len, window * dim)).unwrap();
        let z = windows.matmul(&weight).unwrap().reshape((rows, len, channels)).unwrap().broadcast_add(&bias).unwrap();
        let graph = z.relu().unwrap().broadcast_mul(&weights.unsqueeze(2).unwrap()).unwrap().max(1).unwrap();
        assert_eq!(pooled.to_vec2::<f32>().unwrap(), graph.to_vec2::<f32>().unwrap());
        assert!(pooled.get(1).unwrap().to_vec1::<f32>().unwrap().iter().all(|&v| v == 0.0));
    }

    #[test]
    fn every_parameter_receives_a_gradient() {
        // candle's fused softmax and layer-norm silently block gradients; the network must not
        // use them. Attention pooling included.
        let config = crate::model::config::Config::parse(crate::data::synth::TEACHER_CONFIG).unwrap();
        let table = synth::generate(&synth::ShopConfig { users: 30, items: 40, impressions_per_user: 20, ..Default::default() }).unwrap();
        let manifest = config.manifest(&table).unwrap();
        let data = Dataset::encode(&config, &manifest, &table).unwrap();
        let net = Net::new(config.net_spec(manifest), 1).unwrap();
        let rows: Vec<usize> = (0..data.rows).filter(|&r| !matches!(&data.inputs[7], Buffer::Values { data: w, width, .. } if w[r * width] == 0.0)).take(64).collect();
        let batch = net.batch(&data, &rows).unwrap();
        let logits = net.forward(&batch).unwrap();
        let labels = Tensor::from_vec(rows.iter().map(|&r| data.labels[r]).collect::<Vec<_>>(), rows.len(), &Device::Cpu).unwrap();
        // Any loss that reads every logit will do; squared error needs no training module.
        let loss = (logits.flatten_all().unwrap() - labels).unwrap().sqr().unwrap().mean_all().unwrap();
        let grads = loss.backward().unwrap();
        for (name, var) in &net.dense {
            let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} has no gradient"));
            let norm = g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(norm > 0.0, "{name} has a zero gradient");
        }
        for (t, local) in net.spec.tables().iter().zip(&batch.locals) {
            let g = grads.get(local.var.as_tensor()).unwrap_or_else(|| panic!("{} has no gradient", t.param));
            assert!(g.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0, "{}", t.param);
        }
    }
}
