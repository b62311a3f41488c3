//! What an incident's timeline says by itself about the alert groups linked to it: each
//! alert episode that begins firing, at the instant it started, and each that resolves, at
//! the instant it ended. A link remembers the episodes it has told (`fingerprint@starts_at`,
//! the form pages use), so every flush of the group tells only what changed since.

use std::collections::BTreeSet;

use serde_json::json;

use super::EntryKind;
use crate::Alert;

/// At most this many entries of each kind for one look at a group; the rest are counted in
/// one entry, so a storm of thousands of alerts does not bury the timeline.
pub const MAX_ALERT_ENTRIES: usize = 20;

/// One entry to write about a linked group's alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEntry {
    pub kind: EntryKind,
    /// When it happened: the alert's start or end, never after the look.
    pub at: i64,
    pub text: String,
    pub data: serde_json::Value,
}

/// An alert episode's identity: its fingerprint and when it started.
pub fn episode(alert: &Alert) -> String {
    format!("{}@{}", alert.fingerprint(), alert.starts_at)
}

/// One line naming an alert: its name, then its summary (or description) if it has one,
/// else its other labels.
pub fn alert_line(alert: &Alert) -> String {
    let summary = ["summary", "description"]
        .iter()
        .find_map(|k| alert.annotations.get(k).filter(|v| !v.trim().is_empty()));
    match summary {
        Some(s) => format!("{}: {}", alert.name(), s.trim()),
        None => {
            let others: Vec<String> = alert
                .labels
                .iter()
                .filter(|(k, _)| *k != "alertname")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if others.is_empty() {
                alert.name().to_owned()
            } else {
                format!("{} {{{}}}", alert.name(), others.join(", "))
            }
        }
    }
}

