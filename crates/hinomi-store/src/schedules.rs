//! On-call schedules, their overrides and shift swaps, company holiday calendars, and the
//! iCal feeds' signing key and per-user versions.
//!
//! A schedule is stored as its definition ([`ScheduleDef`]: zone, and layers as JSON) and
//! read back as a [`StoredSchedule`], whose [`Schedule`] is built with its overrides and the
//! days of the company calendars its layers skip. Every write checks, inside its own
//! transaction, what would make a schedule unreadable (a definition that does not build, a
//! participant or team that does not exist, a calendar still in use) and commits with its
//! audit entry and an event about the schedule or calendar.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hinomi_core::oncall::{
    CompanyDays, DefinitionError, LayerDef, Override, Schedule, ScheduleDef,
};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::shift_notices::rearm_shift_notices;
use crate::{AuditEntry, Result, Store, StoreError, WriteTx};

/// A schedule as stored: who may change it and its definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub id: String,
    /// Unique; what people type.
    pub name: String,
    pub description: String,
    /// The team whose responders may change it; `None`: admins only.
    pub team_id: Option<String>,
    pub definition: ScheduleDef,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an override is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideKind {
    /// Someone on call in place of the rotation (a sick colleague's cover).
    Override,
    /// A shift, or part of one, handed over by the user whose it was.
    Swap {
        /// The user id of the giver.
        from: String,
    },
}

/// One override or shift swap of a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideRecord {
    pub id: String,
    pub schedule_id: String,
    /// Who is on call.
    pub user_id: String,
    pub start_at: i64,
    pub end_at: i64,
    pub kind: OverrideKind,
    /// Why, in the words of whoever made it.
    pub note: String,
    /// The username of whoever made it.
    pub created_by: String,
    pub created_at: i64,
}

/// A schedule ready to answer: its record, its overrides oldest first, and the [`Schedule`]
/// built from both (its overrides in the same order, so an answer's override index is a
/// position in `overrides`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchedule {
    pub record: ScheduleRecord,
    pub overrides: Vec<OverrideRecord>,
    pub schedule: Schedule,
}

/// A company's own days off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolidayCalendarRecord {
    pub id: String,
    /// Unique.
    pub name: String,
    pub description: String,
    pub days: CompanyDays,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How a write to a schedule, an override or a calendar ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleWrite {
    /// Written (and audited).
    Done,
    /// The schedule, override or calendar does not exist.
    NotFound,
    /// Another schedule or calendar has that name.
    NameTaken,
    /// A field holds what cannot be stored; nothing was written.
    Invalid(DefinitionError),
    /// The calendar is skipped by these schedules (their names): it cannot be deleted.
    InUse(Vec<String>),
}

const SCHEDULE_COLUMNS: &str =
    "id, name, description, team_id, time_zone, layers, created_at, updated_at";
const OVERRIDE_COLUMNS: &str = "id, schedule_id, user_id, start_at, end_at, kind, swapped_from, \
     note, created_by, created_at";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn millis(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| corrupt(format!("instant {ms}: {e}")))
}

impl ScheduleRecord {
    fn from_row(row: &AnyRow) -> Result<ScheduleRecord> {
        let id: String = row.try_get("id")?;
        let layers: String = row.try_get("layers")?;
        let layers: Vec<LayerDef> = serde_json::from_str(&layers)
            .map_err(|e| corrupt(format!("layers of schedule {id}: {e}")))?;
        Ok(ScheduleRecord {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            team_id: row.try_get("team_id")?,
            definition: ScheduleDef {
                time_zone: row.try_get("time_zone")?,
                layers,
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            id,
        })
    }

    fn layers_json(&self) -> String {
        serde_json::to_string(&self.definition.layers).expect("layer definitions serialise")
    }
}

impl OverrideRecord {
    fn from_row(row: &AnyRow) -> Result<OverrideRecord> {
        let kind: String = row.try_get("kind")?;
        let from: Option<String> = row.try_get("swapped_from")?;
        let kind = match (kind.as_str(), from) {
            ("override", None) => OverrideKind::Override,
            ("swap", Some(from)) => OverrideKind::Swap { from },
            (other, _) => return Err(corrupt(format!("override kind {other:?}"))),
        };
        Ok(OverrideRecord {
            id: row.try_get("id")?,
            schedule_id: row.try_get("schedule_id")?,
            user_id: row.try_get("user_id")?,
            start_at: row.try_get("start_at")?,
            end_at: row.try_get("end_at")?,
            kind,
            note: row.try_get("note")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        })
    }

