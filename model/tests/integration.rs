//! The model's tests, one module per file.

mod seeded_bugs;
mod smoke;
mod stateright_quirks;
mod symmetry;
