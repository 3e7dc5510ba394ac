//! What the worker counts for `/metrics`: outcomes per channel and send latency. Queue figures come
//! from the database at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::dispatch::outbox::{Channel, QueueStats};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Latency {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct DispatchMetrics {
    outcomes: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latency: Mutex<BTreeMap<&'static str, Latency>>,
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
        let secs = took.as_secs_f64();
        let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = l.entry(channel.as_str()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Outcomes counted so far for `channel` and `outcome`.
    pub fn outcomes(&self, channel: Channel, outcome: &str) -> u64 {
        let o = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        o.iter()
            .filter(|((c, l), _)| *c == channel.as_str() && *l == outcome)
            .map(|(_, n)| *n)
            .sum()
    }

    /// The Prometheus text exposition of these counters and the queue.
    pub fn render(&self, queue: &QueueStats) -> String {
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
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "lookout_send_seconds_bucket{{channel=\"{channel}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "lookout_send_seconds_bucket{{channel=\"{channel}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "lookout_send_seconds_sum{{channel=\"{channel}\"}} {:.6}",
                h.sum
            );
            let _ = writeln!(
                out,
                "lookout_send_seconds_count{{channel=\"{channel}\"}} {}",
                h.count
            );
        }
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
        let text = m.render(&QueueStats {
            by_state: vec![("pending".into(), "email".into(), 4)],
            due: 2,
            oldest_due_secs: 1.5,
        });
        assert!(text.contains("lookout_deliveries{state=\"pending\",channel=\"email\"} 4"));
        assert!(text.contains("lookout_queue_due 2"));
        assert!(
            text.contains("lookout_send_outcomes_total{channel=\"webhook\",outcome=\"retry\"} 1")
        );
        assert!(text.contains("lookout_send_seconds_bucket{channel=\"webhook\",le=\"0.005\"} 1"));
        assert!(text.contains("lookout_send_seconds_bucket{channel=\"webhook\",le=\"1\"} 2"));
        assert!(text.contains("lookout_send_seconds_count{channel=\"webhook\"} 2"));
        assert_eq!(m.outcomes(Channel::Webhook, "delivered"), 1);
    }
}
