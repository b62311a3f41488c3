//! `hinomi incident ...`: declare, list, show and change incidents and write their
//! timelines straight from the database, for the operator at the server's console. Input
//! is parsed by the same functions as the API's (`hinomi_web::incidents`), so refusals
//! name the same fields; changes are recorded as made by `cli:<login>`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hinomi_core::incident::Severity;
use hinomi_core::incident::{EntryKind, SeverityPolicy, Status};
use hinomi_engine::Clock as _;
use hinomi_store::{IncidentFault, IncidentQuery, IncidentRecord, NewEntry, Store};
use hinomi_web::incidents::{
    DeclareInput, ImpactInput, PatchInput, changes, new_incident, parse_kinds, update_notices,
};

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare an incident; without --severity, the one its impact suggests.
    Declare(DeclareArgs),
    /// List incidents, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        severity: Option<String>,
        /// A service's id or name.
        #[arg(long)]
        service: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Show an incident (by reference INC-42 or id) with its milestones and durations.
    Show { incident: String },
    /// Change an incident's status, severity, impact or summary.
    Update(UpdateArgs),
    /// Write a note (or hypothesis, finding, measure) on an incident's timeline.
    Note {
        incident: String,
        text: String,
        /// note, hypothesis, finding or measure.
        #[arg(long, default_value = "note")]
        kind: String,
        /// A hypothesis's verdict: open, confirmed or rejected.
        #[arg(long)]
        verdict: Option<String>,
    },
    /// Send an update to the stakeholder lists that hear the incident's severity.
    Report { incident: String, text: String },
    /// Print an incident's timeline.
    Timeline {
        incident: String,
        /// Kinds, comma-separated.
        #[arg(long, default_value = "")]
        kind: String,
    },
}

/// An impact given as flags.
#[derive(Debug, Args)]
pub struct ImpactArgs {
    #[arg(long)]
    people: Option<i64>,
    /// Revenue impact a day, in whole units of --currency.
    #[arg(long)]
    revenue_per_day: Option<i64>,
    /// ISO 4217 code (JPY).
    #[arg(long)]
    currency: Option<String>,
    #[arg(long)]
    customers: Option<i64>,
    /// low, medium, high or critical.
    #[arg(long)]
    reputational_risk: Option<String>,
}

impl ImpactArgs {
    fn given(&self) -> bool {
        self.people.is_some()
            || self.revenue_per_day.is_some()
            || self.currency.is_some()
            || self.customers.is_some()
            || self.reputational_risk.is_some()
    }

    fn input(self) -> ImpactInput {
        ImpactInput {
            people_affected: self.people,
            revenue_per_day: self.revenue_per_day,
            currency: self.currency,
            customers_affected: self.customers,
            reputational_risk: self.reputational_risk,
        }
    }
}

#[derive(Debug, Args)]
pub struct DeclareArgs {
    title: String,
    #[arg(long, default_value = "")]
    summary: String,
    #[arg(long)]
    severity: Option<String>,
    /// A service's id or name; repeatable.
    #[arg(long = "service")]
    services: Vec<String>,
    /// An alert group's key; repeatable.
    #[arg(long = "alert-group")]
    alert_groups: Vec<String>,
    /// When the impact began (RFC 3339); default the alert groups' first alert.
    #[arg(long)]
    started: Option<String>,
    /// When it was noticed (RFC 3339).
    #[arg(long)]
    detected: Option<String>,
    #[command(flatten)]
    impact: ImpactArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    incident: String,
    #[arg(long)]
    status: Option<String>,
    /// Why (required to reopen).
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    severity: Option<String>,
    #[arg(long)]
    summary: Option<String>,
    /// The services affected (id or name, repeatable): replaces the list; `--service ""`
    /// clears it.
    #[arg(long = "service")]
    services: Option<Vec<String>>,
    /// An alert group to link, by key (repeatable).
    #[arg(long = "link-group")]
    link_groups: Option<Vec<String>>,
    /// Replaces the whole impact when any impact flag is given.
    #[command(flatten)]
    impact: ImpactArgs,
}

/// Who the change is recorded as made by.
fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// A refusal as the CLI says it: the field (as the API names it) and why.
fn refused(e: IncidentFault) -> anyhow::Error {
    match e {
        IncidentFault::NotFound(what) => anyhow::anyhow!("{what} not found"),
        IncidentFault::Invalid(e) => anyhow::anyhow!("{e}"),
        IncidentFault::Conflict(m) => anyhow::anyhow!("{m}"),
    }
}

