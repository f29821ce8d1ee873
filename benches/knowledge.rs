//! The knowledge base's search and indexing (`cargo bench --bench knowledge`): synthetic
//! passages of about 800 characters, indexed at 1k, 10k and 100k passages
//! (`BENCH_KNOWLEDGE_SIZES=1000,10000` to choose), then 2000 spoken-style questions of six
//! words each searched one after another, as prefetch does (top 3).
//!
//! Prints per size: the build time, the process's resident memory before and after the
//! build, and the search time per question (p50/p99/max). Then, for search by meaning,
//! the same number of random unit vectors of 1,536 numbers: the time of one exact scan
//! for the 10 nearest plus the fusion with 10 keyword hits, per question (p50/p99/max),
//! and the vectors' memory. The words are drawn from a
//! fixed vocabulary of 20 000 made-up words with a Zipf-like skew, with a seeded
//! generator, so every run indexes the same text.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::time::Instant;

#[path = "support/words.rs"]
mod words;

use voicebridge::knowledge::{language, vectors, Passage, PassageIndex, Vectors};
use words::Words;

const QUESTIONS: usize = 2_000;
/// The length of the vectors of the scan (OpenAI's `text-embedding-3-small`).
const DIM: usize = 1_536;

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
    println!();
    println!(
        "{:>9} {:>12} {:>34}",
        "passages", "vectors MiB", "scan + fusion µs (p50/p99/max)"
    );
    for size in sizes_of_vectors() {
        let mut words = Words(0x51_7CC1_B727_220A ^ size as u64);
        let random = |words: &mut Words| (words.next() % 2001) as f32 / 1000.0 - 1.0;
        let all: Vec<Vec<f32>> = (0..size)
            .map(|_| (0..DIM).map(|_| random(&mut words)).collect())
            .collect();
        let vectors = Vectors::new(all).expect("one length");
        let keyword: Vec<usize> = (0..10).map(|n| n * 7 % size).collect();
        let mut micros = Vec::with_capacity(QUESTIONS / 10);
        for _ in 0..QUESTIONS / 10 {
            let query: Vec<f32> = (0..DIM).map(|_| random(&mut words)).collect();
            let started = Instant::now();
            let near: Vec<usize> = vectors
                .nearest(&query, 10, -1.0)
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            let fused = vectors::fuse(&[&keyword, &near]);
            micros.push(started.elapsed().as_secs_f64() * 1e6);
            assert!(fused.len() >= 10);
        }
        println!(
            "{size:>9} {:>12.0} {:>34}",
            (vectors.len() * DIM * 4) as f64 / 1048576.0,
            percentiles(micros)
        );
    }
}

/// `BENCH_KNOWLEDGE_VECTOR_SIZES` (default 1000,10000,100000).
fn sizes_of_vectors() -> Vec<usize> {
    std::env::var("BENCH_KNOWLEDGE_VECTOR_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000])
}
