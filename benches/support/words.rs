//! Made-up words for the knowledge benchmarks: a fixed vocabulary of 20,000 words of
//! syllables (so the stemmer has something to do), drawn with a Zipf-like skew by a seeded
//! generator, so every run reads the same text.

/// How many words the vocabulary has.
pub const VOCABULARY: usize = 20_000;

/// A small seeded generator (xorshift64*): the same text every run.
pub struct Words(pub u64);

impl Words {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A word, the low ranks far more often (a square skews towards 0).
    pub fn word(&mut self) -> String {
        let x = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        let rank = (x * x * VOCABULARY as f64) as usize;
        made_up(rank)
    }
}

/// The made-up word of rank `n`: syllables, so the stemmer has something to do.
pub fn made_up(n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ren", "tas", "vo", "bel", "dun", "ser", "quo", "pli", "nar", "fes",
        "gor", "hul", "zin",
    ];
    let mut word = String::new();
    let mut rest = n + 16;
    while rest > 0 {
        word.push_str(SYLLABLES[rest % 16]);
        rest /= 16;
    }
    word.push_str(["", "s", "ed", "ing"][n % 4]);
    word
}
