//! Exit codes: a contract with scripts and CI systems.

/// The run was complete and every property held (and every coverage predicate was reached).
pub const OK: u8 = 0;
/// A property was violated.
pub const VIOLATED: u8 = 1;
/// Usage or input error: a bad flag, an unknown preset, an impossible configuration.
pub const USAGE: u8 = 2;
/// Inconclusive: a state, depth or time bound stopped the run before it was complete.
pub const INCONCLUSIVE: u8 = 3;
/// A coverage predicate was never reached: the run proved nothing about it.
pub const NOT_REACHED: u8 = 4;
