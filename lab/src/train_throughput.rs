//! `dram-lab bench-train`: training throughput of one epoch of a MovieLens-sized student, with a
//! small and a large hashed item table side by side, to show that a step's cost follows the
//! rows a batch touches rather than the table size.

use std::time::Instant;

use anyhow::Result;

use dram_tools::data::synth::{self, ShopConfig, STUDENT_CONFIG};
use dram_tools::model::config::Config;
use dram_tools::model::dataset::Dataset;
use dram_tools::model::net::Net;
use dram_tools::train::{self, Objective};

/// Samples per second of one training epoch for each item-table size.
pub fn table_size_throughput(sizes: &[u64]) -> Result<Vec<(u64, f64)>> {
    let shop = synth::generate(&ShopConfig { users: 1000, items: 1600, impressions_per_user: 100, ..Default::default() })?;
    let mut results = Vec::new();
    for &buckets in sizes {
        let text = STUDENT_CONFIG
            .replace("kind = \"categorical\"\nitem_key = true", &format!("kind = \"hashed\"\nbuckets = {buckets}\nitem_key = true"))
            .replace("epochs = 20", "epochs = 1");
        let config = Config::parse(&text)?;
        let manifest = config.manifest(&shop)?;
        let data = Dataset::encode(&config, &manifest, &shop)?;
        let mut net = Net::new(config.net_spec(manifest), 1)?;
        let started = Instant::now();
        train::fit(&mut net, &data, &data, &config.train, Objective::Labels, &format!("{buckets} rows"), None)?;
        // fit includes one validation pass over the same rows; time the whole epoch honestly.
        results.push((buckets, data.rows as f64 / started.elapsed().as_secs_f64()));
    }
    Ok(results)
}
