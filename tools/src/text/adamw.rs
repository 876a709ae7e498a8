//! AdamW over named candle variables whose moments can be saved and restored, so a long
//! fine-tuning run resumes from its last checkpoint exactly (candle-nn's `AdamW` keeps its
//! moments private). Weight decay skips biases and LayerNorm parameters, as BERT recipes do.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Result, Tensor, Var};

/// One variable's optimiser state.
struct Slot {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
    decay: bool,
}

/// AdamW with bias correction and decoupled weight decay.
pub struct AdamW {
    slots: Vec<Slot>,
    /// Steps taken.
    pub step: usize,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl AdamW {
    /// An optimiser over `vars` (name, variable), moments at zero.
    pub fn new(vars: Vec<(String, Var)>, weight_decay: f64) -> Result<AdamW> {
        let slots = vars
            .into_iter()
            .map(|(name, var)| {
                let zeros = var.as_tensor().zeros_like()?;
                let decay = name.ends_with("weight") && !name.contains("LayerNorm") && !name.contains("embeddings");
                Ok(Slot { name, m: zeros.clone(), v: zeros, var, decay })
            })
            .collect::<Result<_>>()?;
        Ok(AdamW { slots, step: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay })
    }

    /// One update at learning rate `lr` from `grads`; variables without a gradient keep still.
    pub fn step(&mut self, grads: &candle_core::backprop::GradStore, lr: f64) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let (c1, c2) = (1.0 - self.beta1.powi(t), 1.0 - self.beta2.powi(t));
        for s in &mut self.slots {
            let Some(g) = grads.get(s.var.as_tensor()) else { continue };
            s.m = ((&s.m * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            s.v = ((&s.v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&s.m / c1)? / ((&s.v / c2)?.sqrt()? + self.eps)?)?;
            let decayed = if s.decay { (s.var.as_tensor() * (1.0 - lr * self.weight_decay))? } else { s.var.as_tensor().clone() };
            s.var.set(&(decayed - (update * lr)?)?)?;
        }
        Ok(())
    }

    /// Writes the moments to a safetensors file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for s in &self.slots {
            map.insert(format!("m.{}", s.name), s.m.clone());
            map.insert(format!("v.{}", s.name), s.v.clone());
        }
        candle_core::safetensors::save(&map, path)
    }

    /// Restores moments written by [`AdamW::save`] after `step` steps.
    pub fn load(&mut self, path: &Path, step: usize) -> Result<()> {
        let map = candle_core::safetensors::load(path, &Device::Cpu)?;
        for s in &mut self.slots {
            let get = |k: String| map.get(&k).cloned().ok_or_else(|| candle_core::Error::Msg(format!("{} has no {k}", path.display())));
            s.m = get(format!("m.{}", s.name))?;
            s.v = get(format!("v.{}", s.name))?;
        }
        self.step = step;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_weight_by_lr_against_its_gradient_sign() {
        let w = Var::new(&[1.0f32, -2.0], &Device::Cpu).unwrap();
        let mut opt = AdamW::new(vec![("w.bias".into(), w.clone())], 0.0).unwrap();
        let loss = (w.as_tensor() * &Tensor::new(&[3.0f32, -0.5], &Device::Cpu).unwrap()).unwrap().sum_all().unwrap();
        opt.step(&loss.backward().unwrap(), 0.1).unwrap();
        let got = w.as_tensor().to_vec1::<f32>().unwrap();
        // Bias-corrected Adam's first step is lr * sign(gradient).
        assert!((got[0] - 0.9).abs() < 1e-5 && (got[1] + 1.9).abs() < 1e-5, "{got:?}");
    }

    #[test]
    fn saved_moments_resume_identically() {
        let run = |split: bool| {
            let w = Var::new(&[0.5f32, 1.5], &Device::Cpu).unwrap();
            let mut opt = AdamW::new(vec![("dense.weight".into(), w.clone())], 0.01).unwrap();
            let path = std::env::temp_dir().join(format!("dram-adamw-{}.safetensors", std::process::id()));
            for i in 0..4 {
                if split && i == 2 {
                    opt.save(&path).unwrap();
                    let mut fresh = AdamW::new(vec![("dense.weight".into(), w.clone())], 0.01).unwrap();
                    fresh.load(&path, opt.step).unwrap();
                    opt = fresh;
                }
                let loss = w.as_tensor().sqr().unwrap().sum_all().unwrap();
                opt.step(&loss.backward().unwrap(), 0.05).unwrap();
            }
            w.as_tensor().to_vec1::<f32>().unwrap()
        };
        assert_eq!(run(false), run(true));
    }
}
