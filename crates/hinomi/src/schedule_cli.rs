//! `hinomi schedule ...`: on-call schedules straight from the database, for the operator at
//! the server's console: list, show, create from the API's JSON, delete, ask who is on call
//! and why, preview the shifts, add an override or a swap. The store checks every change as
//! it does for the API; changes are audited with actor kind `cli`.

use anyhow::{Context, bail};
use clap::Subcommand;
use hinomi_core::oncall::Source;
use hinomi_engine::Clock as _;
use hinomi_store::{
    OverrideKind, OverrideRecord, ScheduleRecord, ScheduleWrite, Store, StoredSchedule,
};
use hinomi_web::console::Locale;
use hinomi_web::schedules::{People, explain, local_time};
use jiff::Timestamp;

use crate::access_cli::cli_audit;

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// List schedules with who is on call now.
    List,
    /// A schedule's layers, overrides and who is on call now.
    Show { schedule: String },
    /// Create a schedule from a JSON file in the shape `POST /api/v1/schedules` takes
    /// (participants by user id or username; `team` by id or name).
    Create {
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Delete a schedule with its overrides.
    Delete { schedule: String },
    /// Who is on call, and why.
    Who {
        schedule: String,
        /// RFC 3339; now when absent.
        #[arg(long)]
        at: Option<String>,
        /// Language of the explanation, ja or en; by default from LANG, else en.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Who is on call when: the shifts of an interval (at most 93 days).
    Shifts {
        schedule: String,
        /// RFC 3339; now when absent.
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339; 14 days after --from when absent.
        #[arg(long)]
        to: Option<String>,
    },
    /// Put someone on call in place of the layers; with --swap-from, a shift swap.
    Override {
        schedule: String,
        /// Who is to be on call (username or id).
        #[arg(long)]
        user: String,
        /// RFC 3339.
        #[arg(long)]
        start: String,
        /// RFC 3339.
        #[arg(long)]
        end: String,
        #[arg(long, default_value = "")]
        note: String,
        /// The user (username or id) handing over their shift: the override is a swap.
        #[arg(long)]
        swap_from: Option<String>,
    },
}

pub async fn schedule(store: &Store, cmd: ScheduleCommand) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    let people = People::from_users(store.users().await?);
    match cmd {
        ScheduleCommand::List => {
            for s in store.schedules().await? {
                let who = on_call_now(&s, &people, now);
                println!(
                    "{:<32} {:<20} {}",
                    s.record.name, s.record.definition.time_zone, who
                );
            }
        }
        ScheduleCommand::Show { schedule } => {
            let s = find(store, &schedule).await?;
            show(&s, &people, now);
        }
        ScheduleCommand::Create { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let input: hinomi_web::api_v1::ScheduleIn = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a schedule", file.display()))?;
            let mut definition = input.definition();
            for layer in &mut definition.layers {
                for p in &mut layer.participants {
                    if let Some(id) = people.id_of(p) {
                        *p = id.to_owned();
                    }
                }
            }
            let team_id = match input.team.as_deref() {
                Some(team) => Some(
                    store
                        .team(team)
                        .await?
                        .with_context(|| format!("team: no team {team:?}"))?
                        .id,
                ),
                None => None,
            };
            let record = ScheduleRecord {
                id: uuid::Uuid::new_v4().to_string(),
                name: input.name.trim().to_owned(),
                description: input.description,
                team_id,
                definition,
                created_at: now,
                updated_at: now,
            };
            let audit = cli_audit(
                now,
                "schedule.created",
                &record.id,
                serde_json::json!({ "name": record.name, "team_id": record.team_id }),
            );
            let write = store.create_schedule(&record, &audit).await?;
            verdict(write, &record.name)?;
            println!("schedule {:?} created ({})", record.name, record.id);
        }
        ScheduleCommand::Delete { schedule } => {
            let s = find(store, &schedule).await?;
            let audit = cli_audit(
                now,
                "schedule.deleted",
                &s.record.id,
                serde_json::json!({ "name": s.record.name }),
            );
            anyhow::ensure!(
                store.delete_schedule(&s.record.id, &audit).await?,
                "no schedule {schedule:?}"
            );
            println!("schedule {:?} deleted", s.record.name);
        }
        ScheduleCommand::Who { schedule, at, lang } => {
            let s = find(store, &schedule).await?;
            let at = instant("--at", at.as_deref(), now)?;
            let locale = match lang {
                Some(l) => {
                    Locale::parse(&l).with_context(|| format!("--lang: {l:?} is not ja or en"))?
                }
                None => std::env::var("LANG")
                    .ok()
                    .and_then(|l| Locale::parse(&l))
                    .unwrap_or(Locale::En),
            };
            let tz = s.schedule.zone();
            let answer = s.schedule.on_call_at(at);
            println!(
                "{} ({})",
                answer.as_ref().map_or("-", |a| people.name(&a.user)),
                local_time(at, tz)
            );
            for line in explain(&s, answer.as_ref(), &people, locale, tz) {
                println!("  {line}");
            }
        }
        ScheduleCommand::Shifts { schedule, from, to } => {
            let s = find(store, &schedule).await?;
            let (from, to) = hinomi_web::api_v1::preview_range(from.as_deref(), to.as_deref(), now)
                .map_err(|e| anyhow::anyhow!("--{}", e.message))?;
            let tz = s.schedule.zone();
            for shift in s
                .schedule
                .shifts(instant("--from", None, from)?, instant("--to", None, to)?)
            {
                let source = match shift.source {
                    Source::Layer { layer, shift } => format!(
                        "layer {:?}, shift {}",
                        s.record.definition.layers[layer].name,
                        shift + 1
                    ),
                    Source::Override(i) => match &s.overrides[i].kind {
                        OverrideKind::Override => "override".to_owned(),
                        OverrideKind::Swap { from } => format!("swap from {}", people.name(from)),
                    },
                };
                println!(
                    "{}  {}  {:<16} {source}",
                    local_time(shift.start, tz),
                    local_time(shift.end, tz),
                    people.name(&shift.user),
                );
            }
        }
        ScheduleCommand::Override {
            schedule,
            user,
            start,
            end,
            note,
            swap_from,
        } => {
            let s = find(store, &schedule).await?;
            let user_id = person(&people, "--user", &user)?;
            let kind = match swap_from {
                Some(from) => OverrideKind::Swap {
                    from: person(&people, "--swap-from", &from)?,
                },
                None => OverrideKind::Override,
            };
            let (start_at, end_at) = (millis("--start", &start)?, millis("--end", &end)?);
            anyhow::ensure!(
                end_at.saturating_sub(start_at) <= hinomi_web::schedules::MAX_OVERRIDE_MS,
                "--end: an override lasts at most 366 days"
            );
            let action = match kind {
                OverrideKind::Override => "schedule.override_added",
                OverrideKind::Swap { .. } => "schedule.swap_added",
            };
            let id = uuid::Uuid::new_v4().to_string();
            let audit = cli_audit(
                now,
                action,
                &s.record.id,
                serde_json::json!({ "override_id": id, "user_id": user_id,
                                    "start": start, "end": end, "note": note.trim() }),
            );
            let record = OverrideRecord {
                id,
                schedule_id: s.record.id.clone(),
                user_id,
                start_at,
                end_at,
                kind,
                note: note.trim().to_owned(),
                created_by: audit.actor_name.clone(),
                created_at: now,
            };
            let write = store.add_override(&record, &audit).await?;
            verdict(write, &s.record.name)?;
            println!(
                "{} is on call in {:?} from {} to {}",
                people.name(&record.user_id),
                s.record.name,
                local_time(instant("--start", None, start_at)?, s.schedule.zone()),
                local_time(instant("--end", None, end_at)?, s.schedule.zone()),
            );
        }
    }
    Ok(())
}

