//! Row types: what the store hands out and takes in, one per table.

use std::collections::BTreeSet;

use hinomi_core::{Alert, Fingerprint, LabelSet, Silence};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec;
use crate::{Result, StoreError};

pub(crate) const ALERT_COLUMNS: &str = "a.fingerprint, a.labels, a.annotations, a.generator_url, \
     t.starts_at, t.ends_at, t.updated_at, t.timeout, a.dedup";

/// The two tables an alert is stored in, as `a` (what it is) and `t` (its times).
pub(crate) const ALERT_TABLES: &str =
    "alerts a JOIN alert_times t ON t.fingerprint = a.fingerprint";

/// An alert as stored: the domain alert plus the PagerDuty-style deduplication key that
/// events from integrations address it by. The fingerprint is computed once, here; the
/// labels are the alert's identity and must not change afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAlert {
    pub alert: Alert,
    /// `integration/dedup_key` for alerts that came in through an integration key.
    pub dedup: Option<String>,
    fingerprint: Fingerprint,
}

impl StoredAlert {
    pub fn new(alert: Alert, dedup: Option<String>) -> StoredAlert {
        StoredAlert {
            fingerprint: alert.fingerprint(),
            alert,
            dedup,
        }
    }

    /// [`StoredAlert::new`] for an alert whose fingerprint is known already (intake
    /// computes it once per alert, and hashing the labels again shows in profiles).
    pub fn with_fingerprint(
        alert: Alert,
        dedup: Option<String>,
        fingerprint: Fingerprint,
    ) -> StoredAlert {
        debug_assert_eq!(alert.fingerprint(), fingerprint);
        StoredAlert {
            fingerprint,
            alert,
            dedup,
        }
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Whether `other` differs from this alert only in its times: then only its
    /// `alert_times` row needs writing.
    pub fn same_content(&self, other: &StoredAlert) -> bool {
        self.fingerprint == other.fingerprint
            && self.dedup == other.dedup
            && self.alert.generator_url == other.alert.generator_url
            && self.alert.annotations == other.alert.annotations
            && self.alert.labels == other.alert.labels
    }

    pub(crate) fn from_row(row: &AnyRow) -> Result<StoredAlert> {
        let fp = codec::fp_from_db(row.try_get("fingerprint")?);
        let alert = Alert {
            labels: codec::labels_from_json(&row.try_get::<String, _>("labels")?)?,
            annotations: codec::labels_from_json(&row.try_get::<String, _>("annotations")?)?,
            generator_url: row.try_get("generator_url")?,
            starts_at: row.try_get("starts_at")?,
            ends_at: row.try_get("ends_at")?,
            updated_at: row.try_get("updated_at")?,
            timeout: row.try_get::<i64, _>("timeout")? != 0,
        };
        if alert.fingerprint() != fp {
            return Err(StoreError::Corrupt(format!(
                "alert {fp} has labels that hash to {}",
                alert.fingerprint()
            )));
        }
        Ok(StoredAlert {
            alert,
            dedup: row.try_get("dedup")?,
            fingerprint: fp,
        })
    }
}

pub(crate) const SILENCE_COLUMNS: &str =
    "id, matchers, starts_at, ends_at, updated_at, created_by, comment";

pub(crate) fn silence_from_row(row: &AnyRow) -> Result<Silence> {
    Ok(Silence {
        id: row.try_get("id")?,
        matchers: codec::matchers_from_json(&row.try_get::<String, _>("matchers")?)?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        updated_at: row.try_get("updated_at")?,
        created_by: row.try_get("created_by")?,
        comment: row.try_get("comment")?,
    })
}

/// A group that a newly routed alert belongs to; created if it does not exist yet.
#[derive(Clone, Debug)]
pub struct NewGroup {
    /// The group's identity: its route's id and its group labels. Not the payload's
    /// `groupKey`, which sibling routes with equal matchers share.
    pub group_key: String,
    pub route_id: String,
    pub receiver: String,
    pub group_labels: LabelSet,
    /// When the group should first flush: `now + group_wait`, or `now` for an alert that
    /// started longer than `group_wait` ago.
    pub flush_at: i64,
}

pub(crate) const GROUP_COLUMNS: &str =
    "group_key, route_id, receiver, group_labels, created_at, next_flush_at, flushed";

/// An alert group with its timer, as claimed for a flush.
#[derive(Clone, Debug)]
pub struct GroupRow {
    pub group_key: String,
    pub route_id: String,
    pub receiver: String,
    pub group_labels: LabelSet,
    pub created_at: i64,
    pub next_flush_at: i64,
    pub flushed: bool,
}

impl GroupRow {
    pub(crate) fn from_row(row: &AnyRow) -> Result<GroupRow> {
        Ok(GroupRow {
            group_key: row.try_get("group_key")?,
            route_id: row.try_get("route_id")?,
            receiver: row.try_get("receiver")?,
            group_labels: codec::labels_from_json(&row.try_get::<String, _>("group_labels")?)?,
            created_at: row.try_get("created_at")?,
            next_flush_at: row.try_get("next_flush_at")?,
            flushed: row.try_get::<i64, _>("flushed")? != 0,
        })
    }
}

/// The last notification sent for one (group, receiver, integration): what the next flush
/// compares against to decide whether anything changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotifyLog {
    pub receiver: String,
    pub integration: i64,
    pub firing: BTreeSet<u64>,
    pub resolved: BTreeSet<u64>,
    pub sent_at: i64,
}

