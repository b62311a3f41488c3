//! `hinomi incident ...`: declare, list, show and change incidents, give and take their
//! roles, check their checklists, write their timelines, send updates to stakeholders,
//! print the customer notifications drafted for them, record recovery checks and the
//! impact record, draft and print the postmortem, and keep action items, straight from the
//! database, for the operator at the server's console. Messages a change sends are queued
//! in the outbox for the server to deliver. Input is parsed by the same functions as the
//! API's (`hinomi_web::incidents`), so refusals name the same fields; changes are recorded
//! as made by `cli:<login>`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hinomi_core::incident::Severity;
use hinomi_core::incident::action_item::{
    Category, Chase, Horizon, ItemStatus, parse_due, parse_ticket_url, parse_title,
};
use hinomi_core::incident::postmortem::{self, Section};
use hinomi_core::incident::recovery::parse_note;
use hinomi_core::incident::{Check, CheckState, EntryKind, ImpactRecord, SeverityPolicy, Status};
use hinomi_engine::Clock as _;
use hinomi_engine::escalate::Firer;
use hinomi_engine::{RoleInput, Told, incidents};
use hinomi_store::{
    ActionItemPatch, ActionItemQuery, Holder, IncidentFault, IncidentQuery, IncidentRecord,
    ItemChange, NewActionItem, NewEntry, NewUpdate, RecoveryRecord, Store,
};
use hinomi_web::incidents::{
    DeclareInput, ImpactInput, PatchInput, changes, customer_drafts, new_incident, parse_kinds,
    update_notices,
};
use hinomi_web::postmortems::{parse_language, postmortem_markdown, section_items};

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
    /// Print the customer notification drafted from the templates for an incident, times
    /// in the status page's time zone.
    Draft {
        incident: String,
        /// investigating, identified, monitoring or resolved (default: the incident's).
        #[arg(long)]
        status: Option<String>,
        /// ja or en (default: both, each under its tag).
        #[arg(long)]
        lang: Option<String>,
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
    /// Record a recovery check (performance, functions, data_integrity, access), or with
    /// no check print them all with the impact record.
    Recovery {
        incident: String,
        check: Option<String>,
        /// not_checked, ok, degraded or failed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Replace the business-impact record (the downtime comes from the milestones).
    ImpactRecord {
        incident: String,
        #[arg(long, default_value = "")]
        data_loss: String,
        #[arg(long, default_value = "")]
        business_delay: String,
        #[arg(long, default_value = "")]
        customers_handled: String,
        #[arg(long)]
        customers_handled_count: Option<i64>,
    },
    /// Draft the postmortem (again: edited sections are kept unless --replace-edited), or
    /// print it as Markdown.
    Postmortem {
        incident: String,
        /// Draft it in this language (ja or en) before printing.
        #[arg(long)]
        draft: Option<String>,
        /// IANA zone for the draft's times (default UTC).
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// With --draft: replace the sections people edited too.
        #[arg(long)]
        replace_edited: bool,
    },
    /// Action items: list, add, take from a postmortem section, change.
    #[command(subcommand)]
    Action(ActionCommand),
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// List action items: an incident's, or every incident's open ones.
    List {
        /// An incident's reference; without it, every incident.
        incident: Option<String>,
        /// Closed items too.
        #[arg(long)]
        all: bool,
    },
    /// Add an action item to an incident.
    Add {
        incident: String,
        title: String,
        /// system, operations, process or communication.
        #[arg(long)]
        category: String,
        /// short or long.
        #[arg(long)]
        horizon: String,
        /// A username.
        #[arg(long)]
        owner: Option<String>,
        /// 2024-12-20.
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        ticket_url: Option<String>,
    },
    /// Take a postmortem section's list items as open action items.
    FromSection {
        incident: String,
        /// improvements, prevention, next_steps, ...
        section: String,
        #[arg(long)]
        category: String,
        #[arg(long)]
        horizon: String,
    },
    /// Change an action item (an empty --owner, --due or --ticket-url clears it).
    Update {
        item: String,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        ticket_url: Option<String>,
        #[arg(long)]
        title: Option<String>,
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
    zone: &jiff::tz::TimeZone,
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
                .change_incident(&i.id, &list, policy, &actor(), now)
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
            let every = policy.level(i.severity).update_every_minutes;
            let messages = notices.len();
            let update = NewUpdate {
                data: serde_json::json!({ "lists": lists, "messages": messages }),
                text,
                notices,
                next_due: hinomi_core::incident::comms::next_update_due(now, every),
            };
            store
                .post_incident_update(&i.id, &update, &actor(), now)
                .await?
                .map_err(refused)?;
            println!(
                "{}: {} message(s) to {}",
                i.reference(),
                messages,
                lists.join(", ")
            );
        }
        IncidentCommand::Draft {
            incident,
            status,
            lang,
        } => {
            let i = find(store, &incident).await?;
            let status = match status {
                Some(s) => Status::parse(&s).context("--status")?,
                None => i.status,
            };
            let lang = lang.as_deref().map(parse_language).transpose()?;
            let draft = customer_drafts(&i, policy, &[status], zone, now)
                .pop()
                .context("no draft")?;
            match lang {
                Some(l) => println!("{}", draft.text(l)),
                None => println!("[ja]\n{}\n\n[en]\n{}", draft.ja, draft.en),
            }
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
        IncidentCommand::Recovery {
            incident,
            check,
            state,
            note,
        } => {
            let i = find(store, &incident).await?;
            if let Some(check) = check {
                let check = Check::parse(&check)?;
                let state = CheckState::parse(state.as_deref().context("give --state")?)?;
                let note = parse_note(&note)?;
                store
                    .set_recovery_check(&i.id, check, state, &note, &actor(), now)
                    .await?
                    .map_err(refused)?;
            }
            let r = store.recovery(&i.id).await?;
            print_recovery(&i, &r, now);
        }
        IncidentCommand::ImpactRecord {
            incident,
            data_loss,
            business_delay,
            customers_handled,
            customers_handled_count,
        } => {
            let i = find(store, &incident).await?;
            let record = ImpactRecord::parse(
                &data_loss,
                &business_delay,
                &customers_handled,
                customers_handled_count,
            )?;
            let r = store
                .set_impact_record(&i.id, &record, &actor(), now)
                .await?
                .map_err(refused)?;
            print_recovery(&i, &r, now);
        }
        IncidentCommand::Postmortem {
            incident,
            draft,
            time_zone,
            replace_edited,
        } => {
            let i = find(store, &incident).await?;
            if let Some(language) = draft {
                let language = parse_language(&language)?;
                let zone = jiff::tz::TimeZone::get(&time_zone)
                    .with_context(|| format!("--time-zone: {time_zone:?} is not an IANA zone"))?;
                let facts = store
                    .postmortem_facts(&i, &policy.level(i.severity).name, policy.roles(), language)
                    .await?;
                let sections = postmortem::draft(&facts, language, &zone, now);
                let (_, kept) = store
                    .save_postmortem_draft(
                        &i.id,
                        language,
                        &time_zone,
                        &sections,
                        replace_edited,
                        &actor(),
                        now,
                    )
                    .await?
                    .map_err(refused)?;
                for k in kept {
                    eprintln!("kept the edited section {}", k.as_str());
                }
            }
            let pm = store.postmortem(&i.id).await?.with_context(|| {
                format!(
                    "{} has no postmortem: draft one with --draft ja",
                    i.reference()
                )
            })?;
            print!("{}", postmortem_markdown(&i, &pm));
        }
        IncidentCommand::Action(cmd) => action(store, policy.chase(), cmd, now).await?,
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
                        .map_or(id.clone(), |c| c.label()),
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

async fn action(store: &Store, chase: &Chase, cmd: ActionCommand, now: i64) -> anyhow::Result<()> {
    match cmd {
        ActionCommand::List { incident, all } => {
            let q = match incident {
                Some(key) => ActionItemQuery {
                    incident_id: Some(find(store, &key).await?.id),
                    open_only: !all,
                    owner_id: None,
                },
                None => ActionItemQuery {
                    incident_id: None,
                    open_only: !all,
                    owner_id: None,
                },
            };
            for i in store.action_items(&q).await? {
                println!(
                    "{} INC-{:<5} {:<11} {:<13} {:<5} {:<10} {:<12} {}",
                    i.id,
                    i.incident_number,
                    i.status,
                    i.category,
                    i.horizon,
                    i.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                    i.owner.as_deref().unwrap_or("-"),
                    i.title
                );
            }
        }
        ActionCommand::Add {
            incident,
            title,
            category,
            horizon,
            owner,
            due,
            ticket_url,
        } => {
            let i = find(store, &incident).await?;
            let owner_id = match owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
                Some(o) => Some(
                    store
                        .user_by_username(o)
                        .await?
                        .with_context(|| format!("--owner: no user {o:?}"))?
                        .id,
                ),
                None => None,
            };
            let item = NewActionItem {
                id: uuid::Uuid::new_v4().to_string(),
                category: Category::parse(&category)?,
                horizon: Horizon::parse(&horizon)?,
                title: parse_title(&title)?,
                owner_id,
                due: due.as_deref().map(parse_due).transpose()?,
                ticket_url: ticket_url.as_deref().map(parse_ticket_url).transpose()?,
                source: "manual".to_owned(),
            };
            for a in store
                .add_action_items(&i.id, &[item], false, chase, &actor(), now)
                .await?
                .map_err(refused)?
            {
                println!("action item {} added to {}", a.id, i.reference());
            }
        }
        ActionCommand::FromSection {
            incident,
            section,
            category,
            horizon,
        } => {
            let i = find(store, &incident).await?;
            let section = Section::parse(&section)?;
            let (category, horizon) = (Category::parse(&category)?, Horizon::parse(&horizon)?);
            let pm = store
                .postmortem(&i.id)
                .await?
                .with_context(|| format!("{} has no postmortem", i.reference()))?;
            let items = section_items(&pm, section, category, horizon)?;
            let added = store
                .add_action_items(&i.id, &items, true, chase, &actor(), now)
                .await?
                .map_err(refused)?;
            println!("{} action item(s) added to {}", added.len(), i.reference());
        }
        ActionCommand::Update {
            item,
            status,
            owner,
            due,
            ticket_url,
            title,
        } => {
            let owner_id = match owner.as_deref().map(str::trim) {
                Some("") => Some(None),
                Some(o) => Some(Some(
                    store
                        .user_by_username(o)
                        .await?
                        .with_context(|| format!("--owner: no user {o:?}"))?
                        .id,
                )),
                None => None,
            };
            let clear =
                |v: Option<String>| v.map(|v| Some(v.trim().to_owned()).filter(|v| !v.is_empty()));
            let patch = ActionItemPatch {
                status: status.as_deref().map(ItemStatus::parse).transpose()?,
                owner_id,
                due: clear(due)
                    .map(|d| d.as_deref().map(parse_due).transpose())
                    .transpose()?,
                ticket_url: clear(ticket_url)
                    .map(|u| u.as_deref().map(parse_ticket_url).transpose())
                    .transpose()?,
                title: title.as_deref().map(parse_title).transpose()?,
                ..ActionItemPatch::default()
            };
            let a = store
                .update_action_item(&item, &patch, chase, &actor(), now)
                .await?
                .map_err(refused)?;
            println!("action item {} is {}", a.id, a.status);
        }
    }
    Ok(())
}

fn print_recovery(i: &IncidentRecord, r: &RecoveryRecord, now: i64) {
    println!("{} recovery", i.reference());
    for c in &r.checks {
        let by = c
            .checked_by
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        println!(
            "  {:<15} {:<12} {}{by}",
            c.check.as_str(),
            c.state.as_str(),
            c.note
        );
    }
    match i.milestones.durations(now).downtime {
        Some(s) => println!(
            "  downtime        {}{}",
            hinomi_core::format_duration(s.ms),
            if s.ongoing { " (ongoing)" } else { "" }
        ),
        None => println!("  downtime        - (no start recorded)"),
    }
    println!("  data loss       {}", r.impact.data_loss);
    println!("  business delay  {}", r.impact.business_delay);
    let count = r
        .impact
        .customers_handled_count
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    println!("  customers       {}{count}", r.impact.customers_handled);
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
