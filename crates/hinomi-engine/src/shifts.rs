//! Shift start and end notices: telling people their on-call shift begins or ends.
//!
//! Each schedule carries a timer in the database (`notices_at`): the next handoff. A pass
//! claims the schedules whose timer is due (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so one
//! instance tells each handoff), works out the handoffs since the schedule was last told
//! (`Schedule::handoffs`, overrides and swaps included), writes one `contact:<kind>` row per
//! person and contact method (`ShiftStart` to whoever comes on call, `ShiftEnd` to whoever
//! goes off, as each person chose), an event, and the next timer, in one transaction.
//! A change to the schedule re-arms its timer to the change's time, so an override that
//! begins in five minutes is told when it begins. Handoffs that passed while no instance
//! ran are told only if they are recent (`STALE_MS`): a notice an hour late is noise.

use hinomi_core::escalation::shift_notice_methods;
use hinomi_core::{Envelope, Handoff, Locale, Notice, NoticeKind};
use hinomi_store::{ClaimedDelivery, PagingPeople, StoredSchedule, WriteTx};
use jiff::Timestamp;
use serde_json::json;

use crate::{EngineError, Shared, deliver};

/// Schedules one pass handles.
pub(crate) const SHIFT_BATCH: i64 = 16;
/// How far ahead a pass looks for the next handoff (and how long a shift that starts is
/// said to last, at most).
const HORIZON_MS: i64 = 93 * 24 * 60 * 60 * 1000;
/// Handoffs older than this when first seen are not told.
const STALE_MS: i64 = 15 * 60 * 1000;

/// What one pass did.
#[derive(Debug, Default)]
pub struct ShiftReport {
    /// Schedules whose timer was handled.
    pub schedules: usize,
    /// Notices written (outbox rows).
    pub notices: usize,
    /// Outbox rows written and leased to this instance, ready to deliver.
    pub leased: Vec<ClaimedDelivery>,
}

/// Tells the handoffs of the schedules whose notice timer is due at `now`.
pub(crate) async fn notify_due(shared: &Shared, now: i64) -> Result<ShiftReport, EngineError> {
    let store = &shared.store;
    let mut tx = store.begin().await?;
    let due = tx.claim_shift_notices(now, SHIFT_BATCH).await?;
    let mut report = ShiftReport {
        schedules: due.len(),
        ..ShiftReport::default()
    };
    if due.is_empty() {
        return Ok(report);
    }
    let people = store.paging_people().await?;
    for d in &due {
        let Some(schedule) = store.schedule(&d.schedule_id).await? else {
            // Deleted meanwhile: its row is gone with it.
            continue;
        };
        let from = d.noticed_until.unwrap_or(now).max(now - STALE_MS);
        let handoffs = schedule
            .schedule
            .handoffs(timestamp(from)?, timestamp(now + HORIZON_MS)?);
        for h in handoffs.iter().filter(|h| h.at.as_millisecond() <= now) {
            let told = tell(shared, &mut tx, &schedule, &people, h, now, &mut report).await?;
            if !told.is_empty() {
                tx.append_event(
                    now,
                    "schedule.handoff_told",
                    &schedule.record.id,
                    "hinomi",
                    &json!({
                        "at": h.at.as_millisecond(),
                        "ending": h.ending,
                        "starting": h.starting.as_ref().map(|(u, _)| u),
                        "notified": told,
                    })
                    .to_string(),
                )
                .await?;
            }
        }
        let next = handoffs
            .iter()
            .map(|h| h.at.as_millisecond())
            .find(|&at| at > now)
            .unwrap_or(now + HORIZON_MS);
        tx.set_shift_notice_timer(&schedule.record.id, next, now)
            .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Writes the notices of one handoff; answers who was told.
async fn tell(
    shared: &Shared,
    tx: &mut WriteTx,
    schedule: &StoredSchedule,
    people: &PagingPeople,
    h: &Handoff,
    now: i64,
    report: &mut ShiftReport,
) -> Result<Vec<String>, EngineError> {
    let at = h.at.as_millisecond();
    let name = &schedule.record.name;
    let mut told = Vec::new();
    let wants = |user: &str| people.shift_notices.get(user).copied().unwrap_or_default();
    let mut notices = Vec::new();
    if let Some(user) = h.ending.as_deref().filter(|u| wants(u).wants_end()) {
        let kind = NoticeKind::ShiftEnd {
            schedule: name.clone(),
            at,
        };
        notices.push((user, "end", kind));
    }
    if let Some((user, until)) = h.starting.as_ref().filter(|(u, _)| wants(u).wants_start()) {
        let kind = NoticeKind::ShiftStart {
            schedule: name.clone(),
            at,
            end: until.as_millisecond(),
        };
        notices.push((user.as_str(), "start", kind));
    }
    for (user, which, kind) in notices {
        let Some(person) = people.users.iter().find(|u| u.id == user && u.enabled) else {
            continue;
        };
        let rules = people.rules.get(user).map_or(&[][..], Vec::as_slice);
        let methods =
            shift_notice_methods(rules, |id| people.contact_methods.get(id).map(|c| c.kind));
        let notice = Notice {
            kind,
            locale: person
                .locale
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or(Locale::Ja),
            recipient: person.display_name.clone(),
            page_id: None,
            title: name.clone(),
            alerts: Vec::new(),
            console_url: Some(format!(
                "{}/schedules/{}",
                shared.settings.external_url.trim_end_matches('/'),
                schedule.record.id
            )),
            actions: Vec::new(),
            at: now,
        };
        for method in methods {
            let cm = &people.contact_methods[&method];
            let envelope = Envelope {
                contact: cm.contact(),
                notice: notice.clone(),
            };
            let key = format!("shift:{}|{user}|{which}|{at}|{}", schedule.record.id, cm.id);
            let row = deliver::to_person_now(shared, key, user, &envelope, now);
            if let Some(id) = tx.insert_notice(&row).await? {
                report.notices += 1;
                report.leased.extend(row.claimed(id));
            }
        }
        told.push(person.username.clone());
    }
    Ok(told)
}

fn timestamp(ms: i64) -> Result<Timestamp, EngineError> {
    Timestamp::from_millisecond(ms).map_err(|e| EngineError::Invalid(format!("instant {ms}: {e}")))
}