async fn find(store: &Store, schedule: &str) -> anyhow::Result<StoredSchedule> {
    store
        .schedule(schedule)
        .await?
        .with_context(|| format!("no schedule {schedule:?}"))
}

/// A user named by username or id.
fn person(people: &People, flag: &str, name: &str) -> anyhow::Result<String> {
    people
        .id_of(name)
        .map(str::to_owned)
        .with_context(|| format!("{flag}: no user {name:?}"))
}

/// Milliseconds of an RFC 3339 time given in `flag`.
fn millis(flag: &str, text: &str) -> anyhow::Result<i64> {
    hinomi_core::time::parse(text)
        .map_err(|_| anyhow::anyhow!("{flag}: {text:?} is not an RFC 3339 time"))
}

/// The instant of `text` (RFC 3339) or, when absent, of `default` (milliseconds).
fn instant(flag: &str, text: Option<&str>, default: i64) -> anyhow::Result<Timestamp> {
    let ms = match text {
        Some(t) => millis(flag, t)?,
        None => default,
    };
    Timestamp::from_millisecond(ms).with_context(|| format!("{flag}: out of range"))
}

/// The store's refusal as an error naming the flag or the file's field.
fn verdict(write: ScheduleWrite, name: &str) -> anyhow::Result<()> {
    match write {
        ScheduleWrite::Done => Ok(()),
        ScheduleWrite::NotFound => bail!("no schedule {name:?}"),
        ScheduleWrite::NameTaken => bail!("a schedule named {name:?} exists already"),
        ScheduleWrite::Invalid(e) => {
            let field = match e.field.as_str() {
                "user_id" => "--user",
                "start" => "--start",
                "end" => "--end",
                "swapped_from" => "--swap-from",
                other => other,
            };
            bail!("{field}: {}", e.message)
        }
        ScheduleWrite::InUse(names) => bail!("in use by {names:?}"),
    }
}

