//! Whether an alert group needs a notification now
//! (`notify/notify.go DedupStage.needsUpdate`), given what the notification
//! log says was last sent to the receiver.

use std::collections::BTreeSet;
use std::fmt;

/// What was last sent for one group to one receiver.
///
/// Alertmanager keys its log entries by xxhash of the labels; any stable
/// per-alert hash works the same way, and hinomi uses the fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NotifyLogEntry {
    /// Alerts that were firing in the last notification.
    pub firing: BTreeSet<u64>,
    /// Alerts that were resolved in the last notification.
    pub resolved: BTreeSet<u64>,
    /// When it was sent (ms).
    pub sent_at: i64,
}

/// Why a notification is (or is not) due; the text is Alertmanager's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotifyReason {
    /// Nothing to send.
    DoNotNotify,
    /// Nothing was sent before (or the last message resolved everything)
    /// and something fires.
    FirstNotification,
    /// Alerts fire that the last message did not carry.
    NewAlertsInGroup,
    /// Alerts resolved since the last message (receiver wants resolved).
    NewResolvedAlerts,
    /// Everything resolved after something had been reported firing.
    AllAlertsResolved,
    /// Nothing changed and the repeat interval has passed.
    RepeatIntervalElapsed,
}

impl NotifyReason {
    /// Whether a notification is due.
    pub fn should_notify(self) -> bool {
        self != NotifyReason::DoNotNotify
    }
}

impl fmt::Display for NotifyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotifyReason::DoNotNotify => "none",
            NotifyReason::FirstNotification => "first notification",
            NotifyReason::NewAlertsInGroup => "new alerts added",
            NotifyReason::NewResolvedAlerts => "some alerts resolved",
            NotifyReason::AllAlertsResolved => "all alerts resolved",
            NotifyReason::RepeatIntervalElapsed => "repeat interval elapsed",
        })
    }
}

/// The decision with its reason.
///
/// - nothing sent before: notify when something fires;
/// - alerts fire that were not in the last message: notify;
/// - nothing fires: notify only if the last message had firing alerts
///   (done whatever `send_resolved` says, to clear the log);
/// - `send_resolved` and resolved alerts the last message did not list:
///   notify;
/// - otherwise notify when the last message is older than
///   `now - repeat_interval` (strictly).
pub fn notify_reason(
    prev: Option<&NotifyLogEntry>,
    firing: &BTreeSet<u64>,
    resolved: &BTreeSet<u64>,
    send_resolved: bool,
    repeat_interval_ms: i64,
    now: i64,
) -> NotifyReason {
    let Some(prev) = prev else {
        return if firing.is_empty() {
            NotifyReason::DoNotNotify
        } else {
            NotifyReason::FirstNotification
        };
    };
    if !firing.is_subset(&prev.firing) {
        return if prev.firing.is_empty() {
            NotifyReason::FirstNotification
        } else {
            NotifyReason::NewAlertsInGroup
        };
    }
    if firing.is_empty() {
        return if prev.firing.is_empty() {
            NotifyReason::DoNotNotify
        } else {
            NotifyReason::AllAlertsResolved
        };
    }
    if send_resolved && !resolved.is_subset(&prev.resolved) {
        return NotifyReason::NewResolvedAlerts;
    }
    if prev.sent_at < now.saturating_sub(repeat_interval_ms) {
        NotifyReason::RepeatIntervalElapsed
    } else {
        NotifyReason::DoNotNotify
    }
}

/// [`notify_reason`] reduced to yes or no.
pub fn needs_update(
    prev: Option<&NotifyLogEntry>,
    firing: &BTreeSet<u64>,
    resolved: &BTreeSet<u64>,
    send_resolved: bool,
    repeat_interval_ms: i64,
    now: i64,
) -> bool {
    notify_reason(
        prev,
        firing,
        resolved,
        send_resolved,
        repeat_interval_ms,
        now,
    )
    .should_notify()
}

#[cfg(test)]
mod tests {
    use super::*;
    use NotifyReason::*;

    const NOW: i64 = 1_700_000_000_000;
    const HOUR: i64 = 3_600_000;

    /// (previous entry, firing, resolved, send_resolved, expected)
    type Case<'a> = (
        Option<NotifyLogEntry>,
        &'a [u64],
        &'a [u64],
        bool,
        NotifyReason,
    );

    fn set(v: &[u64]) -> BTreeSet<u64> {
        v.iter().copied().collect()
    }

    fn entry(firing: &[u64], resolved: &[u64], sent_at: i64) -> NotifyLogEntry {
        NotifyLogEntry {
            firing: set(firing),
            resolved: set(resolved),
            sent_at,
        }
    }

    #[test]
    fn needs_update_table() {
        let recent = NOW - HOUR;
        let old = NOW - 5 * HOUR;
        // (prev, firing, resolved, send_resolved, want)
        let cases: &[Case] = &[
            (None, &[1], &[], true, FirstNotification),
            (None, &[], &[1], true, DoNotNotify),
            (None, &[], &[], true, DoNotNotify),
            (
                Some(entry(&[1], &[], recent)),
                &[1, 2],
                &[],
                true,
                NewAlertsInGroup,
            ),
            (
                Some(entry(&[], &[1], recent)),
                &[2],
                &[1],
                false,
                FirstNotification,
            ),
            (
                Some(entry(&[1, 2], &[], recent)),
                &[1],
                &[2],
                true,
                NewResolvedAlerts,
            ),
            (
                Some(entry(&[1, 2], &[], recent)),
                &[1],
                &[2],
                false,
                DoNotNotify,
            ),
            (
                Some(entry(&[1, 2], &[], recent)),
                &[],
                &[1, 2],
                false,
                AllAlertsResolved,
            ),
            (
                Some(entry(&[1, 2], &[], recent)),
                &[],
                &[1, 2],
                true,
                AllAlertsResolved,
            ),
            (
                Some(entry(&[], &[1], recent)),
                &[],
                &[1, 2],
                true,
                DoNotNotify,
            ),
            (
                Some(entry(&[1], &[2], recent)),
                &[1],
                &[2],
                true,
                DoNotNotify,
            ),
            (
                Some(entry(&[1], &[], old)),
                &[1],
                &[],
                true,
                RepeatIntervalElapsed,
            ),
            (
                Some(entry(&[1, 2], &[], recent)),
                &[1],
                &[],
                true,
                DoNotNotify,
            ),
            // Exactly one repeat interval ago is not yet "before".
            (
                Some(entry(&[1], &[], NOW - 4 * HOUR)),
                &[1],
                &[],
                true,
                DoNotNotify,
            ),
            (
                Some(entry(&[1], &[], NOW - 4 * HOUR - 1)),
                &[1],
                &[],
                true,
                RepeatIntervalElapsed,
            ),
        ];
        for (i, (prev, firing, resolved, send_resolved, want)) in cases.iter().enumerate() {
            let got = notify_reason(
                prev.as_ref(),
                &set(firing),
                &set(resolved),
                *send_resolved,
                4 * HOUR,
                NOW,
            );
            assert_eq!(got, *want, "case {i}");
            assert_eq!(
                needs_update(
                    prev.as_ref(),
                    &set(firing),
                    &set(resolved),
                    *send_resolved,
                    4 * HOUR,
                    NOW
                ),
                want.should_notify(),
                "case {i}"
            );
        }
        assert_eq!(RepeatIntervalElapsed.to_string(), "repeat interval elapsed");
    }
}
