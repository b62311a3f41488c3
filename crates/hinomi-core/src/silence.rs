//! Silences and the rules for creating, updating and expiring them
//! (`silence/silence.go`: `validateSilence`, `Set`, `canUpdate`, `expire`,
//! plus the checks `api/v2` makes on a posted silence).

use std::fmt;

use crate::goregex;
use crate::gostr;
use crate::labels::LabelSet;
use crate::matcher::{MatchOp, Matcher};

/// Why a silence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    /// No matchers at all.
    #[error("invalid silence: at least one matcher required")]
    NoMatchers,
    /// Matcher number `index` (from 0) is unusable.
    #[error("invalid silence: invalid label matcher {index}: {reason}")]
    InvalidMatcher {
        /// Position in the matcher list.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Every matcher would match an alert lacking the label.
    #[error("invalid silence: at least one matcher must not match the empty string")]
    AllMatchEmpty,
    /// `startsAt` is absent.
    #[error("invalid silence: invalid zero start timestamp")]
    ZeroStart,
    /// `endsAt` is absent.
    #[error("invalid silence: invalid zero end timestamp")]
    ZeroEnd,
    /// `endsAt` is before `startsAt`.
    #[error("invalid silence: end time must not be before start time")]
    EndBeforeStart,
    /// API check: `startsAt` is not strictly before `endsAt`.
    #[error("start time must be before end time")]
    StartNotBeforeEnd,
    /// API check: `endsAt` has passed.
    #[error("end time can't be in the past")]
    EndInPast,
    /// An update named a silence that does not exist.
    #[error("silence {} not found", gostr::quote(.0))]
    NotFound(String),
    /// Expiring a silence that has already ended.
    #[error("silence {} already expired", gostr::quote(.0))]
    AlreadyExpired(String),
}

/// Where a silence stands at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SilenceState {
    /// Ended.
    Expired,
    /// Muting now.
    Active,
    /// Not started yet.
    Pending,
}

impl SilenceState {
    /// The API's word for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Expired => "expired",
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
        }
    }
}

impl fmt::Display for SilenceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A time-boxed set of matchers that mutes alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silence {
    /// Identifier; empty for a silence not stored yet.
    pub id: String,
    /// All must match for an alert to be muted.
    pub matchers: Vec<Matcher>,
    /// Start (ms); 0 means "now" on creation.
    pub starts_at: i64,
    /// End (ms).
    pub ends_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// Who made it.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

impl Silence {
    /// Pending before `starts_at`, expired from `ends_at` on, active between.
    pub fn state(&self, now: i64) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now >= self.ends_at {
            // Exclusive end, unlike Alertmanager's inclusive one: it keeps nanoseconds, so
            // a silence it expires at `now` is expired for the next query; at milliseconds
            // an inclusive end would keep it muting for the rest of that millisecond.
            SilenceState::Expired
        } else {
            SilenceState::Active
        }
    }

    /// Whether every matcher accepts `labels` (absent labels are `""`);
    /// time is not considered.
    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.matchers
            .iter()
            .all(|m| m.matches(labels.value_or_empty(&m.name)))
    }

    /// Whether the silence mutes `labels` at `now`: active and matching.
    pub fn mutes(&self, labels: &LabelSet, now: i64) -> bool {
        self.state(now) == SilenceState::Active && self.matches(labels)
    }

    /// Everything a posted silence must pass: the API's own checks (start
    /// strictly before end, end not in the past) and then the store's
    /// ([`Silence::validate_definition`]).
    pub fn validate(&self, now: i64) -> Result<(), SilenceError> {
        if self.starts_at >= self.ends_at {
            return Err(SilenceError::StartNotBeforeEnd);
        }
        if self.ends_at < now {
            return Err(SilenceError::EndInPast);
        }
        self.validate_definition()
    }

    /// `validateSilence`: at least one matcher, each usable, not all
    /// matching the empty string, both times present, end not before start.
    pub fn validate_definition(&self) -> Result<(), SilenceError> {
        if self.matchers.is_empty() {
            return Err(SilenceError::NoMatchers);
        }
        let mut all_match_empty = true;
        for (index, m) in self.matchers.iter().enumerate() {
            validate_matcher(m).map_err(|reason| SilenceError::InvalidMatcher { index, reason })?;
            all_match_empty &= matches_empty(m);
        }
        if all_match_empty {
            return Err(SilenceError::AllMatchEmpty);
        }
        if self.starts_at == 0 {
            return Err(SilenceError::ZeroStart);
        }
        if self.ends_at == 0 {
            return Err(SilenceError::ZeroEnd);
        }
        if self.ends_at < self.starts_at {
            return Err(SilenceError::EndBeforeStart);
        }
        Ok(())
    }
}

