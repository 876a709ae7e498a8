//! The text teacher path: a BERT encoder that can be fine-tuned in candle, its WordPiece
//! tokenizer, an optimiser whose state survives restarts, and the resumable fine-tuning run
//! whose cached logits the small text students are distilled from; the teacher exported to
//! ONNX only to time it against the students in the same runtime, and the augmented transfer
//! set the students learn from.

pub mod adamw;
pub mod augment;
pub mod bert;
pub mod cached_logits;
pub mod finetune;
pub mod finetuned;
pub mod latency;
pub mod student_init;
pub mod student_vocab;
pub mod teacher;
pub mod teacher_graph;
pub mod transfer;
pub mod wordpiece;
