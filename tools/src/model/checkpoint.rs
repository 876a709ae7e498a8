//! Checkpoints: a directory with `net.json` (configuration and manifest) and
//! `params.safetensors` (every parameter), written by `train`/`distill`, read by `export`.

use std::path::Path;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use dram_core::manifest::Manifest;
use serde::{Deserialize, Serialize};

use crate::model::arch::Param;
use crate::model::config::Config;
use crate::model::net::Net;

#[derive(Serialize, Deserialize)]
struct Description {
    config: Config,
    manifest: Manifest,
}

/// Writes `net` with its configuration and manifest.
pub fn save(dir: &Path, config: &Config, manifest: &Manifest, net: &Net) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let description = Description { config: config.clone(), manifest: manifest.clone() };
    std::fs::write(dir.join("net.json"), serde_json::to_string_pretty(&description)?)?;
    let tensors = net
        .params()?
        .into_iter()
        .map(|(name, p)| Ok((name, Tensor::from_vec(p.data, p.shape.as_slice(), &Device::Cpu)?)))
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    candle_core::safetensors::save(&tensors, dir.join("params.safetensors"))?;
    Ok(())
}

/// The configuration a checkpoint was trained with (its data columns and hyper-parameters).
pub fn config(dir: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(dir.join("net.json")).with_context(|| format!("reading {}/net.json", dir.display()))?;
    let description: Description = serde_json::from_str(&text).context("net.json is not a dram checkpoint description")?;
    Ok(description.config)
}

/// Reads a checkpoint back.
pub fn load(dir: &Path) -> Result<(Net, Manifest)> {
    let text = std::fs::read_to_string(dir.join("net.json")).with_context(|| format!("reading {}/net.json", dir.display()))?;
    let description: Description = serde_json::from_str(&text).context("net.json is not a dram checkpoint description")?;
    let tensors = candle_core::safetensors::load(dir.join("params.safetensors"), &Device::Cpu)?;
    let spec = description.config.net_spec(description.manifest.clone());
    let mut net = Net::new(spec, 0)?;
    let mut params = net.params()?;
    for (name, p) in params.iter_mut() {
        let t = tensors.get(name).with_context(|| format!("checkpoint lacks parameter `{name}`"))?;
        anyhow::ensure!(t.dims() == p.shape.as_slice(), "parameter `{name}` has shape {:?}, expected {:?}", t.dims(), p.shape);
        *p = Param { shape: p.shape.clone(), data: t.flatten_all()?.to_vec1::<f32>()? };
    }
    net.load_params(&params)?;
    Ok((net, description.manifest))
}