    fn to_override(&self) -> Result<Override, DefinitionError> {
        let at = |field: &str, ms: i64| {
            Timestamp::from_millisecond(ms)
                .map_err(|_| DefinitionError::new(field, "beyond the representable instants"))
        };
        Override::new(
            self.user_id.clone(),
            at("start", self.start_at)?,
            at("end", self.end_at)?,
        )
        .map_err(|e| {
            let field = match e {
                hinomi_core::ScheduleError::BlankOverrideUser => "user_id",
                _ => "end",
            };
            DefinitionError::new(field, e)
        })
    }
}

/// The schedule `record` defines with `overrides`; a stored schedule that does not build is
/// corrupt (every write checks that it does).
fn assemble(
    record: ScheduleRecord,
    overrides: Vec<OverrideRecord>,
    calendars: &BTreeMap<String, CompanyDays>,
) -> Result<StoredSchedule> {
    let built = overrides
        .iter()
        .map(OverrideRecord::to_override)
        .collect::<Result<Vec<_>, _>>()
        .and_then(|o| record.definition.build(o, calendars))
        .map_err(|e| corrupt(format!("schedule {}: {e}", record.name)))?;
    Ok(StoredSchedule {
        record,
        overrides,
        schedule: built,
    })
}

/// Every company calendar's days, by calendar id (calendars without days too).
async fn calendar_days<'c, E>(executor: E) -> Result<BTreeMap<String, CompanyDays>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT c.id, d.day, d.name FROM holiday_calendars c \
         LEFT JOIN holiday_days d ON d.calendar_id = c.id",
    )
    .fetch_all(executor)
    .await?;
    let mut out: BTreeMap<String, CompanyDays> = BTreeMap::new();
    for row in rows {
        let days = out.entry(row.try_get("id")?).or_default();
        let Some(day) = row.try_get::<Option<String>, _>("day")? else {
            continue;
        };
        let date: Date = day
            .parse()
            .map_err(|e| corrupt(format!("holiday date {day:?}: {e}")))?;
        days.insert(date, row.try_get("name")?);
    }
    Ok(out)
}

/// Whether a user with this id exists. Locks the row on PostgreSQL, so the user is not
/// deleted before the write that names them commits (deleting a user locks it too, and
/// then sees the write).
async fn user_exists(tx: &mut WriteTx, id: &str) -> Result<bool> {
    let sql = format!(
        "SELECT 1 FROM users WHERE id = $1{}",
        tx.backend().for_update()
    );
    Ok(sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *tx.tx)
        .await?
        .is_some())
}

/// Appends the change's audit entry and the matching event about `subject`, and commits.
async fn finish(mut tx: WriteTx, audit: &AuditEntry, subject: &str) -> Result<ScheduleWrite> {
    tx.append_audit(audit).await?;
    tx.append_event(
        audit.at,
        &audit.action,
        subject,
        &audit.actor_name,
        &audit.detail,
    )
    .await?;
    tx.commit().await?;
    Ok(ScheduleWrite::Done)
}

/// Whether the row of `table` with this id exists, locked for update on PostgreSQL.
async fn locked(tx: &mut WriteTx, table: &str, id: &str) -> Result<bool> {
    let sql = format!(
        "SELECT id FROM {table} WHERE id = $1{}",
        tx.backend().for_update()
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *tx.tx)
        .await?;
    Ok(row.is_some())
}

