//! Making a trained network smaller: [`prune`] removes units or zeroes weights while
//! fine-tuning recovers, [`quantize`] calibrates int8 scales and simulates their error. Writing
//! the smaller network as a file is the export layer's job, one layer up.

pub mod prune;
pub mod quantize;
