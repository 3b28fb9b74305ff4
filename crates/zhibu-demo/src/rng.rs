//! A tiny deterministic random number generator (splitmix64). The generator must give the same
//! city for the same seed on every machine and every version of the toolchain, so it uses no
//! floating point and no outside crate whose algorithm might change between releases.

use chrono::{NaiveDate, TimeDelta};

/// Independent streams derived from the one seed, so that a branch's records do not depend on
/// how many random numbers the branches before it consumed.
pub(crate) const STREAM_CITY: u64 = 1;
pub(crate) const STREAM_BRANCH: u64 = 2;
pub(crate) const STREAM_TRANSFER: u64 = 3;
/// Dues (issue 4): the city's choice of branches with planted dues imperfections (index 0), each
/// branch's payments (index = branch), and each member's income (index = local member id), kept
/// apart so that adding dues changed none of the records generated before them.
pub(crate) const STREAM_DUES_CITY: u64 = 4;
pub(crate) const STREAM_DUES_BRANCH: u64 = 5;
pub(crate) const STREAM_DUES_MEMBER: u64 = 6;

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The generator of one stream: `index` is the branch (or transfer) number within it.
    pub(crate) fn derive(seed: u64, stream: u64, index: u64) -> Rng {
        let mixed = finalize(
            seed ^ finalize(
                stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    ^ finalize(index.wrapping_add(0x2545_F491_4F6C_DD1D)),
            ),
        );
        Rng { state: mixed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        finalize(self.state)
    }

    /// A number in `0..n` (0 when `n` is 0). The multiply-shift reduction has a bias below
    /// one in 2^40 for the small ranges used here, which does not matter for demo data.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`; `low` when the range is empty.
    pub(crate) fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + self.below((high - low + 1) as u64) as i64
    }

    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with the given chance in percent.
    pub(crate) fn percent(&mut self, chance: u64) -> bool {
        self.below(100) < chance
    }

    /// One item of a non-empty list. Every list passed here is a constant table.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    /// A day in `from..=to`; `from` when the range is empty.
    pub(crate) fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days();
        from + TimeDelta::days(self.range(0, span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = Rng::derive(7, STREAM_BRANCH, 3);
        let mut b = Rng::derive(7, STREAM_BRANCH, 3);
        let mut c = Rng::derive(7, STREAM_BRANCH, 4);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        let third: Vec<u64> = (0..5).map(|_| c.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(first, third);
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut rng = Rng::derive(1, STREAM_CITY, 0);
        for _ in 0..10_000 {
            let value = rng.range(-3, 4);
            assert!((-3..=4).contains(&value));
        }
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(5, 2), 5);
    }
}
