//! Passages by meaning: one unit-length vector per passage, the nearest to a question's by
//! cosine (an exact scan: 10,000 passages of 1,536 numbers is about 15 million
//! multiply-adds, a few milliseconds), and reciprocal-rank fusion of the keyword and the
//! meaning rankings.

/// The `k` of reciprocal-rank fusion: a passage's fused score is the sum over the
/// rankings it is in of `1 / (k + rank)`, rank from 1.
pub const RRF_K: f32 = 60.0;

/// One vector per passage, in the index's order, each scaled to unit length.
#[derive(Debug, Clone, PartialEq)]
pub struct Vectors {
    dim: usize,
    data: Vec<f32>,
}

impl Vectors {
    /// The passages' vectors, in their order; `None` when they differ in length, are
    /// empty, or hold a number that is not finite.
    pub fn new(vectors: Vec<Vec<f32>>) -> Option<Self> {
        let dim = vectors.first().map_or(0, Vec::len);
        if dim == 0 && !vectors.is_empty() {
            return None;
        }
        let mut data = Vec::with_capacity(dim * vectors.len());
        for vector in vectors {
            if vector.len() != dim || vector.iter().any(|x| !x.is_finite()) {
                return None;
            }
            data.extend(unit(vector));
        }
        Some(Self { dim, data })
    }

    /// How many numbers each vector has.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How many passages have a vector.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The `k` passages nearest to `query` (their indexes and cosines), nearest first,
    /// none under `min_similarity`. A query of another length finds nothing.
    pub fn nearest(&self, query: &[f32], k: usize, min_similarity: f32) -> Vec<(usize, f32)> {
        if query.len() != self.dim || self.dim == 0 || k == 0 {
            return Vec::new();
        }
        let query = unit(query.to_vec());
        let mut found: Vec<(usize, f32)> = self
            .data
            .chunks_exact(self.dim)
            .map(|v| dot(v, &query))
            .enumerate()
            .filter(|(_, cosine)| *cosine >= min_similarity)
            .collect();
        // The best `k` first, without sorting the rest.
        let nearer = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1);
        if found.len() > k {
            found.select_nth_unstable_by(k - 1, nearer);
            found.truncate(k);
        }
        found.sort_by(nearer);
        found
    }
}

/// The dot product of two vectors of one length, summed in eight lanes so the compiler
/// can keep them in vector registers (a single running sum is one long dependency chain).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (whole_a, rest_a) = a.as_chunks::<8>();
    let (whole_b, rest_b) = b.as_chunks::<8>();
    for (x, y) in whole_a.iter().zip(whole_b) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    let rest: f32 = rest_a.iter().zip(rest_b).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + rest
}

fn unit(mut vector: Vec<f32>) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut vector {
            *x /= norm;
        }
    }
    vector
}

/// Reciprocal-rank fusion of rankings of passage indexes (each best first): every passage
/// in any of them with its fused score, best first (ties: the lower index first). The
/// score is scaled so that the top of every ranking scores 1.
pub fn fuse(rankings: &[&[usize]]) -> Vec<(usize, f32)> {
    let best = rankings.len() as f32 / (RRF_K + 1.0);
    let mut scores: Vec<(usize, f32)> = Vec::new();
    for ranking in rankings {
        for (rank, &passage) in ranking.iter().enumerate() {
            let add = 1.0 / (RRF_K + rank as f32 + 1.0);
            match scores.iter_mut().find(|(p, _)| *p == passage) {
                Some((_, score)) => *score += add,
                None => scores.push((passage, add)),
            }
        }
    }
    for (_, score) in &mut scores {
        *score /= best;
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_by_cosine_above_the_floor() {
        let vectors = Vectors::new(vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 2.0, 0.0],
            vec![1.0, 1.0, 0.0],
        ])
        .expect("valid");
        assert_eq!((vectors.len(), vectors.dim()), (3, 3));
        let found = vectors.nearest(&[0.0, 5.0, 0.0], 2, 0.5);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 1);
        assert!((found[0].1 - 1.0).abs() < 1e-6);
        assert_eq!(found[1].0, 2);
        assert!(vectors.nearest(&[0.0, 0.0, 1.0], 3, 0.1).is_empty());
        assert!(
            vectors.nearest(&[1.0, 0.0], 3, -1.0).is_empty(),
            "another length"
        );
        assert!(Vectors::new(vec![vec![1.0], vec![1.0, 2.0]]).is_none());
        assert!(Vectors::new(vec![vec![f32::NAN]]).is_none());
        assert!(Vectors::new(Vec::new()).expect("none").is_empty());
    }

    #[test]
    fn the_dot_product_in_lanes_is_the_plain_one() {
        let a: Vec<f32> = (0..21).map(|n| n as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..21).map(|n| 1.0 - n as f32 * 0.25).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn fusion_rewards_passages_both_rankings_place_high() {
        let fused = fuse(&[&[4, 1, 2], &[1, 3]]);
        let order: Vec<usize> = fused.iter().map(|(p, _)| *p).collect();
        assert_eq!(order, [1, 4, 3, 2]);
        let expected = (1.0 / 62.0 + 1.0 / 61.0) / (2.0 / 61.0);
        assert!((fused[0].1 - expected).abs() < 1e-6);
        assert!(
            (fuse(&[&[3], &[3]])[0].1 - 1.0).abs() < 1e-6,
            "top of both: 1"
        );
        assert!(fuse(&[]).is_empty());
    }
}
