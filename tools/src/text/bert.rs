//! A trainable BERT encoder in candle, loadable from a Hugging Face `model.safetensors`.
//!
//! candle-transformers' `BertModel` cannot be fine-tuned: its `LayerNorm` takes candle's fused
//! kernel, which has no backward pass (no gradient reaches anything before a LayerNorm), and
//! its dropout is a no-op. Here LayerNorm is built from primitive ops, softmax likewise, and
//! dropout is real when `train` is set. Weight names follow Hugging Face's `BertModel`
//! (`embeddings.*`, `encoder.layer.N.*`), so the same file loads in both.

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{Embedding, Linear, VarBuilder};
use serde::Deserialize;

/// The fields of a Hugging Face BERT `config.json` the encoder uses.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BertConfig {
    /// Word-piece vocabulary size.
    pub vocab_size: usize,
    /// Width of every token vector.
    pub hidden_size: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Longest sequence.
    pub max_position_embeddings: usize,
    /// Segment types.
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Dropout on embeddings and sub-layer outputs.
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities.
    pub attention_probs_dropout_prob: f64,
    /// Activation; only `gelu` (the erf form) is supported.
    #[serde(default = "gelu")]
    pub hidden_act: String,
}

fn gelu() -> String {
    "gelu".into()
}

/// LayerNorm over the last dimension from primitive ops, so gradients flow.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Weight `LayerNorm.weight` (ones) and bias `LayerNorm.bias` (zeros) of width `size`.
    pub fn new(size: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
        let weight = vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?;
        let bias = vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?;
        Ok(LayerNorm { weight, bias, eps })
    }

    /// `(x - mean) / sqrt(var + eps) * weight + bias` along the last dimension.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centred.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)
    }
}

/// A linear layer over `[batch, seq, in]` as one `[batch * seq, in]` matrix product: candle's
/// `Linear` on 3-D input runs `batch` small products against a broadcast weight, several
/// times slower forward and backward.
fn dense(layer: &Linear, x: &Tensor) -> Result<Tensor> {
    let (batch, seq, width) = x.dims3()?;
    let y = layer.forward(&x.reshape((batch * seq, width))?)?;
    let out = y.dim(1)?;
    y.reshape((batch, seq, out))
}

