//! Latency summaries.

use std::time::Duration;

/// Percentiles of a set of durations, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub count: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

impl Latency {
    pub fn of(samples: &mut [Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        // Nearest-rank percentile: the smallest sample with at least p% at or below it.
        let rank = |p: f64| -> Duration {
            let n = samples.len();
            let r = ((p / 100.0) * n as f64).ceil() as usize;
            samples[r.clamp(1, n) - 1]
        };
        let total: Duration = samples.iter().sum();
        Latency {
            count: samples.len(),
            p50_us: us(rank(50.0)),
            p90_us: us(rank(90.0)),
            p99_us: us(rank(99.0)),
            p999_us: us(rank(99.9)),
            max_us: samples.last().map(|d| us(*d)).unwrap_or_default(),
            mean_us: us(total) / samples.len() as f64,
        }
    }

    pub fn line(&self) -> String {
        format!(
            "p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs, mean {:.1} µs ({} samples)",
            self.p50_us, self.p90_us, self.p99_us, self.p999_us, self.max_us, self.mean_us, self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let l = Latency::of(&mut v);
        assert_eq!(l.p50_us.round(), 50.0);
        assert_eq!(l.p99_us.round(), 99.0);
        assert_eq!(l.max_us.round(), 100.0);
    }
}
