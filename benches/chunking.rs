//! Time per byte of speech cleanup and chunking for one large delta (`cargo bench --bench
//! chunking`): a model may send a whole reply, or a hostile one a megabyte without a space,
//! in one delta. Flat nanoseconds per byte from 1 KB to 1 MB means the work is linear.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::hint::black_box;
use std::time::Instant;

use voicebridge::speech::{SpeechSettings, SpeechStream};

fn main() {
    let kinds: [(&str, &str); 4] = [
        (
            "prose",
            "Sure, Dr. Smith can see you at 3 p.m. tomorrow; does that work? ",
        ),
        ("no spaces (ASCII)", "abcdefghij"),
        ("no spaces (accented)", "éàüöçñøåëï"),
        ("periods, no spaces", "a.b.c.d.e."),
    ];
    let sizes = [1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20];
    println!("== one delta of N bytes: clean + chunk + finish, ns per byte (best of runs)");
    print!("{:<22}", "text");
    for size in sizes {
        print!("{:>10}", label(size));
    }
    println!();
    for (name, unit) in kinds {
        print!("{name:<22}");
        let mut slow = false;
        for size in sizes {
            if slow {
                // The previous size took over a second once: a larger one would take
                // minutes if the work grew faster than the input.
                print!("{:>10}", "skipped");
                continue;
            }
            let text: String = unit.repeat(size / unit.len() + 1);
            let text = cut_to(&text, size);
            // Enough runs for a stable figure at small sizes, one at the largest.
            let runs = (1 << 20) / size.max(1);
            let best = (0..runs.clamp(1, 50))
                .map(|_| {
                    let start = Instant::now();
                    let mut stream = SpeechStream::new(SpeechSettings::default());
                    let mut chunks = stream.push(text);
                    chunks.extend(stream.finish());
                    black_box(chunks);
                    start.elapsed().as_nanos() as f64
                })
                .fold(f64::MAX, f64::min);
            slow = best > 1e9;
            print!("{:>10.1}", best / text.len() as f64);
        }
        println!();
    }
}

fn label(size: usize) -> String {
    if size >= 1 << 20 {
        format!("{} MB", size >> 20)
    } else {
        format!("{} KB", size >> 10)
    }
}

/// `text` cut to at most `size` bytes, at a character boundary.
fn cut_to(text: &str, size: usize) -> &str {
    let mut end = size.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
