//! Alerts: identity, resolution, merging of updates and the normalisation
//! Alertmanager applies to posted alerts (`types.Alert`,
//! `api/v2 postAlertsHandler`, `provider/mem Put`).
//!
//! Times are UTC epoch milliseconds; `0` stands for Go's zero time (absent).

use std::fmt;

use crate::labels::{Fingerprint, LabelError, LabelSet, validate_label_name};

/// Why an alert was refused (`model.Alert.Validate`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// `startsAt` is absent.
    #[error("start time missing")]
    MissingStart,
    /// `endsAt` is before `startsAt`.
    #[error("start time must be before end time")]
    EndBeforeStart,
    /// A label name outside the classic rule.
    #[error("invalid label set: {0}")]
    InvalidLabels(LabelError),
    /// No labels at all.
    #[error("at least one label pair required")]
    NoLabels,
}

/// Whether an alert is firing or resolved at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertStatus {
    /// Not resolved.
    Firing,
    /// `ends_at` has passed.
    Resolved,
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        })
    }
}

/// One alert as Alertmanager keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Identity; names follow the classic rule.
    pub labels: LabelSet,
    /// Free-form details; names are not checked.
    pub annotations: LabelSet,
    /// When it started firing (ms); 0 when absent.
    pub starts_at: i64,
    /// When it ends or ended (ms); 0 when absent.
    pub ends_at: i64,
    /// The authoritative update time (ms), set on intake.
    pub updated_at: i64,
    /// Link back to the source.
    pub generator_url: String,
    /// Whether `ends_at` was made up from the resolve timeout rather than
    /// sent by the client.
    pub timeout: bool,
}

impl Alert {
    /// The fingerprint of the labels.
    pub fn fingerprint(&self) -> Fingerprint {
        self.labels.fingerprint()
    }

    /// The `alertname` label, or `""`.
    pub fn name(&self) -> &str {
        self.labels.value_or_empty("alertname")
    }

    /// `ResolvedAt`: `ends_at` is set and not after `now`.
    pub fn resolved_at(&self, now: i64) -> bool {
        self.ends_at != 0 && self.ends_at <= now
    }

    /// Firing or resolved at `now`.
    pub fn status(&self, now: i64) -> AlertStatus {
        if self.resolved_at(now) {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        }
    }

    /// `types.Alert.Merge`: combines two versions of the same alert. The one
    /// updated later (`other` on a tie) provides everything but the span:
    /// the earlier start wins, and a later end from the older version is
    /// kept when both are resolved, or, while the newer one still fires, when
    /// that end was sent by the client rather than made up.
    pub fn merge(&self, other: &Alert, now: i64) -> Alert {
        let (older, newer) = if other.updated_at < self.updated_at {
            (other, self)
        } else {
            (self, other)
        };
        let mut res = newer.clone();
        if older.starts_at < newer.starts_at {
            res.starts_at = older.starts_at;
        }
        if newer.resolved_at(now) {
            if older.resolved_at(now) && older.ends_at > newer.ends_at {
                res.ends_at = older.ends_at;
            }
        } else if older.ends_at > newer.ends_at && !older.timeout {
            res.ends_at = older.ends_at;
        }
        res
    }

    /// `model.Alert.Validate` as Alertmanager applies it to posted alerts:
    /// start present, end not before start, classic label names, at least
    /// one label. Annotation names are not checked.
    pub fn validate(&self) -> Result<(), AlertError> {
        if self.starts_at == 0 {
            return Err(AlertError::MissingStart);
        }
        if self.ends_at != 0 && self.ends_at < self.starts_at {
            return Err(AlertError::EndBeforeStart);
        }
        for (name, _) in self.labels.iter() {
            validate_label_name(name).map_err(AlertError::InvalidLabels)?;
        }
        if self.labels.is_empty() {
            return Err(AlertError::NoLabels);
        }
        Ok(())
    }
}