pub async fn incident(
    store: &Store,
    policy: &SeverityPolicy,
    external_url: &str,
    cmd: IncidentCommand,
) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    match cmd {
        IncidentCommand::Declare(a) => {
            let input = DeclareInput {
                title: a.title,
                summary: a.summary,
                severity: a.severity,
                impact: a.impact.input(),
                services: a.services,
                alert_groups: a.alert_groups,
                started_at: a.started,
                detected_at: a.detected,
                acknowledged_at: None,
            };
            let (new, suggestion) = new_incident(&input, policy)?;
            let i = store
                .declare_incident(&new, &actor(), now)
                .await?
                .map_err(refused)?;
            print!("{} declared: {}", i.reference(), i.severity);
            match suggestion {
                Some(s) => println!(" (suggested: {} because {})", s.severity, s.condition),
                None => println!(),
            }
        }
        IncidentCommand::List {
            status,
            severity,
            service,
            limit,
        } => {
            let q = IncidentQuery {
                status: status.as_deref().map(Status::parse).transpose()?,
                severity: severity.as_deref().map(Severity::parse).transpose()?,
                service,
                limit,
            };
            for i in store.incidents(&q).await? {
                println!(
                    "{:<8} {:<5} {:<13} {}",
                    i.reference(),
                    i.severity,
                    i.status,
                    i.title
                );
            }
        }
        IncidentCommand::Show { incident } => {
            let i = find(store, &incident).await?;
            show(&i, policy, now);
        }
        IncidentCommand::Update(a) => {
            let i = find(store, &a.incident).await?;
            let impact = a.impact.given().then(|| a.impact.input());
            let list = changes(&PatchInput {
                status: a.status,
                reason: a.reason,
                severity: a.severity,
                impact,
                summary: a.summary,
                services: a.services,
                link_alert_groups: a.link_groups,
            })?;
            if list.is_empty() {
                bail!(
                    "nothing to change: give --status, --severity, --summary, --service, \
                     --link-group or an impact"
                );
            }
            let i = store
                .change_incident(&i.id, &list, &actor(), now)
                .await?
                .map_err(refused)?;
            println!("{} is {} ({})", i.reference(), i.status, i.severity);
        }
        IncidentCommand::Report { incident, text } => {
            let i = find(store, &incident).await?;
            let text = hinomi_core::incident::parse_text("text", &text, false)?;
            let update_id = uuid::Uuid::new_v4().to_string();
            let (notices, lists) = update_notices(&i, policy, &text, external_url, &update_id, now);
            if lists.is_empty() {
                bail!(
                    "no stakeholder list hears {} incidents: add [[incidents.stakeholders]] to the settings",
                    i.severity
                );
            }
            let data = serde_json::json!({ "lists": lists, "messages": notices.len() });
            store
                .post_incident_update(&i.id, &text, &data, &notices, &actor(), now)
                .await?
                .map_err(refused)?;
            println!(
                "{}: {} message(s) to {}",
                i.reference(),
                notices.len(),
                lists.join(", ")
            );
        }
        IncidentCommand::Note {
            incident,
            text,
            kind,
            verdict,
        } => {
            let i = find(store, &incident).await?;
            let kind = EntryKind::parse_manual("--kind", &kind)?;
            let entry = NewEntry {
                kind,
                text: hinomi_core::incident::parse_text("text", &text, false)?,
                verdict: hinomi_core::incident::timeline::entry_verdict(kind, verdict.as_deref())?,
                at: None,
            };
            let e = store
                .add_timeline_entry(&i.id, &entry, &actor(), now)
                .await?
                .map_err(refused)?;
            println!("entry {} written on {}", e.id, i.reference());
        }
        IncidentCommand::Timeline { incident, kind } => {
            let i = find(store, &incident).await?;
            let kinds = parse_kinds(&kind).context("--kind")?;
            for e in store.incident_timeline(&i.id, &kinds).await? {
                let verdict = e.verdict.map(|v| format!(" [{v}]")).unwrap_or_default();
                let corrected = e
                    .corrected_by
                    .map(|c| format!(" (corrected by {c})"))
                    .unwrap_or_default();
                println!(
                    "{:>5} {} {:<18} {:<12} {}{verdict}{corrected}",
                    e.id,
                    hinomi_core::time::format_millis(e.at),
                    e.kind,
                    e.actor,
                    e.text
                );
            }
        }
    }
    Ok(())
}

async fn find(store: &Store, key: &str) -> anyhow::Result<IncidentRecord> {
    store
        .incident(key)
        .await?
        .with_context(|| format!("no incident {key:?}"))
}

fn show(i: &IncidentRecord, policy: &SeverityPolicy, now: i64) {
    println!("{} {}", i.reference(), i.title);
    println!(
        "severity {} ({}), status {}",
        i.severity,
        policy.level(i.severity).name,
        i.status
    );
    if let Some(s) = policy.suggest(&i.impact) {
        println!("suggested {} because {}", s.severity, s.condition);
    }
    if !i.summary.is_empty() {
        println!("{}", i.summary);
    }
    for (m, at) in i.milestones.iter() {
        let at = at.map_or("-".to_owned(), hinomi_core::time::format_millis);
        println!("  {:<13} {at}", m.as_str());
    }
    let d = i.milestones.durations(now);
    for (name, v) in d.named() {
        if let Some(ms) = v {
            println!("  {name:<20} {}", hinomi_core::format_duration(ms));
        }
    }
    if let Some(s) = d.downtime {
        let ongoing = if s.ongoing { " (ongoing)" } else { "" };
        println!(
            "  {:<20} {}{ongoing}",
            "downtime",
            hinomi_core::format_duration(s.ms)
        );
    }
    for (_, name) in &i.services {
        println!("  service {name}");
    }
    for g in &i.alert_groups {
        println!("  alert group {g}");
    }
}