/// The entries for a linked group whose members are `alerts` at `now`, given the episodes
/// already told (`told`); answers them, in time order, with the episodes told from now on
/// (those firing now). An episode told that no longer fires resolved: at its end if the
/// alert is still a member, else at `now`.
pub fn alert_entries(
    told: &BTreeSet<String>,
    alerts: &[&Alert],
    group_key: &str,
    now: i64,
) -> (Vec<AlertEntry>, BTreeSet<String>) {
    let at_or_now = |t: i64| if t <= 0 || t > now { now } else { t };
    let firing: Vec<&Alert> = alerts
        .iter()
        .copied()
        .filter(|a| !a.resolved_at(now))
        .collect();
    let firing_now: BTreeSet<String> = firing.iter().map(|a| episode(a)).collect();

    let mut fired: Vec<AlertEntry> = firing
        .iter()
        .filter(|a| !told.contains(&episode(a)))
        .map(|a| AlertEntry {
            kind: EntryKind::AlertFired,
            at: at_or_now(a.starts_at),
            text: alert_line(a),
            data: json!({
                "group_key": group_key,
                "fingerprint": a.fingerprint().to_string(),
                "labels": a.labels.iter().collect::<std::collections::BTreeMap<_, _>>(),
            }),
        })
        .collect();
    let mut resolved: Vec<AlertEntry> = told
        .iter()
        .filter(|e| !firing_now.contains(*e))
        .map(|e| {
            let member = alerts.iter().find(|a| episode(a) == *e);
            let (at, text, labels) = match member {
                Some(a) => (
                    at_or_now(a.ends_at),
                    alert_line(a),
                    json!(a.labels.iter().collect::<std::collections::BTreeMap<_, _>>()),
                ),
                None => (now, e.clone(), json!({})),
            };
            let fingerprint = e.split('@').next().unwrap_or_default();
            AlertEntry {
                kind: EntryKind::AlertResolved,
                at,
                text,
                data: json!({ "group_key": group_key, "fingerprint": fingerprint, "labels": labels }),
            }
        })
        .collect();
    let mut out = Vec::new();
    for list in [&mut fired, &mut resolved] {
        list.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.text.cmp(&b.text)));
        if list.len() > MAX_ALERT_ENTRIES {
            let rest = list.split_off(MAX_ALERT_ENTRIES);
            let last = rest.iter().map(|e| e.at).max().unwrap_or(now);
            let kind = rest[0].kind;
            list.push(AlertEntry {
                kind,
                at: last,
                text: format!("+{}", rest.len()),
                data: json!({ "group_key": group_key, "more": rest.len() }),
            });
        }
        out.append(list);
    }
    out.sort_by_key(|e| e.at);
    (out, firing_now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LabelSet;

    fn alert(name: &str, instance: &str, starts: i64, ends: i64) -> Alert {
        let mut labels = LabelSet::default();
        labels.insert("alertname", name);
        labels.insert("instance", instance);
        Alert {
            labels,
            annotations: LabelSet::default(),
            starts_at: starts,
            ends_at: ends,
            updated_at: starts,
            generator_url: String::new(),
            timeout: false,
        }
    }

    #[test]
    fn new_episodes_fire_at_their_start_and_told_ones_resolve_at_their_end() {
        let pool = alert("DBConnectionPoolExhausted", "db1", 1_000, 0);
        let mut cache = alert("CacheMemoryLow", "cache1", 2_000, 0);
        cache.annotations.insert("summary", "キャッシュメモリ不足");
        let (entries, told) = alert_entries(&BTreeSet::new(), &[&pool, &cache], "{}:{}", 5_000);
        let texts: Vec<(EntryKind, i64, &str)> = entries
            .iter()
            .map(|e| (e.kind, e.at, e.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (
                    EntryKind::AlertFired,
                    1_000,
                    "DBConnectionPoolExhausted {instance=db1}"
                ),
                (
                    EntryKind::AlertFired,
                    2_000,
                    "CacheMemoryLow: キャッシュメモリ不足"
                ),
            ]
        );
        assert_eq!(told.len(), 2);

        // Nothing changed: nothing to say.
        let (again, same) = alert_entries(&told, &[&pool, &cache], "{}:{}", 6_000);
        assert!(again.is_empty());
        assert_eq!(same, told);

        // The pool recovers at 7s; the cache alert left the group unseen.
        let pool_done = alert("DBConnectionPoolExhausted", "db1", 1_000, 7_000);
        let (entries, told) = alert_entries(&told, &[&pool_done], "{}:{}", 8_000);
        let kinds: Vec<(EntryKind, i64)> = entries.iter().map(|e| (e.kind, e.at)).collect();
        assert_eq!(
            kinds,
            [
                (EntryKind::AlertResolved, 7_000),
                (EntryKind::AlertResolved, 8_000)
            ]
        );
        assert!(told.is_empty());

        // The same alert firing again is a new episode.
        let pool_again = alert("DBConnectionPoolExhausted", "db1", 9_000, 0);
        let (entries, _) = alert_entries(&told, &[&pool_again], "{}:{}", 9_500);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].at, 9_000);
    }

    #[test]
    fn a_storm_is_cut_to_the_first_entries_and_a_count() {
        let alerts: Vec<Alert> = (0..50)
            .map(|i| alert("NetworkCongestion", &format!("sw{i:02}"), 1_000 + i, 0))
            .collect();
        let refs: Vec<&Alert> = alerts.iter().collect();
        let (entries, told) = alert_entries(&BTreeSet::new(), &refs, "g", 5_000);
        assert_eq!(entries.len(), MAX_ALERT_ENTRIES + 1);
        assert_eq!(entries.last().unwrap().text, "+30");
        assert_eq!(entries.last().unwrap().data["more"], 30);
        assert_eq!(told.len(), 50, "every episode counts as told");
    }

    #[test]
    fn times_never_lie_in_the_future_or_at_zero() {
        let a = alert("ProcessDown", "app1", 0, 0);
        let (entries, _) = alert_entries(&BTreeSet::new(), &[&a], "g", 5_000);
        assert_eq!(entries[0].at, 5_000);
    }
}
