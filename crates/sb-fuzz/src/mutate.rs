//! A small deterministic mutator for the bounded CI run: the same seed gives the same
//! inputs on every machine, so a failure printed by CI replays locally. It is no match
//! for coverage guidance (that is `scripts/fuzz`); it keeps the parsers honest on every
//! change at the cost of a few seconds.

/// Longest input the mutator makes (the parsers' limits are far above; long inputs
/// only slow the run).
pub const MAX_LEN: usize = 4096;

/// SplitMix64: tiny, fast and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// One to four mutations of a seed picked from `corpus`: bit flips, byte inserts,
/// deletes and overwrites, interesting bytes, dictionary tokens, repeats, and splices
/// with another seed.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], dictionary: &[&str]) -> Vec<u8> {
    let mut data = corpus
        .get(rng.below(corpus.len()))
        .cloned()
        .unwrap_or_default();
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        let at = rng.below(len + 1);
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, rng.next_u64() as u8),
            2 if len > 0 => {
                let n = 1 + rng.below(len.min(16));
                let from = rng.below(len - n + 1);
                data.drain(from..from + n);
            }
            3 if len > 0 => {
                const EDGES: &[u8] = b"\x00\xff\x7f\x80%&=;\"{}[]\n\r\\+ ";
                let i = rng.below(len);
                data[i] = EDGES[rng.below(EDGES.len())];
            }
            4 | 5 if !dictionary.is_empty() => {
                let t = dictionary[rng.below(dictionary.len())];
                data.splice(at..at, t.bytes());
            }
            6 => {
                let t = crate::COMMON_TOKENS[rng.below(crate::COMMON_TOKENS.len())];
                data.splice(at..at, t.bytes());
            }
            7 if len > 0 => {
                // A repeated chunk: deep nesting, long runs, many parameters.
                let n = 1 + rng.below(len.min(8));
                let from = rng.below(len - n + 1);
                let chunk = data[from..from + n].to_vec();
                for _ in 0..1 + rng.below(64) {
                    data.splice(at..at, chunk.iter().copied());
                }
            }
            _ => {
                if let Some(other) = corpus.get(rng.below(corpus.len())) {
                    let cut = rng.below(other.len() + 1);
                    data.truncate(at);
                    data.extend_from_slice(&other[cut..]);
                }
            }
        }
        data.truncate(MAX_LEN);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_inputs() {
        let corpus = vec![b"event=NOTIFY_START".to_vec(), b"{}".to_vec()];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| mutate(&mut rng, &corpus, &["&x="]))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().all(|d| d.len() <= MAX_LEN));
    }
}
