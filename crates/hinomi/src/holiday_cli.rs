//! `hinomi holiday ...`: company holiday calendars straight from the database, for the
//! operator at the server's console: list, show a calendar's days, create one, import days
//! from a CSV (`YYYY-MM-DD,name` lines) or iCalendar file, delete a day or a calendar. The
//! store checks every change as it does for the API (a calendar a schedule skips is not
//! deleted); changes are audited with actor kind `cli`.

use anyhow::{Context, bail};
use clap::Subcommand;
use hinomi_core::oncall::CompanyDays;
use hinomi_engine::Clock as _;
use hinomi_store::{HolidayCalendarRecord, ScheduleWrite, Store};
use hinomi_web::schedules::{self as sched, check_day_count, parse_date, parse_import};

use crate::access_cli::cli_audit;

#[derive(Debug, Subcommand)]
pub enum HolidayCommand {
    /// List company holiday calendars, with the schedules that skip each.
    List,
    /// A calendar's days.
    Show { calendar: String },
    /// Create a company calendar, with the days of --file if given.
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// CSV (`YYYY-MM-DD,name` lines) or an iCalendar file (`.ics`, or text beginning
        /// `BEGIN:VCALENDAR`), whose all-day events are the days.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Add the days of a file to a calendar (a date already there takes the new name).
    Import {
        calendar: String,
        /// CSV (`YYYY-MM-DD,name` lines) or an iCalendar file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Replace every day of the calendar instead of adding to them.
        #[arg(long)]
        replace: bool,
    },
    /// Delete a calendar no schedule skips; with --date, only that day.
    Delete {
        calendar: String,
        /// `YYYY-MM-DD`: remove this day and keep the calendar.
        #[arg(long)]
        date: Option<String>,
    },
}

pub async fn holiday(store: &Store, cmd: HolidayCommand) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    match cmd {
        HolidayCommand::List => {
            let schedules = store.schedules().await?;
            for c in store.holiday_calendars().await? {
                let skipped_by: Vec<&str> = schedules
                    .iter()
                    .filter(|s| s.record.definition.calendar_ids().contains(&c.id.as_str()))
                    .map(|s| s.record.name.as_str())
                    .collect();
                println!(
                    "{:<32} {:>5} days  {}",
                    c.name,
                    c.days.len(),
                    if skipped_by.is_empty() {
                        "-".to_owned()
                    } else {
                        format!("skipped by {}", skipped_by.join(", "))
                    }
                );
            }
        }
        HolidayCommand::Show { calendar } => {
            let c = find(store, &calendar).await?;
            println!("{} ({})", c.name, c.id);
            if !c.description.is_empty() {
                println!("  {}", c.description);
            }
            for (date, name) in &c.days {
                println!("  {date} {} {name}", date.strftime("%a"));
            }
        }
        HolidayCommand::Create {
            name,
            description,
            file,
        } => {
            let days = match file {
                Some(path) => read_days(&path)?,
                None => CompanyDays::new(),
            };
            let record = HolidayCalendarRecord {
                id: uuid::Uuid::new_v4().to_string(),
                name: name.trim().to_owned(),
                description,
                days,
                created_at: now,
                updated_at: now,
            };
            let audit = cli_audit(
                now,
                "holiday_calendar.created",
                &record.id,
                serde_json::json!({ "name": record.name, "days": record.days.len() }),
            );
            verdict(
                store.create_holiday_calendar(&record, &audit).await?,
                &record.name,
            )?;
            println!(
                "holiday calendar {:?} created with {} days ({})",
                record.name,
                record.days.len(),
                record.id
            );
        }
        HolidayCommand::Import {
            calendar,
            file,
            replace,
        } => {
            let current = find(store, &calendar).await?;
            let imported = read_days(&file)?;
            let count = imported.len();
            let mut days = if replace {
                CompanyDays::new()
            } else {
                current.days.clone()
            };
            days.extend(imported);
            check_day_count(&days).map_err(|e| anyhow::anyhow!("--file: {e}"))?;
            let total = days.len();
            save(store, current, days, now).await?;
            println!("{count} days imported; the calendar has {total}");
        }
        HolidayCommand::Delete {
            calendar,
            date: Some(date),
        } => {
            let current = find(store, &calendar).await?;
            let date = parse_date("--date", &date)?;
            let mut days = current.days.clone();
            if days.remove(&date).is_none() {
                bail!("--date: {date} is not a day of {:?}", current.name);
            }
            let name = current.name.clone();
            save(store, current, days, now).await?;
            println!("{date} removed from {name:?}");
        }
        HolidayCommand::Delete {
            calendar,
            date: None,
        } => {
            let c = find(store, &calendar).await?;
            let audit = cli_audit(
                now,
                "holiday_calendar.deleted",
                &c.id,
                serde_json::json!({ "name": c.name }),
            );
            verdict(store.delete_holiday_calendar(&c.id, &audit).await?, &c.name)?;
            println!("holiday calendar {:?} deleted", c.name);
        }
    }
    Ok(())
}

async fn find(store: &Store, calendar: &str) -> anyhow::Result<HolidayCalendarRecord> {
    store
        .holiday_calendar(calendar)
        .await?
        .with_context(|| format!("no holiday calendar {calendar:?}"))
}

/// The days of a CSV or iCalendar file (`.ics`, or text that says it is one).
fn read_days(path: &std::path::Path) -> anyhow::Result<CompanyDays> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--file: cannot read {}", path.display()))?;
    let ics = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ics"));
    Ok(parse_import("--file", &text, ics)?)
}

/// Writes `current` with `days` in place of its days, audited.
async fn save(
    store: &Store,
    current: HolidayCalendarRecord,
    days: CompanyDays,
    now: i64,
) -> anyhow::Result<()> {
    let record = HolidayCalendarRecord {
        days,
        updated_at: now,
        ..current
    };
    let audit = cli_audit(
        now,
        "holiday_calendar.updated",
        &record.id,
        serde_json::json!({ "name": record.name, "days": record.days.len() }),
    );
    verdict(
        store.update_holiday_calendar(&record, &audit).await?,
        &record.name,
    )
}

/// The store's refusal as an error naming the argument or field.
fn verdict(write: ScheduleWrite, name: &str) -> anyhow::Result<()> {
    match write {
        ScheduleWrite::Done => Ok(()),
        ScheduleWrite::NotFound => bail!("no holiday calendar {name:?}"),
        ScheduleWrite::NameTaken => bail!("name: a holiday calendar named {name:?} exists already"),
        ScheduleWrite::Invalid(e) => bail!("{}: {}", e.field, e.message),
        ScheduleWrite::InUse(schedules) => Err(sched::ChangeError::InUse {
            calendar: name.to_owned(),
            schedules,
        }
        .into()),
    }
}
