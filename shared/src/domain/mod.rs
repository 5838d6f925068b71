//! Vocabulary: plain data every other module speaks.

pub mod outcome;
