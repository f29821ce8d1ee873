//! The knowledge base's search and indexing (`cargo bench --bench knowledge`): synthetic
//! passages of about 800 characters, indexed at 1k, 10k and 100k passages
//! (`BENCH_KNOWLEDGE_SIZES=1000,10000` to choose), then 2000 spoken-style questions of six
//! words each searched one after another, as prefetch does (top 3).
//!
//! Prints per size: the build time, the process's resident memory before and after the
//! build, and the search time per question (p50/p99/max). The words are drawn from a
//! fixed vocabulary of 20 000 made-up words with a Zipf-like skew, with a seeded
//! generator, so every run indexes the same text.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::time::Instant;

use voicebridge::knowledge::{language, Passage, PassageIndex};

const VOCABULARY: usize = 20_000;
const QUESTIONS: usize = 2_000;

/// A small seeded generator (xorshift64*): the same text every run.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A word, the low ranks far more often (a square skews towards 0).
    fn word(&mut self) -> String {
        let x = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        let rank = (x * x * VOCABULARY as f64) as usize;
        made_up(rank)
    }
}

/// The made-up word of rank `n`: syllables, so the stemmer has something to do.
fn made_up(n: usize) -> String {
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

fn passages(count: usize, words: &mut Words) -> Vec<Passage> {
    (0..count)
        .map(|n| {
            let mut text = String::new();
            while text.len() < 800 {
                text.push_str(&words.word());
                text.push(' ');
            }
            Passage {
                file: format!("doc{}.md", n / 20),
                heading: format!("{} {}", words.word(), words.word()),
                position: n % 20,
                text,
            }
        })
        .collect()
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn percentiles(mut micros: Vec<f64>) -> String {
    micros.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    format!("{:.0}/{:.0}/{:.0}", at(0.5), at(0.99), at(1.0))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_KNOWLEDGE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let english = language("en").expect("English stems");
    println!(
        "{:>9} {:>10} {:>9} {:>14} {:>26} {:>9}",
        "passages", "text MiB", "build s", "RSS MiB", "search µs (p50/p99/max)", "hits/q"
    );
    for size in sizes {
        let mut words = Words(0x9E37_79B9_7F4A_7C15 ^ size as u64);
        let all = passages(size, &mut words);
        let text_mib = all.iter().map(|p| p.text.len()).sum::<usize>() as f64 / 1048576.0;
        let before = rss_mib();
        let started = Instant::now();
        let index = PassageIndex::build(all, english).expect("builds");
        let build = started.elapsed().as_secs_f64();
        let after = rss_mib();
        let questions: Vec<String> = (0..QUESTIONS)
            .map(|_| (0..6).map(|_| words.word()).collect::<Vec<_>>().join(" "))
            .collect();
        let mut micros = Vec::with_capacity(QUESTIONS);
        let mut hits = 0;
        for question in &questions {
            let started = Instant::now();
            hits += index.search(question, 3, 1.0).len();
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
        println!(
            "{size:>9} {text_mib:>10.1} {build:>9.2} {:>14} {:>26} {:>9.2}",
            format!("{before:.0} → {after:.0}"),
            percentiles(micros),
            hits as f64 / QUESTIONS as f64
        );
        drop(index);
    }
}
