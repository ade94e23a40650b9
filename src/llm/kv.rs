//! The paged KV cache of one replica: ⌊kv_cache_tokens / block_size⌋ blocks, of which a sequence
//! holds ⌈tokens / block_size⌉.
//!
//! Blocks are counted, not named: without prefix sharing a block's identity changes nothing.
//!
//! Which tokens a sequence's blocks cover (P prompt tokens, n output tokens produced so far):
//! - **admitted for a prefill** (fresh, n = 0, or a recompute after a preemption, n ≥ 1): blocks
//!   for P + n tokens, taken whole at admission, also when the prompt is prefilled in chunks;
//! - **after its prefill** (which produced token n + 1): still P + n; the new token's KV is written
//!   by the next iteration;
//! - **in a decode iteration** with context C = P + n: blocks for C tokens, so a sequence takes a
//!   new block at the iteration start where C passes a multiple of `block_size`; the most it ever
//!   holds is ⌈(P + O − 1) / block_size⌉, in the iteration that produces its last token O;
//! - **transferred** to a decode replica (n = 1): blocks for C = P + 1 when it joins;
//! - **completed, preempted, handed off or drained**: none.

/// Block accounting of one replica's KV cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvCache {
    block_size: u32,
    total_blocks: u32,
    free_blocks: u32,
}

impl KvCache {
    /// An empty cache of `total_blocks` blocks of `block_size` tokens.
    pub fn new(block_size: u32, total_blocks: u32) -> KvCache {
        assert!(block_size > 0, "block_size is validated to be positive");
        KvCache { block_size, total_blocks, free_blocks: total_blocks }
    }

    /// Blocks that hold `tokens` tokens: ⌈tokens / block_size⌉.
    pub fn blocks_for(&self, tokens: u32) -> u32 {
        tokens.div_ceil(self.block_size)
    }

    /// Takes `n` blocks if that many are free; otherwise takes none and returns false.
    pub fn try_take(&mut self, n: u32) -> bool {
        if n <= self.free_blocks {
            self.free_blocks -= n;
            true
        } else {
            false
        }
    }

    /// Returns `n` blocks taken earlier.
    pub fn give_back(&mut self, n: u32) {
        assert!(n <= self.used_blocks(), "KV cache: {n} blocks returned but only {} in use", self.used_blocks());
        self.free_blocks += n;
    }

    /// Returns every block (the replica is drained).
    pub fn clear(&mut self) {
        self.free_blocks = self.total_blocks;
    }

    /// Blocks in the cache.
    pub fn total_blocks(&self) -> u32 {
        self.total_blocks
    }

    /// Blocks no sequence holds.
    pub fn free_blocks(&self) -> u32 {
        self.free_blocks
    }

    /// Blocks held by sequences.
    pub fn used_blocks(&self) -> u32 {
        self.total_blocks - self.free_blocks
    }

    /// Fraction of the blocks in use, in [0, 1].
    pub fn utilization(&self) -> f64 {
        f64::from(self.used_blocks()) / f64::from(self.total_blocks.max(1))
    }

    /// Tokens per block.
    pub fn block_size(&self) -> u32 {
        self.block_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_up_and_take_is_all_or_nothing() {
        let mut kv = KvCache::new(16, 10);
        // ⌈0/16⌉ = 0, ⌈1/16⌉ = 1, ⌈16/16⌉ = 1, ⌈17/16⌉ = 2, ⌈160/16⌉ = 10.
        assert_eq!([0, 1, 16, 17, 160].map(|t| kv.blocks_for(t)), [0, 1, 1, 2, 10]);
        assert!(kv.try_take(7));
        assert!(!kv.try_take(4), "only 3 free");
        assert_eq!((kv.free_blocks(), kv.used_blocks()), (3, 7));
        assert!(kv.try_take(3));
        assert_eq!(kv.utilization(), 1.0);
        kv.give_back(5);
        assert_eq!((kv.free_blocks(), kv.used_blocks()), (5, 5));
        kv.clear();
        assert_eq!(kv.free_blocks(), 10);
    }

    #[test]
    #[should_panic(expected = "only 0 in use")]
    fn returning_more_than_taken_is_a_broken_invariant() {
        KvCache::new(16, 4).give_back(1);
    }
}
