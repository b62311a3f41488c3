//! `hinomi incident ...`: declare, list, show and change incidents, give and take their
//! roles, check their checklists and write their timelines straight from the database, for
//! the operator at the server's console. Messages a change sends are queued in the outbox
//! for the server to deliver. Input
//! is parsed by the same functions as the API's (`hinomi_web::incidents`), so refusals
//! name the same fields; changes are recorded as made by `cli:<login>`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hinomi_core::incident::Severity;
use hinomi_core::incident::{EntryKind, SeverityPolicy, Status};
use hinomi_engine::Clock as _;
use hinomi_engine::escalate::Firer;
use hinomi_engine::{RoleInput, Told, incidents};
use hinomi_store::{
    Holder, IncidentFault, IncidentQuery, IncidentRecord, ItemChange, NewEntry, Store,
};
use hinomi_web::incidents::{
    DeclareInput, ImpactInput, PatchInput, changes, new_incident, parse_kinds,
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
    /// Give a role on an incident to a user (paged through their notification rules) or,
    /// with --contact, to an external contact (emailed).
    Assign {
        incident: String,
        /// A role's key (incident_manager, technical_lead, ...).
        role: String,
        /// A username or id; or an external contact's id with --contact.
        holder: String,
        #[arg(long)]
        contact: bool,
    },
    /// Take a role back from its holder (a username, or an external contact's id).
    Unassign {
        incident: String,
        role: String,
        holder: String,
    },
    /// List who holds which role on an incident.
    Team { incident: String },
    /// Print an incident's checklist, by phase, with deadlines.
    Checklist { incident: String },
    /// Check (or with --uncheck, uncheck) a checklist item by its id.
    Check {
        incident: String,
        item: i64,
        #[arg(long)]
        uncheck: bool,
    },
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
    /// A role and its holder, `technical_lead=alice`; repeatable.
    #[arg(long = "role")]
    roles: Vec<String>,
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

/// What giving a role sent, in words.
fn told(t: &Told) -> String {
    match t {
        Told::Messages(n) => format!("{n} message(s) queued"),
        Told::Unreachable(why) => format!("not paged: {why:?} notification rules"),
        Told::NoEmail => "not emailed: the contact has no email address".into(),
    }
}

pub async fn incident(
    store: &Store,
    policy: &SeverityPolicy,
    external_url: &str,
    cmd: IncidentCommand,
) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    let firer = Firer::offline(store.clone(), external_url);
    let mut leased = Vec::new();
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
                roles: a
                    .roles
                    .iter()
                    .map(|r| {
                        let (role, user) = r.split_once('=').with_context(|| {
                            format!("--role {r:?}: write ROLE=USER (technical_lead=alice)")
                        })?;
                        Ok(RoleInput {
                            role: role.to_owned(),
                            user: Some(user.to_owned()),
                            contact: None,
                        })
                    })
                    .collect::<anyhow::Result<_>>()?,
            };
            let (new, suggestion) = new_incident(&input, policy)?;
            let (i, given) = incidents::declare(
                &firer,
                policy,
                &new,
                &input.roles,
                None,
                &actor(),
                now,
                &mut leased,
            )
            .await?
            .map_err(refused)?;
            print!("{} declared: {}", i.reference(), i.severity);
            match suggestion {
                Some(s) => println!(" (suggested: {} because {})", s.severity, s.condition),
                None => println!(),
            }
            for g in given {
                println!("  {}: {}", g.assignment.role, told(&g.told));
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
            })?;
            if list.is_empty() {
                bail!("nothing to change: give --status, --severity, --summary or an impact");
            }
            let i = store
                .change_incident(&i.id, &list, policy.playbooks(), &actor(), now)
                .await?
                .map_err(refused)?;
            println!("{} is {} ({})", i.reference(), i.status, i.severity);
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
        IncidentCommand::Assign {
            incident,
            role,
            holder,
            contact,
        } => {
            let i = find(store, &incident).await?;
            let input = RoleInput {
                role,
                user: (!contact).then(|| holder.clone()),
                contact: contact.then_some(holder),
            };
            let g =
                incidents::assign_role(&firer, policy, &i.id, &input, &actor(), now, &mut leased)
                    .await?
                    .map_err(refused)?;
            println!(
                "{} is {} on {}: {}",
                input.user.or(input.contact).unwrap_or_default(),
                g.assignment.role,
                i.reference(),
                told(&g.told)
            );
        }
        IncidentCommand::Unassign {
            incident,
            role,
            holder,
        } => {
            let i = find(store, &incident).await?;
            let user = store.user_by_username(&holder).await?.map(|u| u.id);
            let held = store.incident_roles(&i.id, false).await?;
            let a = held
                .iter()
                .find(|a| {
                    a.role == role
                        && (a.holder.id() == holder || user.as_deref() == Some(a.holder.id()))
                })
                .with_context(|| format!("{holder} does not hold {role} on {}", i.reference()))?;
            incidents::unassign_role(&firer, &i.id, a.id, &actor(), now)
                .await?
                .map_err(refused)?;
            println!("{holder} no longer holds {role} on {}", i.reference());
        }
        IncidentCommand::Team { incident } => {
            let i = find(store, &incident).await?;
            let users = store.paging_people().await?.users;
            let contacts = store.external_contacts().await?;
            for a in store.incident_roles(&i.id, false).await? {
                let who = match &a.holder {
                    Holder::User(id) => users
                        .iter()
                        .find(|u| &u.id == id)
                        .map_or(id.clone(), |u| u.username.clone()),
                    Holder::Contact(id) => contacts
                        .iter()
                        .find(|c| &c.id == id)
                        .map_or(id.clone(), |c| format!("{} ({})", c.name, c.organisation)),
                };
                let group = policy.roles().get(&a.role).map_or("", |r| r.group.as_str());
                println!("{:<8} {:<20} {who}", group, a.role);
            }
        }
        IncidentCommand::Checklist { incident } => {
            let i = find(store, &incident).await?;
            let mut phase = None;
            for item in store.checklist(&i.id).await? {
                let this = (item.playbook.clone(), item.phase);
                if phase.as_ref() != Some(&this) {
                    println!(
                        "{} / {} (due {})",
                        item.playbook_name_en,
                        item.phase_name_en,
                        hinomi_core::time::format_millis(item.due_at)
                    );
                    phase = Some(this);
                }
                let mark = match item.checked_at {
                    Some(_) => "[x]",
                    None if item.due_at <= now => "[!]",
                    None => "[ ]",
                };
                let role = item.role.map(|r| format!(" ({r})")).unwrap_or_default();
                println!("  {:>4} {mark} {}{role}", item.id, item.text_en);
            }
        }
        IncidentCommand::Check {
            incident,
            item,
            uncheck,
        } => {
            let i = find(store, &incident).await?;
            let done = store
                .change_checklist_item(&i.id, item, &ItemChange::Check(!uncheck), &actor(), now)
                .await?
                .map_err(refused)?;
            let state = if uncheck { "unchecked" } else { "checked" };
            println!("{state}: {}", done.text_en);
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
