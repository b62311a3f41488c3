//! The in-memory view of alerts and silences that reads are answered from.
//!
//! The database is the source of truth; this index is loaded from it at start and kept
//! current by every commit this instance makes (and, on PostgreSQL, by the change feed of
//! the other instances). Alerts are indexed by fingerprint and by (label name, value), so a
//! filtered query touches only the alerts that can match.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hinomi_core::{Fingerprint, InhibitRule, LabelSet, MatchOp, Matcher, Silence, SilenceState};
use hinomi_store::StoredAlert;

/// Alerts and silences as this instance knows them.
#[derive(Debug, Default)]
pub struct Index {
    alerts: HashMap<Fingerprint, Arc<StoredAlert>>,
    by_label: HashMap<Arc<str>, HashMap<Arc<str>, HashSet<Fingerprint>>>,
    silences: HashMap<String, Arc<Silence>>,
    inhibit_cache: Option<Arc<InhibitSources>>,
    /// Counts changes, for whoever shows the index live (the console's alert list).
    changes: tokio::sync::watch::Sender<u64>,
}

impl Index {
    /// A receiver that is told each time alerts or silences change.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    pub fn get(&self, fp: Fingerprint) -> Option<&Arc<StoredAlert>> {
        self.alerts.get(&fp)
    }

    /// Inserts alerts, or replaces the version held if the given one is not older (a
    /// reload that read the database before a newer commit cannot roll an alert back).
    pub fn apply(&mut self, alerts: impl IntoIterator<Item = StoredAlert>) {
        for alert in alerts {
            let fp = alert.fingerprint();
            if let Some(held) = self.alerts.get(&fp) {
                if held.alert.updated_at > alert.alert.updated_at {
                    continue;
                }
            } else {
                for (name, value) in alert.alert.labels.iter() {
                    let values = match self.by_label.get_mut(name) {
                        Some(v) => v,
                        None => self.by_label.entry(Arc::from(name)).or_default(),
                    };
                    match values.get_mut(value) {
                        Some(set) => {
                            set.insert(fp);
                        }
                        None => {
                            values.insert(Arc::from(value), HashSet::from([fp]));
                        }
                    }
                }
            }
            self.alerts.insert(fp, Arc::new(alert));
        }
        self.inhibit_cache = None;
        self.changed();
    }

    /// Forgets alerts that resolved before `before`.
    pub fn sweep(&mut self, before: i64) -> usize {
        let gone: Vec<Fingerprint> = self
            .alerts
            .iter()
            .filter(|(_, a)| a.alert.ends_at != 0 && a.alert.ends_at < before)
            .map(|(fp, _)| *fp)
            .collect();
        for fp in &gone {
            if let Some(a) = self.alerts.remove(fp) {
                for (name, value) in a.alert.labels.iter() {
                    if let Some(values) = self.by_label.get_mut(name) {
                        if let Some(set) = values.get_mut(value) {
                            set.remove(fp);
                            if set.is_empty() {
                                values.remove(value);
                            }
                        }
                        if values.is_empty() {
                            self.by_label.remove(name);
                        }
                    }
                }
            }
        }
        if !gone.is_empty() {
            self.inhibit_cache = None;
            self.changed();
        }
        gone.len()
    }

    /// Alerts that match every matcher (no matchers: all alerts), in no particular order.
    /// Equality matchers pick the candidates from the label index; regex matchers on a
    /// label the index knows expand to the values they match.
    pub fn select(&self, matchers: &[Matcher]) -> Vec<Arc<StoredAlert>> {
        let mut best: Option<HashSet<Fingerprint>> = None;
        for m in matchers {
            let candidates: Option<HashSet<Fingerprint>> = match m.op {
                MatchOp::Equal if !m.value.is_empty() => Some(
                    self.by_label
                        .get(m.name.as_str())
                        .and_then(|v| v.get(m.value.as_str()))
                        .cloned()
                        .unwrap_or_default(),
                ),
                MatchOp::Regex if !m.matches("") => Some(
                    self.by_label
                        .get(m.name.as_str())
                        .map(|values| {
                            values
                                .iter()
                                .filter(|(v, _)| m.matches(v))
                                .flat_map(|(_, set)| set.iter().copied())
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => None,
            };
            if let Some(c) = candidates
                && best.as_ref().is_none_or(|b| c.len() < b.len())
            {
                best = Some(c);
            }
        }
        let check = |a: &Arc<StoredAlert>| {
            matchers
                .iter()
                .all(|m| m.matches(a.alert.labels.get(&m.name).unwrap_or("")))
        };
        match best {
            Some(set) => set
                .iter()
                .filter_map(|fp| self.alerts.get(fp))
                .filter(|a| check(a))
                .cloned()
                .collect(),
            None => self.alerts.values().filter(|a| check(a)).cloned().collect(),
        }
    }

    /// Inserts a silence, or replaces the version held if the given one is not older.
    pub fn put_silence(&mut self, silence: Silence) {
        if let Some(held) = self.silences.get(&silence.id)
            && held.updated_at > silence.updated_at
        {
            return;
        }
        self.silences.insert(silence.id.clone(), Arc::new(silence));
        self.changed();
    }

    /// Forgets silences that ended before `before` (collected from the database too).
    pub fn sweep_silences(&mut self, before: i64) {
        self.silences.retain(|_, s| s.ends_at >= before);
        self.changed();
    }

    pub fn silence(&self, id: &str) -> Option<Arc<Silence>> {
        self.silences.get(id).cloned()
    }

    pub fn silences(&self) -> Vec<Arc<Silence>> {
        self.silences.values().cloned().collect()
    }

    /// The silences in force at `now`.
    pub fn active_silences(&self, now: i64) -> Vec<Arc<Silence>> {
        self.silences
            .values()
            .filter(|s| s.state(now) == SilenceState::Active)
            .cloned()
            .collect()
    }

    /// The firing alerts that can inhibit others under `rules`, grouped for lookup. Cached
    /// until the alerts change.
    pub fn inhibit_sources(&mut self, rules: &[InhibitRule]) -> Arc<InhibitSources> {
        if let Some(cache) = &self.inhibit_cache {
            return cache.clone();
        }
        let built = Arc::new(InhibitSources::build(
            rules,
            self.alerts.values().map(|a| a.as_ref()),
        ));
        self.inhibit_cache = Some(built.clone());
        built
    }

    /// Drops the inhibition cache (the rules changed).
    pub fn invalidate_inhibitions(&mut self) {
        self.inhibit_cache = None;
        self.changed();
    }
}

/// One source alert as an inhibition rule sees it.
#[derive(Debug, Clone, Copy)]
struct Source {
    fp: Fingerprint,
    ends_at: i64,
    /// The source also matches the rule's target side: it cannot inhibit an alert that
    /// matches both sides (Alertmanager's two-sided match exclusion).
    matches_target: bool,
}

/// One rule's possible source alerts, keyed by their values of the rule's `equal` labels.
type SourcesByEqual = HashMap<Vec<String>, Vec<Source>>;

/// For each inhibition rule, its possible source alerts keyed by their `equal` label values.
#[derive(Debug, Default)]
pub struct InhibitSources {
    rules: Vec<(InhibitRule, SourcesByEqual)>,
}

impl InhibitSources {
    fn build<'a>(rules: &[InhibitRule], alerts: impl Iterator<Item = &'a StoredAlert>) -> Self {
        let mut out: Vec<(InhibitRule, SourcesByEqual)> =
            rules.iter().map(|r| (r.clone(), HashMap::new())).collect();
        for a in alerts {
            let labels = &a.alert.labels;
            for (rule, map) in out.iter_mut() {
                if rule.source_matchers.matches(labels) {
                    map.entry(equal_values(rule, labels))
                        .or_default()
                        .push(Source {
                            fp: a.fingerprint(),
                            ends_at: a.alert.ends_at,
                            matches_target: rule.target_matchers.matches(labels),
                        });
                }
            }
        }
        InhibitSources { rules: out }
    }

    /// The source alert that inhibits `labels` at `now`, if any.
    pub fn inhibited_by(&self, labels: &LabelSet, now: i64) -> Option<Fingerprint> {
        self.first_source(labels, now, |_| false)
    }

    /// The first source that inhibits `labels` at `now`, passing over those `skip` names.
    fn first_source(
        &self,
        labels: &LabelSet,
        now: i64,
        skip: impl Fn(Fingerprint) -> bool,
    ) -> Option<Fingerprint> {
        for (rule, map) in &self.rules {
            if !rule.target_matchers.matches(labels) {
                continue;
            }
            let two_sided = rule.source_matchers.matches(labels);
            if let Some(sources) = map.get(&equal_values(rule, labels)) {
                for s in sources {
                    let firing = s.ends_at == 0 || s.ends_at > now;
                    if firing && !(two_sided && s.matches_target) && !skip(s.fp) {
                        return Some(s.fp);
                    }
                }
            }
        }
        None
    }
}

/// Inhibition as a flush inside a write transaction sees it: the index's sources, with the
/// alerts that transaction wrote (not in the index until it commits) in place of their
/// stored versions. A source and its target posted together inhibit as they would have
/// one after the other.
pub(crate) struct Inhibition<'a> {
    committed: &'a InhibitSources,
    pending: Option<(InhibitSources, HashSet<Fingerprint>)>,
}

impl<'a> Inhibition<'a> {
    pub(crate) fn new(
        committed: &'a InhibitSources,
        rules: &[InhibitRule],
        pending: &[&StoredAlert],
    ) -> Inhibition<'a> {
        let pending = (!pending.is_empty() && !rules.is_empty()).then(|| {
            (
                InhibitSources::build(rules, pending.iter().copied()),
                pending.iter().map(|a| a.fingerprint()).collect(),
            )
        });
        Inhibition { committed, pending }
    }

    pub(crate) fn inhibits(&self, labels: &LabelSet, now: i64) -> bool {
        match &self.pending {
            None => self.committed.inhibited_by(labels, now).is_some(),
            Some((pending, replaced)) => {
                pending.inhibited_by(labels, now).is_some()
                    || self
                        .committed
                        .first_source(labels, now, |fp| replaced.contains(&fp))
                        .is_some()
            }
        }
    }
}

fn equal_values(rule: &InhibitRule, labels: &LabelSet) -> Vec<String> {
    rule.equal
        .iter()
        .map(|n| labels.get(n).unwrap_or("").to_owned())
        .collect()
}