/// Label names follow Alertmanager's default (UTF-8) rule: any non-empty
/// string. Regexes must also compile unanchored, as Alertmanager checks.
fn validate_matcher(m: &Matcher) -> Result<(), String> {
    if m.name.is_empty() {
        return Err(format!("invalid label name {}", gostr::quote(&m.name)));
    }
    if m.is_regex() {
        goregex::compile(&m.value)
            .map_err(|e| format!("invalid regular expression {}: {e}", gostr::quote(&m.value)))?;
    }
    Ok(())
}

/// Only `=` and `=~` can match a missing label.
fn matches_empty(m: &Matcher) -> bool {
    match m.op {
        MatchOp::Equal | MatchOp::Regex => m.matches(""),
        MatchOp::NotEqual | MatchOp::NotRegex => false,
    }
}

/// What storing a posted silence amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SilenceUpsert {
    /// A new silence (no id given, or the old one had already expired and
    /// stays as it was).
    Create(Silence),
    /// The existing silence is changed in place, keeping its id.
    UpdateInPlace(Silence),
    /// The change would rewrite history: the old silence is expired and a
    /// new one with a fresh id takes its place.
    ReplaceWithNew {
        /// The old silence, expired as of `now`.
        expire_old: Silence,
        /// Its replacement.
        new: Silence,
    },
}

/// `Silences.Set` as a pure decision. `existing` is the stored silence with
/// `incoming.id` (ignored when that id is empty); `new_id` is called only
/// when a new silence is made.
///
/// An absent start becomes `now`; the silence is validated
/// ([`Silence::validate_definition`]); an unknown id is an error; an update
/// that keeps history intact (see [`can_update`]) is done in place;
/// otherwise a new silence starts no earlier than `now` and the old one, if
/// not already expired, is expired.
pub fn plan_upsert(
    existing: Option<&Silence>,
    incoming: Silence,
    now: i64,
    new_id: impl FnOnce() -> String,
) -> Result<SilenceUpsert, SilenceError> {
    let mut sil = incoming;
    if sil.starts_at == 0 {
        sil.starts_at = now;
    }
    sil.validate_definition()?;

    let prev = if sil.id.is_empty() {
        None
    } else {
        Some(existing.ok_or_else(|| SilenceError::NotFound(sil.id.clone()))?)
    };

    if let Some(prev) = prev
        && can_update(prev, &sil, now)
    {
        sil.updated_at = now;
        return Ok(SilenceUpsert::UpdateInPlace(sil));
    }

    sil.id = new_id();
    if sil.starts_at < now {
        sil.starts_at = now;
    }
    sil.updated_at = now;

    match prev {
        Some(prev) if prev.state(now) != SilenceState::Expired => {
            Ok(SilenceUpsert::ReplaceWithNew {
                expire_old: expire(prev, now)?,
                new: sil,
            })
        }
        _ => Ok(SilenceUpsert::Create(sil)),
    }
}

/// `canUpdate`: same matchers in the same order, and a time change that
/// does not rewrite the past: an active silence keeps its start (to the
/// second) and may not end before `now`; a pending one may not start before
/// `now`; an expired one cannot be updated.
pub fn can_update(prev: &Silence, next: &Silence, now: i64) -> bool {
    if prev.matchers != next.matchers {
        return false;
    }
    match prev.state(now) {
        SilenceState::Active => {
            prev.starts_at.div_euclid(1000) == next.starts_at.div_euclid(1000)
                && next.ends_at >= now
        }
        SilenceState::Pending => next.starts_at >= now,
        SilenceState::Expired => false,
    }
}