/// Runs a write that may clash with another row's unique name; answers false when it
/// does (the transaction is then to be dropped).
async fn unless_name_taken<'q>(
    tx: &mut WriteTx,
    statement: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<bool> {
    match statement.execute(&mut *tx.tx).await {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A schedule's or calendar's name: 1 to 100 characters once trimmed, no control
/// characters.
fn check_name(name: &str) -> Option<DefinitionError> {
    let name = name.trim();
    let bad = name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control);
    bad.then(|| DefinitionError::new("name", "1 to 100 characters, no control characters"))
}

/// What would make `r` unreadable, checked against the database as `tx` sees it: the
/// definition must build with the calendars that exist, its name be 1 to 100 characters,
/// its participants and team exist.
async fn check_schedule(tx: &mut WriteTx, r: &ScheduleRecord) -> Result<Option<DefinitionError>> {
    if let Some(e) = check_name(&r.name) {
        return Ok(Some(e));
    }
    // Locks the calendars it skips on PostgreSQL, so none is deleted meanwhile.
    for id in r.definition.calendar_ids() {
        locked(tx, "holiday_calendars", id).await?;
    }
    let calendars = calendar_days(&mut *tx.tx).await?;
    if let Err(e) = r.definition.build(Vec::new(), &calendars) {
        return Ok(Some(e));
    }
    for (i, layer) in r.definition.layers.iter().enumerate() {
        for (j, user) in layer.participants.iter().enumerate() {
            if !user_exists(tx, user).await? {
                return Ok(Some(DefinitionError::new(
                    format!("layers[{i}].participants[{j}]"),
                    format!("no user with id {user:?}"),
                )));
            }
        }
    }
    if let Some(team) = &r.team_id {
        let found = sqlx::query("SELECT 1 FROM teams WHERE id = $1")
            .bind(team)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if found.is_none() {
            return Ok(Some(DefinitionError::new(
                "team",
                format!("no team with id {team:?}"),
            )));
        }
    }
    Ok(None)
}

impl Store {
    /// The schedule with this id or, failing that, this name.
    pub async fn schedule(&self, id_or_name: &str) -> Result<Option<StoredSchedule>> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 OR name = $2 \
             ORDER BY CASE WHEN id = $3 THEN 0 ELSE 1 END LIMIT 1"
        ))
        .bind(id_or_name)
        .bind(id_or_name)
        .bind(id_or_name)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let record = ScheduleRecord::from_row(&row)?;
        let rows = sqlx::query(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM schedule_overrides WHERE schedule_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(&record.id)
        .fetch_all(&self.read)
        .await?;
        let overrides = rows
            .iter()
            .map(OverrideRecord::from_row)
            .collect::<Result<Vec<_>>>()?;
        let calendars = calendar_days(&self.read).await?;
        assemble(record, overrides, &calendars).map(Some)
    }

    /// Every schedule, by name.
    pub async fn schedules(&self) -> Result<Vec<StoredSchedule>> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY name"
        ))
        .fetch_all(&self.read)
        .await?;
        let override_rows = sqlx::query(&format!(
            "SELECT {OVERRIDE_COLUMNS} FROM schedule_overrides ORDER BY created_at, id"
        ))
        .fetch_all(&self.read)
        .await?;
        let mut overrides: HashMap<String, Vec<OverrideRecord>> = HashMap::new();
        for row in &override_rows {
            let o = OverrideRecord::from_row(row)?;
            overrides.entry(o.schedule_id.clone()).or_default().push(o);
        }
        let calendars = calendar_days(&self.read).await?;
        rows.iter()
            .map(|row| {
                let record = ScheduleRecord::from_row(row)?;
                let own = overrides.remove(&record.id).unwrap_or_default();
                assemble(record, own, &calendars)
            })
            .collect()
    }

    /// Creates a schedule after checking it (see [`ScheduleWrite`]).
    pub async fn create_schedule(
        &self,
        r: &ScheduleRecord,
        audit: &AuditEntry,
    ) -> Result<ScheduleWrite> {
        self.save_schedule(r, audit, true).await
    }

    /// Replaces a schedule's name, description, team and definition (its id and creation
    /// time stay), after checking it.
    pub async fn update_schedule(
        &self,
        r: &ScheduleRecord,
        audit: &AuditEntry,
    ) -> Result<ScheduleWrite> {
        self.save_schedule(r, audit, false).await
    }

    async fn save_schedule(
        &self,
        r: &ScheduleRecord,
        audit: &AuditEntry,
        new: bool,
    ) -> Result<ScheduleWrite> {
        let mut tx = self.begin().await?;
        if !new && !locked(&mut tx, "schedules", &r.id).await? {
            return Ok(ScheduleWrite::NotFound);
        }
        if let Some(e) = check_schedule(&mut tx, r).await? {
            return Ok(ScheduleWrite::Invalid(e));
        }
        let sql = format!(
            "INSERT INTO schedules ({SCHEDULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, team_id = excluded.team_id, \
             time_zone = excluded.time_zone, layers = excluded.layers, \
             updated_at = excluded.updated_at"
        );
        let saved = sqlx::query(&sql)
            .bind(&r.id)
            .bind(r.name.trim())
            .bind(&r.description)
            .bind(r.team_id.as_deref())
            .bind(r.definition.time_zone.trim())
            .bind(r.layers_json())
            .bind(r.created_at)
            .bind(r.updated_at);
        if !unless_name_taken(&mut tx, saved).await? {
            return Ok(ScheduleWrite::NameTaken);
        }
        rearm_shift_notices(&mut tx, Some(&r.id), audit.at).await?;
        finish(tx, audit, &r.id).await
    }

    /// Deletes a schedule with its overrides; answers whether it existed.
    pub async fn delete_schedule(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM schedule_overrides WHERE schedule_id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        let done = sqlx::query("DELETE FROM schedules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        finish(tx, audit, id).await?;
        Ok(true)
    }

    /// Adds an override or shift swap to its schedule. Its users must exist, it must end
    /// after it starts, and a swap's giver must be on call throughout it (with the
    /// schedule's overrides so far) and differ from the taker.
    pub async fn add_override(
        &self,
        o: &OverrideRecord,
        audit: &AuditEntry,
    ) -> Result<ScheduleWrite> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = $1{}",
            self.backend.for_update()
        ))
        .bind(&o.schedule_id)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(row) = row else {
            return Ok(ScheduleWrite::NotFound);
        };
        let invalid = |field: &str, message: String| {
            Ok(ScheduleWrite::Invalid(DefinitionError::new(field, message)))
        };
        if let Err(e) = o.to_override() {
            return Ok(ScheduleWrite::Invalid(e));
        }
        if !user_exists(&mut tx, &o.user_id).await? {
            return invalid("user_id", format!("no user with id {:?}", o.user_id));
        }
        if let OverrideKind::Swap { from } = &o.kind {
            if !user_exists(&mut tx, from).await? {
                return invalid("swapped_from", format!("no user with id {from:?}"));
            }
            if *from == o.user_id {
                return invalid("user_id", "a swap hands a shift to someone else".to_owned());
            }
            let record = ScheduleRecord::from_row(&row)?;
            let earlier = sqlx::query(&format!(
                "SELECT {OVERRIDE_COLUMNS} FROM schedule_overrides WHERE schedule_id = $1 \
                 ORDER BY created_at, id"
            ))
            .bind(&o.schedule_id)
            .fetch_all(&mut *tx.tx)
            .await?
            .iter()
            .map(OverrideRecord::from_row)
            .collect::<Result<Vec<_>>>()?;
            let calendars = calendar_days(&mut *tx.tx).await?;
            let current = assemble(record, earlier, &calendars)?;
            if !current
                .schedule
                .on_call_throughout(from, millis(o.start_at)?, millis(o.end_at)?)
            {
                return invalid(
                    "swapped_from",
                    format!("{from:?} is not on call throughout the swapped time"),
                );
            }
        }
        let (kind, from) = match &o.kind {
            OverrideKind::Override => ("override", None),
            OverrideKind::Swap { from } => ("swap", Some(from.as_str())),
        };
        sqlx::query(&format!(
            "INSERT INTO schedule_overrides ({OVERRIDE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10)"
        ))
        .bind(&o.id)
        .bind(&o.schedule_id)
        .bind(&o.user_id)
        .bind(o.start_at)
        .bind(o.end_at)
        .bind(kind)
        .bind(from)
        .bind(&o.note)
        .bind(&o.created_by)
        .bind(o.created_at)
        .execute(&mut *tx.tx)
        .await?;
        rearm_shift_notices(&mut tx, Some(&o.schedule_id), audit.at).await?;
        finish(tx, audit, &o.schedule_id).await
    }

    /// Removes an override or swap from a schedule; answers whether it was there.
    pub async fn remove_override(
        &self,
        schedule_id: &str,
        override_id: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM schedule_overrides WHERE id = $1 AND schedule_id = $2")
            .bind(override_id)
            .bind(schedule_id)
            .execute(&mut *tx.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        rearm_shift_notices(&mut tx, Some(schedule_id), audit.at).await?;
        finish(tx, audit, schedule_id).await?;
        Ok(true)
    }

    /// Every company holiday calendar with its days, by name.
    pub async fn holiday_calendars(&self) -> Result<Vec<HolidayCalendarRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, description, created_at, updated_at FROM holiday_calendars \
             ORDER BY name",
        )
        .fetch_all(&self.read)
        .await?;
        let mut days = calendar_days(&self.read).await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                Ok(HolidayCalendarRecord {
                    days: days.remove(&id).unwrap_or_default(),
                    id,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// The company calendar with this id or, failing that, this name.
    pub async fn holiday_calendar(
        &self,
        id_or_name: &str,
    ) -> Result<Option<HolidayCalendarRecord>> {
        let all = self.holiday_calendars().await?;
        let by_id = all.iter().position(|c| c.id == id_or_name);
        let found = by_id.or_else(|| all.iter().position(|c| c.name == id_or_name));
        Ok(found.map(|i| all[i].clone()))
    }

    /// Creates a company calendar with its days.
    pub async fn create_holiday_calendar(
        &self,
        c: &HolidayCalendarRecord,
        audit: &AuditEntry,
    ) -> Result<ScheduleWrite> {
        self.save_holiday_calendar(c, audit, true).await
    }

    /// Replaces a company calendar's name, description and days; the schedules that skip
    /// it follow at once.
    pub async fn update_holiday_calendar(
        &self,
        c: &HolidayCalendarRecord,
        audit: &AuditEntry,
    ) -> Result<ScheduleWrite> {
        self.save_holiday_calendar(c, audit, false).await
    }

    async fn save_holiday_calendar(
        &self,
        c: &HolidayCalendarRecord,
        audit: &AuditEntry,
        new: bool,
    ) -> Result<ScheduleWrite> {
        if let Some(e) = check_name(&c.name) {
            return Ok(ScheduleWrite::Invalid(e));
        }
        let mut tx = self.begin().await?;
        if !new && !locked(&mut tx, "holiday_calendars", &c.id).await? {
            return Ok(ScheduleWrite::NotFound);
        }
        let saved = sqlx::query(
            "INSERT INTO holiday_calendars (id, name, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, updated_at = excluded.updated_at",
        )
        .bind(&c.id)
        .bind(c.name.trim())
        .bind(&c.description)
        .bind(c.created_at)
        .bind(c.updated_at);
        if !unless_name_taken(&mut tx, saved).await? {
            return Ok(ScheduleWrite::NameTaken);
        }
        sqlx::query("DELETE FROM holiday_days WHERE calendar_id = $1")
            .bind(&c.id)
            .execute(&mut *tx.tx)
            .await?;
        for (date, name) in &c.days {
            sqlx::query("INSERT INTO holiday_days (calendar_id, day, name) VALUES ($1, $2, $3)")
                .bind(&c.id)
                .bind(date.to_string())
                .bind(name)
                .execute(&mut *tx.tx)
                .await?;
        }
        // The schedules that skip its days may hand off at other times now.
        rearm_shift_notices(&mut tx, None, audit.at).await?;
        finish(tx, audit, &c.id).await
    }

    /// Deletes a company calendar that no schedule skips.
    pub async fn delete_holiday_calendar(
        &self,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<ScheduleWrite> {
        let mut tx = self.begin().await?;
        // On PostgreSQL a schedule being saved with this calendar holds its row: wait for
        // it, and then see it among the schedules below.
        if !locked(&mut tx, "holiday_calendars", id).await? {
            return Ok(ScheduleWrite::NotFound);
        }
        let users = schedules_skipping(&mut tx, id).await?;
        if !users.is_empty() {
            return Ok(ScheduleWrite::InUse(users));
        }
        sqlx::query("DELETE FROM holiday_days WHERE calendar_id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        let done = sqlx::query("DELETE FROM holiday_calendars WHERE id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(ScheduleWrite::NotFound);
        }
        finish(tx, audit, id).await
    }

    /// The secret called `name`, made from `candidate` if there is none yet. Instances
    /// starting together agree: the first insert wins and everyone reads it.
    pub async fn server_secret(&self, name: &str, candidate: &str, now: i64) -> Result<String> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        let value: String = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx.tx)
            .await?
            .try_get(0)?;
        tx.commit().await?;
        Ok(value)
    }

    /// The version of a user's iCal feed URL (0 until first rotated).
    pub async fn ical_version(&self, user_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT version FROM ical_feeds WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(row) => row.try_get(0)?,
            None => 0,
        })
    }

    /// Moves a user's iCal feed to a new version, so every URL made before stops working;
    /// answers the new version.
    pub async fn rotate_ical(&self, user_id: &str, now: i64, audit: &AuditEntry) -> Result<i64> {
        let mut tx = self.begin().await?;
        let version: i64 = sqlx::query(
            "INSERT INTO ical_feeds (user_id, version, rotated_at) VALUES ($1, 1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET version = ical_feeds.version + 1, \
             rotated_at = excluded.rotated_at RETURNING version",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *tx.tx)
        .await?
        .try_get(0)?;
        tx.append_audit(audit).await?;
        tx.commit().await?;
        Ok(version)
    }
}