/// What Alertmanager's API does to a posted alert before storing it:
/// `updated_at = now`; an absent start becomes the end if one was sent,
/// else `now`; an absent end becomes `now + resolve_timeout` with
/// `timeout = true`; labels with empty values are dropped. Validation
/// ([`Alert::validate`]) comes after this.
pub fn normalize_posted(mut alert: Alert, now: i64, resolve_timeout_ms: i64) -> Alert {
    alert.updated_at = now;
    if alert.starts_at == 0 {
        alert.starts_at = if alert.ends_at == 0 {
            now
        } else {
            alert.ends_at
        };
    }
    alert.timeout = alert.ends_at == 0;
    if alert.timeout {
        alert.ends_at = now.saturating_add(resolve_timeout_ms);
    }
    alert.labels.remove_empty_values();
    alert
}

/// What the alert store does when `incoming` arrives for a fingerprint it
/// already holds as `existing` (`provider/mem Alerts.Put`): the two are
/// merged only when their activity spans overlap, otherwise `incoming`
/// replaces the old one.
pub fn merge_on_put(existing: Option<&Alert>, incoming: Alert, now: i64) -> Alert {
    let Some(old) = existing else {
        return incoming;
    };
    let overlaps = (incoming.ends_at > old.starts_at && incoming.ends_at < old.ends_at)
        || (incoming.starts_at > old.starts_at && incoming.starts_at < old.ends_at);
    if overlaps {
        old.merge(&incoming, now)
    } else {
        incoming
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_700_000_000_000;

    fn alert(starts: i64, ends: i64, updated: i64, timeout: bool) -> Alert {
        Alert {
            labels: [("alertname", "Disk")].into_iter().collect(),
            annotations: LabelSet::new(),
            starts_at: starts,
            ends_at: ends,
            updated_at: updated,
            generator_url: String::new(),
            timeout,
        }
    }

    #[test]
    fn resolution_is_inclusive_of_now() {
        let a = alert(T0, T0 + MIN, T0, false);
        assert!(!a.resolved_at(T0 + MIN - 1));
        assert!(a.resolved_at(T0 + MIN));
        assert!(!alert(T0, 0, T0, false).resolved_at(i64::MAX));
        assert_eq!(a.status(T0), AlertStatus::Firing);
        assert_eq!(a.status(T0 + MIN).to_string(), "resolved");
    }

    #[test]
    fn merge_table() {
        let now = T0 + 10 * MIN;
        // (older, newer, want starts, want ends)
        let cases = [
            // The earlier start wins whichever version has it.
            (
                alert(T0, now + MIN, T0, true),
                alert(T0 + MIN, now + 5 * MIN, T0 + 1, true),
                T0,
                now + 5 * MIN,
            ),
            (
                alert(T0 + MIN, now + MIN, T0, true),
                alert(T0, now + 5 * MIN, T0 + 1, true),
                T0,
                now + 5 * MIN,
            ),
            // Newer firing: an older client-sent later end is kept...
            (
                alert(T0, now + 9 * MIN, T0, false),
                alert(T0, now + 5 * MIN, T0 + 1, true),
                T0,
                now + 9 * MIN,
            ),
            // ...but not a made-up one.
            (
                alert(T0, now + 9 * MIN, T0, true),
                alert(T0, now + 5 * MIN, T0 + 1, true),
                T0,
                now + 5 * MIN,
            ),
            // Newer resolved, older firing: the resolution stands.
            (
                alert(T0, now + 9 * MIN, T0, false),
                alert(T0, now - MIN, T0 + 1, false),
                T0,
                now - MIN,
            ),
            // Both resolved: the later end wins.
            (
                alert(T0, now - MIN, T0, false),
                alert(T0, now - 2 * MIN, T0 + 1, false),
                T0,
                now - MIN,
            ),
            (
                alert(T0, now - 3 * MIN, T0, false),
                alert(T0, now - 2 * MIN, T0 + 1, false),
                T0,
                now - 2 * MIN,
            ),
        ];
        for (i, (older, newer, starts, ends)) in cases.into_iter().enumerate() {
            for merged in [older.merge(&newer, now), newer.merge(&older, now)] {
                assert_eq!(
                    (merged.starts_at, merged.ends_at),
                    (starts, ends),
                    "case {i}"
                );
                assert_eq!(merged.updated_at, newer.updated_at, "case {i}");
                assert_eq!(merged.timeout, newer.timeout, "case {i}");
            }
        }
    }

    #[test]
    fn merge_takes_annotations_from_the_newer_and_prefers_the_argument_on_ties() {
        let mut a = alert(T0, T0 + MIN, T0, true);
        a.annotations.insert("summary", "old");
        let mut b = alert(T0, T0 + MIN, T0, true);
        b.annotations.insert("summary", "new");
        assert_eq!(a.merge(&b, T0).annotations.get("summary"), Some("new"));
        assert_eq!(b.merge(&a, T0).annotations.get("summary"), Some("old"));
        let mut later = alert(T0, T0 + MIN, T0 + 5, true);
        later.annotations.insert("summary", "later");
        assert_eq!(
            later.merge(&a, T0).annotations.get("summary"),
            Some("later")
        );
    }

    #[test]
    fn normalize_posted_table() {
        let rt = 5 * MIN;
        // (starts, ends) in, (starts, ends, timeout) out
        let cases = [
            ((0, 0), (T0, T0 + rt, true)),
            ((T0 - MIN, 0), (T0 - MIN, T0 + rt, true)),
            ((0, T0 - MIN), (T0 - MIN, T0 - MIN, false)),
            ((0, T0 + MIN), (T0 + MIN, T0 + MIN, false)),
            ((T0 - 2 * MIN, T0 - MIN), (T0 - 2 * MIN, T0 - MIN, false)),
        ];
        for ((s, e), (ws, we, wt)) in cases {
            let mut input = alert(s, e, 0, false);
            input.labels.insert("empty", "");
            let out = normalize_posted(input, T0, rt);
            assert_eq!(
                (out.starts_at, out.ends_at, out.timeout),
                (ws, we, wt),
                "{s} {e}"
            );
            assert_eq!(out.updated_at, T0);
            assert_eq!(out.labels.get("empty"), None);
            assert_eq!(out.labels.len(), 1);
        }
    }

    #[test]
    fn validate_messages() {
        let ok = alert(T0, T0 + MIN, T0, false);
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (alert(0, T0, T0, false), "start time missing"),
            (
                alert(T0, T0 - 1, T0, false),
                "start time must be before end time",
            ),
            (
                Alert {
                    labels: LabelSet::new(),
                    ..ok.clone()
                },
                "at least one label pair required",
            ),
            (
                Alert {
                    labels: [("bad-name", "x")].into_iter().collect(),
                    ..ok.clone()
                },
                r#"invalid label set: invalid label name "bad-name""#,
            ),
        ];
        for (a, want) in cases {
            assert_eq!(a.validate().unwrap_err().to_string(), want);
        }
        let mut annotated = ok;
        annotated.annotations.insert("runbook-url", "x");
        assert_eq!(annotated.validate(), Ok(()));
    }

    #[test]
    fn merge_on_put_only_merges_overlapping_spans() {
        let now = T0 + 10 * MIN;
        let old = alert(T0, now + 5 * MIN, T0, false);
        // Re-sent with the same start and a later end: no overlap rule
        // applies, the new version replaces the old one.
        let resent = alert(T0, now + 9 * MIN, now, true);
        assert_eq!(merge_on_put(Some(&old), resent.clone(), now), resent);
        // A later start inside the old span: merged, earliest start kept.
        let inside = alert(T0 + MIN, now + 9 * MIN, now, true);
        let merged = merge_on_put(Some(&old), inside, now);
        assert_eq!(merged.starts_at, T0);
        // An end inside the old span (a resolution): merged.
        let resolve = alert(T0 + 2 * MIN, now - MIN, now, false);
        let merged = merge_on_put(Some(&old), resolve, now);
        assert_eq!((merged.starts_at, merged.ends_at), (T0, now - MIN));
        // A new episode after the old one ended replaces it.
        let fresh = alert(now + 6 * MIN, now + 20 * MIN, now, true);
        assert_eq!(merge_on_put(Some(&old), fresh.clone(), now), fresh);
        assert_eq!(merge_on_put(None, fresh.clone(), now), fresh);
    }
}