fn dropout(x: &Tensor, p: f64, train: bool) -> Result<Tensor> {
    if train && p > 0.0 {
        candle_nn::ops::dropout(x, p as f32)
    } else {
        Ok(x.clone())
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// The encoder: embeddings and `num_hidden_layers` transformer layers (no pooler).
pub struct Bert {
    config: BertConfig,
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Builds the encoder's variables under `vb` (Hugging Face names).
    pub fn new(config: &BertConfig, vb: VarBuilder) -> Result<Bert> {
        if config.hidden_act != "gelu" || config.hidden_size % config.num_attention_heads != 0 {
            candle_core::bail!(
                "expected hidden_act \"gelu\" and hidden_size divisible by num_attention_heads, found {:?}, {} and {}",
                config.hidden_act,
                config.hidden_size,
                config.num_attention_heads
            );
        }
        let h = config.hidden_size;
        let e = vb.pp("embeddings");
        let words = candle_nn::embedding(config.vocab_size, h, e.pp("word_embeddings"))?;
        let positions = candle_nn::embedding(config.max_position_embeddings, h, e.pp("position_embeddings"))?;
        let token_types = candle_nn::embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?;
        let embedding_norm = LayerNorm::new(h, config.layer_norm_eps, e.pp("LayerNorm"))?;
        let mut layers = Vec::new();
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let a = l.pp("attention");
            layers.push(Layer {
                query: candle_nn::linear(h, h, a.pp("self.query"))?,
                key: candle_nn::linear(h, h, a.pp("self.key"))?,
                value: candle_nn::linear(h, h, a.pp("self.value"))?,
                attention_out: candle_nn::linear(h, h, a.pp("output.dense"))?,
                attention_norm: LayerNorm::new(h, config.layer_norm_eps, a.pp("output.LayerNorm"))?,
                intermediate: candle_nn::linear(h, config.intermediate_size, l.pp("intermediate.dense"))?,
                output: candle_nn::linear(config.intermediate_size, h, l.pp("output.dense"))?,
                output_norm: LayerNorm::new(h, config.layer_norm_eps, l.pp("output.LayerNorm"))?,
            });
        }
        Ok(Bert { config: config.clone(), words, positions, token_types, embedding_norm, layers })
    }

    /// The configuration.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Token vectors `[batch, seq, hidden]` of `ids` `[batch, seq]` (u32); `mask` `[batch, seq]`
    /// (f32, 1 for real tokens, 0 for padding) keeps attention off padding. Segment type 0.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, train: bool) -> Result<Tensor> {
        self.layers(&self.embed(ids, train)?, mask, 0..self.layers.len(), train)
    }

    /// The embedding block: word + position + segment-0 vectors, LayerNorm, dropout.
    pub fn embed(&self, ids: &Tensor, train: bool) -> Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let positions = Tensor::arange(0u32, seq as u32, ids.device())?;
        let types = Tensor::zeros((batch, seq), DType::U32, ids.device())?;
        let x = self.words.forward(ids)?.broadcast_add(&self.positions.forward(&positions)?)?;
        let x = (x + self.token_types.forward(&types)?)?;
        dropout(&self.embedding_norm.forward(&x)?, self.config.hidden_dropout_prob, train)
    }

    /// Runs transformer layers `range` over token vectors `x` `[batch, seq, hidden]`.
    pub fn layers(&self, x: &Tensor, mask: &Tensor, range: std::ops::Range<usize>, train: bool) -> Result<Tensor> {
        let (batch, seq, _) = x.dims3()?;
        let c = &self.config;
        // Additive mask: 0 on real tokens, a large negative on padding, as [batch, 1, 1, seq].
        let bias = mask.affine(1e4, -1e4)?.reshape((batch, 1, 1, seq))?;
        let heads = c.num_attention_heads;
        let width = c.hidden_size / heads;
        let split = |t: Tensor| t.reshape((batch, seq, heads, width))?.transpose(1, 2)?.contiguous();
        let mut x = x.clone();
        for layer in &self.layers[range] {
            let q = split(dense(&layer.query, &x)?)?;
            let k = split(dense(&layer.key, &x)?)?;
            let v = split(dense(&layer.value, &x)?)?;
            let scores = (q.matmul(&k.t()?)? / (width as f64).sqrt())?.broadcast_add(&bias)?;
            let probs = dropout(&candle_nn::ops::softmax(&scores, D::Minus1)?, c.attention_probs_dropout_prob, train)?;
            let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((batch, seq, c.hidden_size))?;
            let attended = dropout(&dense(&layer.attention_out, &context)?, c.hidden_dropout_prob, train)?;
            let x1 = layer.attention_norm.forward(&(attended + &x)?)?;
            let inner = dense(&layer.intermediate, &x1)?.gelu_erf()?;
            let out = dropout(&dense(&layer.output, &inner)?, c.hidden_dropout_prob, train)?;
            x = layer.output_norm.forward(&(out + x1)?)?;
        }
        Ok(x)
    }

    /// Number of transformer layers.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }
}

/// Mean of token vectors `[batch, seq, hidden]` over real tokens (`mask` `[batch, seq]`), as
/// sentence-transformers pools all-MiniLM-L6-v2.
pub fn mean_pool(tokens: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let m = mask.unsqueeze(2)?;
    let summed = tokens.broadcast_mul(&m)?.sum(1)?;
    summed.broadcast_div(&m.sum(1)?.clamp(1e-9, f64::MAX)?)
}

/// Pads token-id lists to the longest into `[batch, seq]` ids (0) and a 0/1 mask.
pub fn pad(batch: &[&[u32]], device: &Device) -> Result<(Tensor, Tensor)> {
    let seq = batch.iter().map(|t| t.len()).max().unwrap_or(1).max(1);
    let mut ids = Vec::with_capacity(batch.len() * seq);
    let mut mask = Vec::with_capacity(batch.len() * seq);
    for tokens in batch {
        for k in 0..seq {
            ids.push(tokens.get(k).copied().unwrap_or(0));
            mask.push(if k < tokens.len() { 1f32 } else { 0.0 });
        }
    }
    Ok((Tensor::from_vec(ids, (batch.len(), seq), device)?, Tensor::from_vec(mask, (batch.len(), seq), device)?))
}
