//! Heartbeat (dead-man) monitors: a job (a nightly backup, say) calls its URL each time it
//! runs; a beat that does not come within the period and its grace opens an alert, and the
//! next beat resolves it. Pure rules: when a beat is overdue, what the alert says, and
//! which names and timings are accepted.

use crate::{Alert, LabelSet};

/// Shortest period a heartbeat may have.
pub const MIN_PERIOD_MS: i64 = 1_000;
/// Longest period (31 days: a monthly job).
pub const MAX_PERIOD_MS: i64 = 31 * 24 * 3_600_000;
/// Longest grace (a week).
pub const MAX_GRACE_MS: i64 = 7 * 24 * 3_600_000;
/// The `alertname` of a missed beat's alert.
pub const ALERT_NAME: &str = "HeartbeatMissed";

/// Why a heartbeat's definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeartbeatError {
    #[error("a name is 1 to 64 letters, digits, '.', '_' or '-'")]
    Name,
    #[error("the period must be between 1s and 31d")]
    Period,
    #[error("the grace must be between 0s and 7d")]
    Grace,
    #[error("the labels may not set alertname or heartbeat")]
    ReservedLabel,
}

/// Checks a heartbeat's name (it names the alert and appears in URLs people read).
pub fn check_name(name: &str) -> Result<(), HeartbeatError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then_some(()).ok_or(HeartbeatError::Name)
}

/// Checks a heartbeat's period, grace and extra labels.
pub fn check(period_ms: i64, grace_ms: i64, labels: &LabelSet) -> Result<(), HeartbeatError> {
    if !(MIN_PERIOD_MS..=MAX_PERIOD_MS).contains(&period_ms) {
        return Err(HeartbeatError::Period);
    }
    if !(0..=MAX_GRACE_MS).contains(&grace_ms) {
        return Err(HeartbeatError::Grace);
    }
    if labels.contains("alertname") || labels.contains("heartbeat") {
        return Err(HeartbeatError::ReservedLabel);
    }
    Ok(())
}

/// When a beat is overdue, the last one (or the monitor's creation) having come at `at`.
pub fn overdue_at(at: i64, period_ms: i64, grace_ms: i64) -> i64 {
    at + period_ms + grace_ms
}

/// The deduplication key of a heartbeat's alert: one alert per heartbeat, from its miss
/// until the next beat.
pub fn dedup_key(name: &str) -> String {
    format!("heartbeat/{name}")
}

/// The alert a missed beat opens at `now`: `alertname=HeartbeatMissed`, `heartbeat=<name>`
/// and the heartbeat's own labels; firing until the next beat resolves it.
pub fn missed_alert(name: &str, labels: &LabelSet, last_beat: Option<i64>, now: i64) -> Alert {
    let mut all = labels.clone();
    all.insert("alertname", ALERT_NAME);
    all.insert("heartbeat", name);
    let mut annotations = LabelSet::new();
    annotations.insert("summary", format!("heartbeat {name} missed its beat"));
    let since = match last_beat {
        Some(t) => format!("last beat {}", crate::time::format_millis(t)),
        None => "no beat yet".to_owned(),
    };
    annotations.insert("description", since);
    Alert {
        labels: all,
        annotations,
        starts_at: now,
        ends_at: 0,
        updated_at: now,
        generator_url: String::new(),
        timeout: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_timings_are_checked() {
        assert!(check_name("backup-verification").is_ok());
        assert_eq!(check_name("バックアップ"), Err(HeartbeatError::Name));
        assert_eq!(check_name(""), Err(HeartbeatError::Name));
        let none = LabelSet::new();
        assert!(check(24 * 3_600_000, 3_600_000, &none).is_ok());
        assert_eq!(check(500, 0, &none), Err(HeartbeatError::Period));
        assert_eq!(check(60_000, -1, &none), Err(HeartbeatError::Grace));
        let mut reserved = LabelSet::new();
        reserved.insert("heartbeat", "x");
        assert_eq!(
            check(60_000, 0, &reserved),
            Err(HeartbeatError::ReservedLabel)
        );
    }

    #[test]
    fn a_missed_beat_is_one_alert_named_after_the_heartbeat() {
        let mut labels = LabelSet::new();
        labels.insert("team", "db");
        let a = missed_alert(
            "backup-verification",
            &labels,
            Some(1_700_000_000_000),
            90_000_000,
        );
        assert_eq!(a.name(), ALERT_NAME);
        assert_eq!(a.labels.get("heartbeat"), Some("backup-verification"));
        assert_eq!(a.labels.get("team"), Some("db"));
        assert_eq!((a.starts_at, a.ends_at), (90_000_000, 0));
        assert!(!a.resolved_at(i64::MAX));
        assert_eq!(
            a.annotations.get("description"),
            Some("last beat 2023-11-14T22:13:20.000Z")
        );
        assert_eq!(dedup_key("nightly"), "heartbeat/nightly");
        assert_eq!(overdue_at(1_000, 86_400_000, 3_600_000), 90_001_000);
    }
}
