//! `dram demo`: the whole path on a synthetic shop, offline, in a few minutes ([`run`]); what it
//! measured ([`report`]) and the self-contained HTML page drawn from that ([`html`]).

pub mod html;
pub mod report;
mod run;

pub use report::{table, DemoReport, ModelReport};
pub use run::{run, DemoOptions};
