//! Read queries over the in-memory index: alerts with their status, and alert groups, with
//! Alertmanager's filters (`active`, `silenced`, `inhibited`, `unprocessed`, label matchers,
//! receiver regex).

use std::collections::BTreeMap;
use std::sync::Arc;

use hinomi_core::{LabelSet, Matcher};
use hinomi_store::StoredAlert;
use regex::Regex;

use crate::Engine;

/// Which alerts a query wants.
#[derive(Debug, Clone)]
pub struct AlertQuery {
    pub active: bool,
    pub silenced: bool,
    pub inhibited: bool,
    pub unprocessed: bool,
    pub matchers: Vec<Matcher>,
    /// Anchored regex on receiver names.
    pub receiver: Option<Regex>,
}

impl Default for AlertQuery {
    fn default() -> Self {
        AlertQuery {
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
            matchers: Vec::new(),
            receiver: None,
        }
    }
}

/// Alertmanager's alert states. hinomi routes an alert in the commit that stores it, so an
/// alert is never seen unprocessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Active,
    Suppressed,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Active => "active",
            AlertState::Suppressed => "suppressed",
        }
    }
}

/// An alert with what the pipeline makes of it now.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub alert: Arc<StoredAlert>,
    pub receivers: Vec<String>,
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
    pub state: AlertState,
}

/// Alerts that share a route and grouping labels, as a query sees them.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The group's key as stored (`<route id>:<group labels>`), which incidents link.
    pub key: String,
    pub labels: LabelSet,
    pub receiver: String,
    pub alerts: Vec<AlertView>,
}

impl Engine {
    /// Firing alerts that pass `q`, ordered by fingerprint.
    pub fn query_alerts(&self, q: &AlertQuery) -> Vec<AlertView> {
        let mut out: Vec<AlertView> = self
            .evaluate(q)
            .into_iter()
            .filter(|v| {
                q.receiver
                    .as_ref()
                    .is_none_or(|re| v.receivers.iter().any(|r| re.is_match(r)))
            })
            .collect();
        out.sort_unstable_by_key(|v| v.alert.fingerprint());
        out
    }

    /// Alert groups with at least one alert passing `q`, in Alertmanager's order.
    pub fn query_groups(&self, q: &AlertQuery) -> Vec<GroupView> {
        let config = self.config();
        let mut groups: BTreeMap<String, GroupView> = BTreeMap::new();
        for view in self.evaluate(q) {
            for route in config.route.match_routes(&view.alert.alert.labels) {
                if q.receiver
                    .as_ref()
                    .is_some_and(|re| !re.is_match(&route.opts.receiver))
                {
                    continue;
                }
                let labels = route.group_labels(&view.alert.alert.labels);
                // One group per route, as Alertmanager lists them: sibling routes with equal
                // matchers share a groupKey but not a group.
                let key = format!("{}:{labels}", route.id);
                groups
                    .entry(key.clone())
                    .or_insert_with(|| GroupView {
                        key,
                        labels,
                        receiver: route.opts.receiver.clone(),
                        alerts: Vec::new(),
                    })
                    .alerts
                    .push(view.clone());
            }
        }
        let mut out: Vec<GroupView> = groups.into_values().collect();
        for g in &mut out {
            g.alerts.sort_by(|a, b| {
                hinomi_notify::webhook::alert_order(&a.alert.alert, &b.alert.alert)
            });
        }
        out.sort_by(|a, b| {
            if a.labels == b.labels {
                a.receiver.cmp(&b.receiver)
            } else {
                hinomi_notify::webhook::label_set_order(&a.labels, &b.labels)
            }
        });
        out
    }

    /// Firing alerts matching the label matchers and state flags of `q`, with status.
    fn evaluate(&self, q: &AlertQuery) -> Vec<AlertView> {
        let now = self.now();
        let config = self.config();
        let (candidates, silences, inhibit) = {
            let mut index = self.shared.index.write().expect("index lock");
            let inhibit = index.inhibit_sources(&config.inhibit_rules);
            (
                index.select(&q.matchers),
                index.active_silences(now),
                inhibit,
            )
        };
        let mut out = Vec::with_capacity(candidates.len());
        for alert in candidates {
            let a = &alert.alert;
            if a.resolved_at(now) {
                continue;
            }
            let mut silenced_by: Vec<String> = silences
                .iter()
                .filter(|s| s.matches(&a.labels))
                .map(|s| s.id.clone())
                .collect();
            silenced_by.sort();
            let inhibited_by: Vec<String> = inhibit
                .inhibited_by(&a.labels, now)
                .map(|fp| vec![fp.to_string()])
                .unwrap_or_default();
            let state = if silenced_by.is_empty() && inhibited_by.is_empty() {
                AlertState::Active
            } else {
                AlertState::Suppressed
            };
            if (!q.active && state == AlertState::Active)
                || (!q.silenced && !silenced_by.is_empty())
                || (!q.inhibited && !inhibited_by.is_empty())
            {
                continue;
            }
            let receivers = config
                .route
                .match_routes(&a.labels)
                .into_iter()
                .map(|r| r.opts.receiver.clone())
                .collect();
            out.push(AlertView {
                alert,
                receivers,
                silenced_by,
                inhibited_by,
                state,
            });
        }
        out
    }
}