/// Expires a silence at `now`: an active one ends now, a pending one starts
/// and ends now. Expiring an already expired silence is an error.
pub fn expire(existing: &Silence, now: i64) -> Result<Silence, SilenceError> {
    let mut sil = existing.clone();
    match sil.state(now) {
        SilenceState::Expired => return Err(SilenceError::AlreadyExpired(sil.id)),
        SilenceState::Active => sil.ends_at = now,
        SilenceState::Pending => {
            sil.starts_at = now;
            sil.ends_at = now;
        }
    }
    sil.updated_at = now;
    Ok(sil)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::MatchOp::{Equal, NotEqual, NotRegex, Regex};

    const MIN: i64 = 60_000;
    const NOW: i64 = 1_700_000_000_000;

    fn m(name: &str, op: MatchOp, value: &str) -> Matcher {
        Matcher::new(name, op, value).unwrap()
    }

    fn silence(id: &str, starts: i64, ends: i64) -> Silence {
        Silence {
            id: id.to_owned(),
            matchers: vec![m("alertname", Equal, "Disk")],
            starts_at: starts,
            ends_at: ends,
            updated_at: NOW - 10 * MIN,
            created_by: "ops".to_owned(),
            comment: "maintenance".to_owned(),
        }
    }

    #[test]
    fn state_boundaries() {
        let s = silence("a", NOW, NOW + MIN);
        assert_eq!(s.state(NOW - 1), SilenceState::Pending);
        assert_eq!(s.state(NOW), SilenceState::Active);
        assert_eq!(s.state(NOW + MIN - 1), SilenceState::Active);
        assert_eq!(s.state(NOW + MIN), SilenceState::Expired);
        assert_eq!(SilenceState::Pending.to_string(), "pending");
        assert_eq!(SilenceState::Expired.to_string(), "expired");
        assert_eq!(SilenceState::Active.to_string(), "active");
    }

    #[test]
    fn matching_and_muting() {
        let s = silence("a", NOW, NOW + MIN);
        let disk: LabelSet = [("alertname", "Disk"), ("host", "db1")]
            .into_iter()
            .collect();
        let cpu: LabelSet = [("alertname", "Cpu")].into_iter().collect();
        assert!(s.matches(&disk));
        assert!(!s.matches(&cpu));
        assert!(s.mutes(&disk, NOW));
        assert!(!s.mutes(&disk, NOW - 1));
    }

    #[test]
    fn validation_messages() {
        let base = silence("", NOW, NOW + MIN);
        assert_eq!(base.validate(NOW), Ok(()));
        let with = |matchers: Vec<Matcher>| Silence {
            matchers,
            ..base.clone()
        };
        let cases = [
            (
                with(vec![]),
                "invalid silence: at least one matcher required",
            ),
            (
                with(vec![m("a", Equal, ""), m("b", Regex, ".*")]),
                "invalid silence: at least one matcher must not match the empty string",
            ),
            (
                with(vec![m("", Equal, "x")]),
                r#"invalid silence: invalid label matcher 0: invalid label name """#,
            ),
            (
                with(vec![m("a", Equal, "x"), m("b", Regex, "a)|(b")]),
                r#"invalid silence: invalid label matcher 1: invalid regular expression "a)|(b": unopened group"#,
            ),
            (
                Silence {
                    ends_at: 0,
                    starts_at: NOW - MIN,
                    ..base.clone()
                },
                "invalid silence: invalid zero end timestamp",
            ),
            (
                Silence {
                    starts_at: 0,
                    ..base.clone()
                },
                "invalid silence: invalid zero start timestamp",
            ),
            (
                Silence {
                    ends_at: NOW - 1,
                    ..base.clone()
                },
                "invalid silence: end time must not be before start time",
            ),
        ];
        for (s, want) in cases {
            assert_eq!(s.validate_definition().unwrap_err().to_string(), want);
        }
        // Negative matchers never match the empty string, so this is fine.
        assert_eq!(
            with(vec![m("a", NotEqual, ""), m("b", NotRegex, "x")]).validate_definition(),
            Ok(())
        );
        // API checks come first.
        assert_eq!(
            Silence {
                ends_at: NOW,
                ..base.clone()
            }
            .validate(NOW)
            .unwrap_err()
            .to_string(),
            "start time must be before end time"
        );
        assert_eq!(
            silence("", NOW - 2 * MIN, NOW - MIN)
                .validate(NOW)
                .unwrap_err()
                .to_string(),
            "end time can't be in the past"
        );
    }

    fn fresh_id() -> String {
        "new-id".to_owned()
    }

    #[test]
    fn create_sets_id_start_and_update_time() {
        let plan = plan_upsert(None, silence("", 0, NOW + MIN), NOW, fresh_id).unwrap();
        let SilenceUpsert::Create(s) = plan else {
            panic!("{plan:?}")
        };
        assert_eq!(
            (s.id.as_str(), s.starts_at, s.updated_at),
            ("new-id", NOW, NOW)
        );
        // A start in the past is moved up to now.
        let plan = plan_upsert(None, silence("", NOW - MIN, NOW + MIN), NOW, fresh_id).unwrap();
        let SilenceUpsert::Create(s) = plan else {
            panic!("{plan:?}")
        };
        assert_eq!(s.starts_at, NOW);
    }

    #[test]
    fn unknown_id_is_not_found() {
        let err = plan_upsert(None, silence("gone", NOW, NOW + MIN), NOW, fresh_id).unwrap_err();
        assert_eq!(err.to_string(), r#"silence "gone" not found"#);
    }

    #[test]
    fn upsert_table() {
        let active = silence("s1", NOW - MIN, NOW + 10 * MIN);
        let pending = silence("s1", NOW + MIN, NOW + 10 * MIN);
        let expired = silence("s1", NOW - 10 * MIN, NOW - MIN);
        let other_matchers = |s: &Silence| Silence {
            matchers: vec![m("alertname", Equal, "Cpu")],
            ..s.clone()
        };
        // (existing, incoming, "in place" | "replace" | "create")
        let cases = [
            // Active: extend the end, keep the start.
            (
                &active,
                Silence {
                    ends_at: NOW + 20 * MIN,
                    ..active.clone()
                },
                "in place",
            ),
            // Active: same start to the second is still the same start.
            (
                &active,
                Silence {
                    starts_at: active.starts_at + 999 - (active.starts_at % 1000),
                    ..active.clone()
                },
                "in place",
            ),
            // Active: comment change only.
            (
                &active,
                Silence {
                    comment: "longer".into(),
                    ..active.clone()
                },
                "in place",
            ),
            // Active: moving the start rewrites history.
            (
                &active,
                Silence {
                    starts_at: NOW - 2 * MIN,
                    ..active.clone()
                },
                "replace",
            ),
            // Active: ending in the past rewrites history.
            (
                &active,
                Silence {
                    ends_at: NOW - 1,
                    starts_at: NOW - MIN,
                    ..active.clone()
                },
                "replace",
            ),
            // Active: other matchers.
            (&active, other_matchers(&active), "replace"),
            // Pending: any future start is fine.
            (
                &pending,
                Silence {
                    starts_at: NOW + 5 * MIN,
                    ..pending.clone()
                },
                "in place",
            ),
            // Pending: starting now is fine; before now is not.
            (
                &pending,
                Silence {
                    starts_at: NOW,
                    ..pending.clone()
                },
                "in place",
            ),
            (
                &pending,
                Silence {
                    starts_at: NOW - 1,
                    ..pending.clone()
                },
                "replace",
            ),
            // Expired: always a new silence, the old one left alone.
            (
                &expired,
                Silence {
                    ends_at: NOW + MIN,
                    ..expired.clone()
                },
                "create",
            ),
        ];
        for (i, (existing, incoming, want)) in cases.into_iter().enumerate() {
            let plan = plan_upsert(Some(existing), incoming.clone(), NOW, fresh_id)
                .unwrap_or_else(|e| panic!("case {i}: {e}"));
            match (want, plan) {
                ("in place", SilenceUpsert::UpdateInPlace(s)) => {
                    assert_eq!(s.id, "s1", "case {i}");
                    assert_eq!(s.updated_at, NOW, "case {i}");
                    assert_eq!(s.starts_at, incoming.starts_at, "case {i}");
                }
                ("replace", SilenceUpsert::ReplaceWithNew { expire_old, new }) => {
                    assert_eq!(new.id, "new-id", "case {i}");
                    assert!(new.starts_at >= NOW, "case {i}");
                    assert_eq!(expire_old.id, "s1", "case {i}");
                    assert_eq!(expire_old.state(NOW + 1), SilenceState::Expired, "case {i}");
                    assert_eq!(expire_old.updated_at, NOW, "case {i}");
                }
                ("create", SilenceUpsert::Create(s)) => {
                    assert_eq!(s.id, "new-id", "case {i}");
                    assert_eq!(s.starts_at, NOW, "case {i}");
                }
                (want, got) => panic!("case {i}: want {want}, got {got:?}"),
            }
        }
    }

    #[test]
    fn expire_rules() {
        let active = expire(&silence("a", NOW - MIN, NOW + MIN), NOW).unwrap();
        assert_eq!(
            (active.starts_at, active.ends_at, active.updated_at),
            (NOW - MIN, NOW, NOW)
        );
        let pending = expire(&silence("p", NOW + MIN, NOW + 2 * MIN), NOW).unwrap();
        assert_eq!((pending.starts_at, pending.ends_at), (NOW, NOW));
        let err = expire(&silence("x", NOW - 2 * MIN, NOW - MIN), NOW).unwrap_err();
        assert_eq!(err.to_string(), r#"silence "x" already expired"#);
    }
}
