//! xorshift64*: small, seeded, and the same on every platform and version, so that a seed
//! names the same random walks everywhere (stateright's own RNG is not version-stable).

/// A seeded random number generator.
pub struct Rng(u64);

impl Rng {
    /// The generator for sample `sample` of a run seeded with `seed`.
    pub fn for_sample(seed: u64, sample: u64) -> Rng {
        Rng(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(sample) | 1)
    }

    /// A number below `n` (which must not be 0).
    pub fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}