/// The names of the schedules whose layers name `user`, or whose overrides or swaps not
/// ended at `now` do (as the one on call or as the giver).
pub(crate) async fn schedules_naming(
    conn: &mut sqlx::AnyConnection,
    user: &str,
    now: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY name"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut names = BTreeSet::new();
    for row in &rows {
        let r = ScheduleRecord::from_row(row)?;
        if r.definition
            .layers
            .iter()
            .any(|l| l.participants.iter().any(|p| p == user))
        {
            names.insert(r.name);
        }
    }
    let rows = sqlx::query(
        "SELECT s.name FROM schedule_overrides o JOIN schedules s ON s.id = o.schedule_id \
         WHERE (o.user_id = $1 OR o.swapped_from = $2) AND o.end_at > $3",
    )
    .bind(user)
    .bind(user)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        names.insert(row.try_get("name")?);
    }
    Ok(names.into_iter().collect())
}

/// The names of the schedules whose layers skip calendar `id`.
async fn schedules_skipping(tx: &mut WriteTx, id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY name"
    ))
    .fetch_all(&mut *tx.tx)
    .await?;
    let mut names = BTreeSet::new();
    for row in &rows {
        let r = ScheduleRecord::from_row(row)?;
        if r.definition.calendar_ids().contains(&id) {
            names.insert(r.name);
        }
    }
    Ok(names.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StoreOptions, UserRecord};
    use hinomi_core::Role;
    use hinomi_core::oncall::{Reason, RestrictionDef, ShiftLengthDef, WindowDef};
    use jiff::civil::date;

    fn audit(action: &str, target: &str) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: 1,
            actor_kind: "cli".into(),
            actor_id: "cli".into(),
            actor_name: "tester".into(),
            action: action.into(),
            target: target.into(),
            detail: "{}".into(),
            source: "cli".into(),
        }
    }

    /// A fresh store with users aki, ben and dai: on SQLite in `dir`, or on a new database
    /// of the PostgreSQL the black-box tests use (`None`, said, when it is unreachable
    /// outside CI).
    async fn store(dir: &tempfile::TempDir, postgres: bool) -> Option<Store> {
        let url = if postgres {
            use sqlx::Connection;
            let admin = std::env::var("HINOMI_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                    panic!("PostgreSQL at {admin} is unreachable under CI=true: {e}")
                }
                Err(e) => {
                    eprintln!("SKIPPED: PostgreSQL at {admin} is unreachable ({e})");
                    return None;
                }
            };
            let name = format!("hinomi_store_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        } else {
            format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())
        };
        let store = Store::open(&StoreOptions {
            url,
            sqlite_sync: crate::SqliteSync::Full,
            max_connections: 2,
        })
        .await
        .unwrap();
        for name in ["aki", "ben", "dai"] {
            let user = UserRecord {
                id: format!("u-{name}"),
                username: name.into(),
                display_name: name.into(),
                email: None,
                password_hash: None,
                role: Role::Responder,
                locale: None,
                time_zone: None,
                oidc_subject: None,
                must_change_password: false,
                created_at: 1,
                disabled_at: None,
            };
            assert!(
                store
                    .create_user(&user, &audit("user.created", name))
                    .await
                    .unwrap()
            );
        }
        Some(store)
    }

    fn layer(name: &str, users: &[&str], restriction: Option<RestrictionDef>) -> LayerDef {
        LayerDef {
            name: name.into(),
            participants: users.iter().map(|u| format!("u-{u}")).collect(),
            shift_length: ShiftLengthDef {
                unit: "weeks".into(),
                count: 1,
            },
            start: "2026-09-07T10:00:00+09:00".into(),
            handoff: "10:00".into(),
            restriction,
        }
    }

    fn business(calendar: &str) -> RestrictionDef {
        RestrictionDef {
            windows: vec![WindowDef {
                days: ["mon", "tue", "wed", "thu", "fri"]
                    .map(String::from)
                    .to_vec(),
                start: "09:00".into(),
                end: "18:00".into(),
            }],
            skip_japanese_holidays: true,
            skip_calendars: vec![calendar.into()],
        }
    }

    fn record(id: &str, name: &str, layers: Vec<LayerDef>) -> ScheduleRecord {
        ScheduleRecord {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            team_id: None,
            definition: ScheduleDef {
                time_zone: "Asia/Tokyo".into(),
                layers,
            },
            created_at: 1,
            updated_at: 1,
        }
    }

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[tokio::test]
    async fn schedules_round_trip_with_calendars_and_overrides_sqlite() {
        round_trip(false).await;
    }

    #[tokio::test]
    async fn schedules_round_trip_with_calendars_and_overrides_postgres() {
        round_trip(true).await;
    }

    async fn round_trip(postgres: bool) {
        let dir = tempfile::tempdir().unwrap();
        let Some(store) = store(&dir, postgres).await else {
            return;
        };
        let cal = HolidayCalendarRecord {
            id: "c1".into(),
            name: "company".into(),
            description: String::new(),
            days: CompanyDays::from([(date(2026, 9, 24), "創立記念日".to_owned())]),
            created_at: 1,
            updated_at: 1,
        };
        assert_eq!(
            store
                .create_holiday_calendar(&cal, &audit("holiday_calendar.created", "c1"))
                .await
                .unwrap(),
            ScheduleWrite::Done
        );
        let r = record(
            "s1",
            "db",
            vec![
                layer("primary", &["aki", "ben"], None),
                layer("day", &["dai"], Some(business("c1"))),
            ],
        );
        assert_eq!(
            store
                .create_schedule(&r, &audit("schedule.created", "s1"))
                .await
                .unwrap(),
            ScheduleWrite::Done
        );
        assert_eq!(
            store
                .create_schedule(&record("s2", "db", vec![]), &audit("x", "s2"))
                .await
                .unwrap(),
            ScheduleWrite::NameTaken
        );

        // Thursday 2026-09-24 is the company's day: the weekly layer (aki's week) answers
        // at noon; on Friday the business-hours layer does.
        let s = store.schedule("db").await.unwrap().unwrap();
        assert_eq!(s.record, r);
        let who = |t: &str| {
            let t = Timestamp::from_millisecond(at(t)).unwrap();
            s.schedule.on_call_at(t).unwrap().user
        };
        assert_eq!(who("2026-09-24T12:00:00+09:00"), "u-aki");
        assert_eq!(who("2026-09-25T12:00:00+09:00"), "u-dai");

        // An override, then a swap of ben's night that must be ben's.
        let o = OverrideRecord {
            id: "o1".into(),
            schedule_id: "s1".into(),
            user_id: "u-dai".into(),
            start_at: at("2026-09-15T00:00:00+09:00"),
            end_at: at("2026-09-16T00:00:00+09:00"),
            kind: OverrideKind::Override,
            note: "sick".into(),
            created_by: "tester".into(),
            created_at: 2,
        };
        assert_eq!(
            store
                .add_override(&o, &audit("schedule.override_added", "s1"))
                .await
                .unwrap(),
            ScheduleWrite::Done
        );
        let swap = OverrideRecord {
            id: "o2".into(),
            kind: OverrideKind::Swap {
                from: "u-aki".into(),
            },
            user_id: "u-ben".into(),
            start_at: at("2026-09-16T20:00:00+09:00"),
            end_at: at("2026-09-17T08:00:00+09:00"),
            created_at: 3,
            ..o.clone()
        };
        let refused = store.add_override(&swap, &audit("x", "s1")).await.unwrap();
        assert!(
            matches!(&refused, ScheduleWrite::Invalid(e) if e.field == "swapped_from"),
            "{refused:?}"
        );
        let swap = OverrideRecord {
            kind: OverrideKind::Swap {
                from: "u-ben".into(),
            },
            user_id: "u-aki".into(),
            ..swap
        };
        assert_eq!(
            store
                .add_override(&swap, &audit("schedule.swap_added", "s1"))
                .await
                .unwrap(),
            ScheduleWrite::Done
        );
        let s = store.schedules().await.unwrap().remove(0);
        assert_eq!(s.overrides.len(), 2);
        let t = Timestamp::from_millisecond(at("2026-09-16T23:00:00+09:00")).unwrap();
        let a = s.schedule.on_call_at(t).unwrap();
        assert_eq!(a.user, "u-aki");
        assert!(matches!(a.reason, Reason::Override { index: 1, .. }));

        // A name another schedule has is refused on update too.
        let other = record("s3", "web", vec![layer("primary", &["dai"], None)]);
        assert_eq!(
            store
                .create_schedule(&other, &audit("schedule.created", "s3"))
                .await
                .unwrap(),
            ScheduleWrite::Done
        );
        let clash = ScheduleRecord {
            name: "db".into(),
            ..other
        };
        assert_eq!(
            store
                .update_schedule(&clash, &audit("x", "s3"))
                .await
                .unwrap(),
            ScheduleWrite::NameTaken
        );
        assert!(
            store
                .delete_schedule("s3", &audit("schedule.deleted", "s3"))
                .await
                .unwrap()
        );

        // Bad input is refused with its field, and nothing is written.
        let mut bad = r.clone();
        bad.definition.layers[0]
            .participants
            .push("u-nobody".into());
        let refused = store
            .update_schedule(&bad, &audit("x", "s1"))
            .await
            .unwrap();
        assert!(
            matches!(&refused, ScheduleWrite::Invalid(e) if e.field == "layers[0].participants[2]"),
            "{refused:?}"
        );
        let bad_interval = OverrideRecord {
            id: "o3".into(),
            end_at: o.start_at,
            ..o.clone()
        };
        let refused = store.add_override(&bad_interval, &audit("x", "s1")).await;
        assert!(matches!(refused.unwrap(), ScheduleWrite::Invalid(e) if e.field == "end"));

        // A calendar in use stays.
        let del = store.delete_holiday_calendar("c1", &audit("x", "c1")).await;
        assert_eq!(del.unwrap(), ScheduleWrite::InUse(vec!["db".into()]));
        assert!(
            store
                .remove_override("s1", "o1", &audit("schedule.override_removed", "s1"))
                .await
                .unwrap()
        );
        assert!(
            store
                .delete_schedule("s1", &audit("schedule.deleted", "s1"))
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .delete_holiday_calendar("c1", &audit("holiday_calendar.deleted", "c1"))
                .await
                .unwrap(),
            ScheduleWrite::Done
        );
        assert!(store.schedules().await.unwrap().is_empty());

        // Every change left its event about the schedule.
        let kinds: Vec<String> = store
            .events_for(&["s1"], 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "schedule.deleted",
                "schedule.override_removed",
                "schedule.swap_added",
                "schedule.override_added",
                "schedule.created"
            ]
        );
    }

    #[tokio::test]
    async fn the_server_secret_is_made_once_and_feeds_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir, false).await.unwrap();
        assert_eq!(
            store.server_secret("ical", "first", 1).await.unwrap(),
            "first"
        );
        assert_eq!(
            store.server_secret("ical", "second", 2).await.unwrap(),
            "first"
        );
        assert_eq!(store.ical_version("u-aki").await.unwrap(), 0);
        let rotate = audit("ical.rotated", "u-aki");
        assert_eq!(store.rotate_ical("u-aki", 3, &rotate).await.unwrap(), 1);
        assert_eq!(store.rotate_ical("u-aki", 4, &rotate).await.unwrap(), 2);
        assert_eq!(store.ical_version("u-aki").await.unwrap(), 2);
        assert_eq!(store.ical_version("u-ben").await.unwrap(), 0);
    }
}
