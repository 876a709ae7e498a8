//! # dram-lab: the project's own experiments
//!
//! What the docs' tables are measured with, kept apart from the product CLI (`dram`): the public
//! data sets prepared by fixed protocols ([`prepare`]), the experiments that only this project
//! runs (the text teacher against its students in [`text_latency`], training throughput in
//! [`train_throughput`]), the pipelines behind `scripts/{movielens,reviews,size}.sh`
//! ([`movielens`], [`reviews`], [`size`], calling the `dram` CLI through [`dram_cli`] as a user
//! would), and the typed results they write and `dram-bench` reads ([`results`]).
//!
//! The modules import only those listed before them in `lab/LAYERS`.

pub mod results;
pub mod prepare;
pub mod text_latency;
pub mod train_throughput;
pub mod dram_cli;
pub mod movielens;
pub mod reviews;
pub mod size;
