//! What the worker counts for `/metrics`: outcomes per channel, send latency and the time to take a
//! case's posters down everywhere. Queue figures come from the database at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::store::outbox::{Channel, QueueStats};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Upper bounds of the resolve-to-last-withdrawal buckets, in seconds.
const TAKEDOWN_BUCKETS: [f64; 11] = [
    1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// A cumulative histogram over fixed bounds.
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            count: 0,
            sum: 0.0,
        }
    }

    fn observe(&mut self, secs: f64) {
        for (i, bound) in self.bounds.iter().enumerate() {
            if secs <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }

    /// `name_bucket`, `name_sum` and `name_count` lines; `labels` is `key="value",` or empty.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, n) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", self.count);
        let plain = labels.trim_end_matches(',');
        let plain = if plain.is_empty() {
            String::new()
        } else {
            format!("{{{plain}}}")
        };
        let _ = writeln!(out, "{name}_sum{plain} {:.6}", self.sum);
        let _ = writeln!(out, "{name}_count{plain} {}", self.count);
    }
}

pub struct DispatchMetrics {
    outcomes: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    takedown: Mutex<Histogram>,
}

impl Default for DispatchMetrics {
    fn default() -> Self {
        DispatchMetrics {
            outcomes: Mutex::default(),
            latency: Mutex::default(),
            takedown: Mutex::new(Histogram::new(&TAKEDOWN_BUCKETS)),
        }
    }
}

impl std::fmt::Debug for DispatchMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DispatchMetrics")
    }
}

impl DispatchMetrics {
    pub fn observe(&self, channel: Channel, outcome: &'static str, took: Duration) {
        let mut o = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        *o.entry((channel.as_str(), outcome)).or_default() += 1;
        drop(o);
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        l.entry(channel.as_str())
            .or_insert_with(|| Histogram::new(&BUCKETS))
            .observe(took.as_secs_f64());
    }

    /// A case's takedown completed: `took` from the resolve to its last recipient withdrawn.
    pub fn observe_takedown(&self, took: Duration) {
        self.takedown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(took.as_secs_f64());
    }

    /// Outcomes counted so far for `channel` and `outcome`.
    pub fn outcomes(&self, channel: Channel, outcome: &str) -> u64 {
        let o = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        o.iter()
            .filter(|((c, l), _)| *c == channel.as_str() && *l == outcome)
            .map(|(_, n)| *n)
            .sum()
    }

    /// The Prometheus text exposition of these counters, the queue and the retargets that failed.
    pub fn render(&self, queue: &QueueStats, retarget_failures: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP lookout_deliveries Deliveries in the outbox by state and channel.\n");
        out.push_str("# TYPE lookout_deliveries gauge\n");
        for (state, channel, n) in &queue.by_state {
            let _ = writeln!(
                out,
                "lookout_deliveries{{state=\"{state}\",channel=\"{channel}\"}} {n}"
            );
        }
        out.push_str("# HELP lookout_queue_due Deliveries due to be sent now.\n");
        out.push_str("# TYPE lookout_queue_due gauge\n");
        let _ = writeln!(out, "lookout_queue_due {}", queue.due);
        out.push_str(
            "# HELP lookout_queue_oldest_due_seconds How long the longest-waiting due delivery has waited.\n",
        );
        out.push_str("# TYPE lookout_queue_oldest_due_seconds gauge\n");
        let _ = writeln!(
            out,
            "lookout_queue_oldest_due_seconds {:.3}",
            queue.oldest_due_secs
        );
        out.push_str("# HELP lookout_send_outcomes_total Send attempts by channel and outcome.\n");
        out.push_str("# TYPE lookout_send_outcomes_total counter\n");
        for ((channel, outcome), n) in self
            .outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "lookout_send_outcomes_total{{channel=\"{channel}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP lookout_send_seconds Time one send attempt took.\n");
        out.push_str("# TYPE lookout_send_seconds histogram\n");
        for (channel, h) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            h.render(
                &mut out,
                "lookout_send_seconds",
                &format!("channel=\"{channel}\","),
            );
        }
        out.push_str(
            "# HELP lookout_takedown_seconds From a case's resolve to its last recipient withdrawn.\n",
        );
        out.push_str("# TYPE lookout_takedown_seconds histogram\n");
        self.takedown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .render(&mut out, "lookout_takedown_seconds", "");
        out.push_str("# HELP lookout_retarget_failures_total Retargets of a case that failed.\n");
        out.push_str("# TYPE lookout_retarget_failures_total counter\n");
        let _ = writeln!(out, "lookout_retarget_failures_total {retarget_failures}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = DispatchMetrics::default();
        m.observe(Channel::Webhook, "delivered", Duration::from_millis(3));
        m.observe(Channel::Webhook, "retry", Duration::from_millis(700));
        m.observe_takedown(Duration::from_secs(7));
        let text = m.render(
            &QueueStats {
                by_state: vec![("pending".into(), "email".into(), 4)],
                due: 2,
                oldest_due_secs: 1.5,
            },
            3,
        );
        assert!(text.contains("lookout_deliveries{state=\"pending\",channel=\"email\"} 4"));
        assert!(text.contains("lookout_queue_due 2"));
        assert!(
            text.contains("lookout_send_outcomes_total{channel=\"webhook\",outcome=\"retry\"} 1")
        );
        assert!(text.contains("lookout_send_seconds_bucket{channel=\"webhook\",le=\"0.005\"} 1"));
        assert!(text.contains("lookout_send_seconds_bucket{channel=\"webhook\",le=\"1\"} 2"));
        assert!(text.contains("lookout_send_seconds_count{channel=\"webhook\"} 2"));
        assert_eq!(m.outcomes(Channel::Webhook, "delivered"), 1);
        assert!(text.contains("lookout_takedown_seconds_bucket{le=\"5\"} 0"));
        assert!(text.contains("lookout_takedown_seconds_bucket{le=\"10\"} 1"));
        assert!(text.contains("lookout_takedown_seconds_count 1"));
        assert!(text.contains("lookout_retarget_failures_total 3"));
    }
}