fn on_call_now(s: &StoredSchedule, people: &People, now: i64) -> String {
    Timestamp::from_millisecond(now)
        .ok()
        .and_then(|t| s.schedule.on_call_at(t))
        .map_or_else(|| "-".to_owned(), |a| people.name(&a.user).to_owned())
}

fn show(s: &StoredSchedule, people: &People, now: i64) {
    let r = &s.record;
    println!("{} ({})", r.name, r.id);
    if !r.description.is_empty() {
        println!("  {}", r.description);
    }
    println!("  time zone: {}", r.definition.time_zone);
    println!("  team: {}", r.team_id.as_deref().unwrap_or("-"));
    println!("  on call now: {}", on_call_now(s, people, now));
    for (i, layer) in r.definition.layers.iter().enumerate() {
        let who: Vec<&str> = layer.participants.iter().map(|p| people.name(p)).collect();
        println!(
            "  layer {i} {:?}: {} in turn, {} {}, handoff {} from {}",
            layer.name,
            who.join(", "),
            layer.shift_length.count,
            layer.shift_length.unit,
            layer.handoff,
            layer.start
        );
        if let Some(rest) = &layer.restriction {
            for w in &rest.windows {
                println!("    on {} {}-{}", w.days.join(","), w.start, w.end);
            }
            if rest.skip_japanese_holidays {
                println!("    not on Japanese public holidays");
            }
            for c in &rest.skip_calendars {
                println!("    not on the days of calendar {c}");
            }
        }
    }
    let tz = s.schedule.zone();
    for o in &s.overrides {
        let at = |ms: i64| {
            Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| local_time(t, tz))
        };
        let kind = match &o.kind {
            OverrideKind::Override => "override".to_owned(),
            OverrideKind::Swap { from } => format!("swap from {}", people.name(from)),
        };
        println!(
            "  {kind} {}: {} from {} to {} {}",
            o.id,
            people.name(&o.user_id),
            at(o.start_at),
            at(o.end_at),
            o.note
        );
    }
}
