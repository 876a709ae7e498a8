//! The text teacher path: a BERT encoder that can be fine-tuned in candle ([`bert`],
//! [`teacher`]), an optimiser whose state survives restarts ([`adamw`]), the resumable
//! fine-tuning run ([`finetune`], its options in [`options`]) whose cached logits
//! ([`cached_logits`], computed through the teacher's ONNX export in [`teacher_graph`]) the
//! small text students are distilled from, a finished run loaded again ([`finetuned`]), and the
//! augmented transfer set the students learn from ([`transfer`]).
//!
//! The student side of text lives in the layers below: the tokenizer and the perturbations in
//! [`crate::data`], the student's vocabulary in [`crate::model::vocab`], its initial embeddings
//! in [`crate::train::student_init`].

pub mod adamw;
pub mod bert;
pub mod cached_logits;
pub mod finetune;
pub mod finetuned;
pub mod options;
pub mod teacher;
pub mod teacher_graph;
pub mod transfer;
