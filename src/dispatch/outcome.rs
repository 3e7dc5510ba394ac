//! The one vocabulary every channel answers in, so the outbox worker records outcomes the same way
//! whether the poster went by email or webhook.

use std::time::Duration;

/// Operator-facing error strings are cut to this many characters: a remote server's reply can be
/// long, and a delivery row is not a log file.
const MAX_ERROR_CHARS: usize = 300;

/// What happened to one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver took it (HTTP 2xx, SMTP 250, or the `.eml` file was written).
    Delivered,
    /// Try again later; `after` is the receiver's own wish (Retry-After), if it said one.
    Retry {
        after: Option<Duration>,
        error: String,
    },
    /// Final for this delivery: retrying the same request cannot succeed.
    Failed { error: String },
    /// The endpoint said it is gone for good (HTTP 410): stop sending to it at all.
    DisableEndpoint { error: String },
    /// Not sent: the case closed after the delivery was claimed. Never tried again.
    Cancelled { error: String },
}

impl SendOutcome {
    pub fn retry(after: Option<Duration>, error: impl Into<String>) -> Self {
        SendOutcome::Retry {
            after,
            error: short(error.into()),
        }
    }

    pub fn failed(error: impl Into<String>) -> Self {
        SendOutcome::Failed {
            error: short(error.into()),
        }
    }

    pub fn disable(error: impl Into<String>) -> Self {
        SendOutcome::DisableEndpoint {
            error: short(error.into()),
        }
    }

    pub fn cancelled(error: impl Into<String>) -> Self {
        SendOutcome::Cancelled {
            error: short(error.into()),
        }
    }

    pub fn is_delivered(&self) -> bool {
        matches!(self, SendOutcome::Delivered)
    }

    /// The operator-readable error, if the attempt did not deliver.
    pub fn error(&self) -> Option<&str> {
        match self {
            SendOutcome::Delivered => None,
            SendOutcome::Retry { error, .. }
            | SendOutcome::Failed { error }
            | SendOutcome::DisableEndpoint { error }
            | SendOutcome::Cancelled { error } => Some(error),
        }
    }

    /// A fixed label for metrics (`outcome="retry"`).
    pub fn label(&self) -> &'static str {
        match self {
            SendOutcome::Delivered => "delivered",
            SendOutcome::Retry { .. } => "retry",
            SendOutcome::Failed { .. } => "failed",
            SendOutcome::DisableEndpoint { .. } => "disabled",
            SendOutcome::Cancelled { .. } => "cancelled",
        }
    }

    /// What becomes of the delivery: `attempts_made` so far (this one included) and the retry
    /// schedule decide when a retry is due, or that it is given up.
    pub fn verdict<R: rand::Rng + ?Sized>(
        &self,
        attempts_made: u32,
        at: chrono::DateTime<chrono::Utc>,
        rng: &mut R,
    ) -> crate::store::outbox::Verdict {
        use crate::store::outbox::Verdict;
        match self {
            SendOutcome::Delivered => Verdict::Delivered,
            SendOutcome::Retry { after, .. } => {
                match super::retry::next_attempt(attempts_made, at, *after, rng) {
                    Some(t) => Verdict::RetryAt(t),
                    None => Verdict::Failed,
                }
            }
            SendOutcome::Failed { .. } => Verdict::Failed,
            SendOutcome::DisableEndpoint { .. } => Verdict::Gone,
            SendOutcome::Cancelled { .. } => Verdict::Cancelled,
        }
    }
}

/// One line, at most [`MAX_ERROR_CHARS`] characters: remote replies may carry newlines.
fn short(error: String) -> String {
    let one_line: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() <= MAX_ERROR_CHARS {
        return trimmed.to_string();
    }
    let mut cut: String = trimmed.chars().take(MAX_ERROR_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_short_line() {
        let o = SendOutcome::failed(format!("550 5.1.1 no such user\r\n{}", "x".repeat(1000)));
        let e = o.error().unwrap();
        assert!(!e.contains('\n') && !e.contains('\r'));
        assert_eq!(e.chars().count(), MAX_ERROR_CHARS);
        assert!(e.starts_with("550 5.1.1 no such user"));
        assert!(e.ends_with('…'));
    }

    #[test]
    fn labels_and_errors_follow_the_variant() {
        assert_eq!(SendOutcome::Delivered.error(), None);
        assert!(SendOutcome::Delivered.is_delivered());
        let r = SendOutcome::retry(Some(Duration::from_secs(3)), "HTTP 503");
        assert_eq!(r.label(), "retry");
        assert_eq!(r.error(), Some("HTTP 503"));
        assert_eq!(SendOutcome::disable("HTTP 410").label(), "disabled");
    }
}