/// A notification to write into the outbox, already leased to the writing instance so it
/// can deliver at once without a second claim.
#[derive(Clone, Debug)]
pub struct NewOutbox {
    pub idempotency_key: String,
    pub group_key: String,
    pub receiver: String,
    pub integration: i64,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub lease_owner: String,
    pub lease_until: i64,
    /// Set when no channel can carry it: the row is stored as failed with this reason, so
    /// the delivery log shows what was not sent.
    pub undeliverable: Option<String>,
}

/// An outbox row as listed for operators.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    pub id: i64,
    pub group_key: String,
    pub receiver: String,
    pub integration: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
}

pub(crate) const INTEGRATION_COLUMNS: &str =
    "id, name, kind, key_hash, labels, created_at, revoked_at";

/// An integration key: who may send events, and the labels their alerts carry.
#[derive(Clone, Debug)]
pub struct IntegrationRecord {
    pub id: String,
    pub name: String,
    /// `pagerduty` or `generic`.
    pub kind: String,
    /// Hex SHA-256 of the key; the key itself is shown once and never stored.
    pub key_hash: String,
    /// Added to every alert of this integration, so routes can match on them.
    pub labels: LabelSet,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl IntegrationRecord {
    pub(crate) fn from_row(row: &AnyRow) -> Result<IntegrationRecord> {
        Ok(IntegrationRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            key_hash: row.try_get("key_hash")?,
            labels: codec::labels_from_json(&row.try_get::<String, _>("labels")?)?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }
}

pub(crate) const CHANGE_COLUMNS: &str =
    "id, integration, summary, source, at, custom_details, links, received_at";

/// A change event: a deploy, release or configuration change reported by a tool.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRecord {
    pub id: i64,
    pub integration: String,
    pub summary: String,
    pub source: String,
    pub at: i64,
    /// JSON object as sent.
    pub custom_details: String,
    /// JSON array as sent.
    pub links: String,
    pub received_at: i64,
}

impl ChangeRecord {
    pub(crate) fn from_row(row: &AnyRow) -> Result<ChangeRecord> {
        Ok(ChangeRecord {
            id: row.try_get("id")?,
            integration: row.try_get("integration")?,
            summary: row.try_get("summary")?,
            source: row.try_get("source")?,
            at: row.try_get("at")?,
            custom_details: row.try_get("custom_details")?,
            links: row.try_get("links")?,
            received_at: row.try_get("received_at")?,
        })
    }
}
