//! An incident's postmortem and action items, one function per change, called by `api_v1`,
//! the console and the CLI: the check of the caller's right, the input parsed into the
//! core's types (faults name the field), and the store's transaction. A draft is built by
//! `hinomi_core::incident::postmortem::draft` from the facts the store gathers; a new draft
//! keeps the sections people edited unless the caller asks to replace them.

use hinomi_core::Action;
use hinomi_core::incident::FieldError;
use hinomi_core::incident::action_item::{
    Category, Horizon, ItemStatus, items_from_section, parse_due, parse_ticket_url, parse_title,
};
use hinomi_core::incident::postmortem::{self, Section, parse_body};
use hinomi_core::locale::Locale;
use hinomi_store::{
    ActionItemPatch, ActionItemQuery, ActionItemRecord, IncidentRecord, NewActionItem,
    PostmortemRecord, Store,
};
use jiff::tz::TimeZone;

use crate::AppState;
use crate::auth::Principal;
use crate::incidents::{IncidentError, actor, incident, require};

type Result<T> = std::result::Result<T, IncidentError>;

/// An incident and its postmortem, if one was drafted.
pub async fn postmortem(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<(IncidentRecord, Option<PostmortemRecord>)> {
    let found = incident(principal, state, id).await?;
    let pm = state.engine.store().postmortem(&found.id).await?;
    Ok((found, pm))
}

/// The language a draft is written in: `ja` or `en`.
pub fn parse_language(value: &str) -> std::result::Result<Locale, FieldError> {
    match value.trim() {
        "ja" => Ok(Locale::Ja),
        "en" => Ok(Locale::En),
        other => Err(FieldError::new(
            "language",
            format!("{other:?} is not a language hinomi writes: expected ja or en"),
        )),
    }
}

/// The zone a draft's times are written in: the one given, else the caller's own, else UTC.
fn draft_zone(
    principal: &Principal,
    given: Option<&str>,
) -> std::result::Result<(TimeZone, String), FieldError> {
    let name = match given.map(str::trim).filter(|z| !z.is_empty()) {
        Some(z) => z.to_owned(),
        None => principal
            .user
            .as_ref()
            .and_then(|u| u.time_zone.clone())
            .unwrap_or_else(|| "UTC".to_owned()),
    };
    let zone = TimeZone::get(&name)
        .map_err(|_| FieldError::new("time_zone", format!("{name:?} is not an IANA time zone")))?;
    Ok((zone, name))
}

/// Drafts (or drafts again) an incident's postmortem in `language`, with times in
/// `time_zone`. Sections people edited are kept unless `replace_edited`; answers the
/// postmortem and the sections kept.
pub async fn draft(
    principal: &Principal,
    state: &AppState,
    id: &str,
    language: &str,
    time_zone: Option<&str>,
    replace_edited: bool,
) -> Result<(PostmortemRecord, Vec<Section>)> {
    require(principal, Action::RespondToIncidents)?;
    let language = parse_language(language)?;
    let (zone, zone_name) = draft_zone(principal, time_zone)?;
    let found = incident(principal, state, id).await?;
    let store = state.engine.store();
    let severity_name = state.incidents.level(found.severity).name.clone();
    let facts = store
        .postmortem_facts(&found, &severity_name, state.incidents.roles(), language)
        .await?;
    let now = state.engine.now();
    let sections = postmortem::draft(&facts, language, &zone, now);
    Ok(store
        .save_postmortem_draft(
            &found.id,
            language,
            &zone_name,
            &sections,
            replace_edited,
            &actor(principal),
            now,
        )
        .await??)
}

/// Replaces one section of an incident's postmortem with the caller's text.
pub async fn edit_section(
    principal: &Principal,
    state: &AppState,
    id: &str,
    section: &str,
    body: &str,
) -> Result<PostmortemRecord> {
    require(principal, Action::RespondToIncidents)?;
    let section = Section::parse(section)?;
    let body = parse_body(body)?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .store()
        .edit_postmortem_section(
            &found.id,
            section,
            &body,
            &actor(principal),
            state.engine.now(),
        )
        .await??)
}

/// An incident's postmortem as one Markdown document (404 until drafted).
pub async fn markdown(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<(IncidentRecord, PostmortemRecord, String)> {
    let (found, pm) = postmortem(principal, state, id).await?;
    let pm =
        pm.ok_or_else(|| IncidentError::NotFound(format!("postmortem of {}", found.reference())))?;
    let md = postmortem_markdown(&found, &pm);
    Ok((found, pm, md))
}

/// The stored sections of `pm` as Markdown under the incident's title.
pub fn postmortem_markdown(found: &IncidentRecord, pm: &PostmortemRecord) -> String {
    let sections: Vec<(Section, String)> = pm
        .sections
        .iter()
        .map(|s| (s.section, s.body.clone()))
        .collect();
    postmortem::markdown(&found.reference(), &found.title, pm.language, &sections)
}

// ---- action items ---------------------------------------------------------------------------

/// An action item as given; empty strings are absent.
#[derive(Debug, Clone, Default)]
pub struct ActionItemInput {
    pub category: String,
    pub horizon: String,
    pub title: String,
    /// A username or user id.
    pub owner: Option<String>,
    /// `2024-12-20`.
    pub due: Option<String>,
    pub ticket_url: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The id of the user a username or id names, or a fault naming `owner`.
async fn owner_id(store: &Store, owner: &str) -> Result<String> {
    if let Some(u) = store.user_by_username(owner).await? {
        return Ok(u.id);
    }
    if let Some(u) = store.user_by_id(owner).await? {
        return Ok(u.id);
    }
    Err(FieldError::new("owner", format!("no user {owner:?}")).into())
}

/// Adds an action item to an incident by hand.
pub async fn add_action_item(
    principal: &Principal,
    state: &AppState,
    id: &str,
    input: &ActionItemInput,
) -> Result<ActionItemRecord> {
    require(principal, Action::RespondToIncidents)?;
    let category = Category::parse(&input.category)?;
    let horizon = Horizon::parse(&input.horizon)?;
    let title = parse_title(&input.title)?;
    let due = given(&input.due).map(parse_due).transpose()?;
    let ticket_url = given(&input.ticket_url).map(parse_ticket_url).transpose()?;
    let store = state.engine.store();
    let owner = match given(&input.owner) {
        Some(o) => Some(owner_id(store, o).await?),
        None => None,
    };
    let found = incident(principal, state, id).await?;
    let item = NewActionItem {
        id: uuid::Uuid::new_v4().to_string(),
        category,
        horizon,
        title,
        owner_id: owner,
        due,
        ticket_url,
        source: "manual".to_owned(),
    };
    let mut added = store
        .add_action_items(
            &found.id,
            &[item],
            false,
            state.incidents.chase(),
            &actor(principal),
            state.engine.now(),
        )
        .await??;
    added
        .pop()
        .ok_or_else(|| IncidentError::Conflict("the action item was not added".to_owned()))
}

/// The open action items a postmortem section's list items make, with new ids; a section
/// without list items is refused, naming `section`.
pub fn section_items(
    pm: &PostmortemRecord,
    section: Section,
    category: Category,
    horizon: Horizon,
) -> std::result::Result<Vec<NewActionItem>, FieldError> {
    let body = pm
        .sections
        .iter()
        .find(|s| s.section == section)
        .map(|s| s.body.as_str())
        .unwrap_or("");
    let items: Vec<NewActionItem> = items_from_section(body)
        .into_iter()
        .map(|title| NewActionItem {
            id: uuid::Uuid::new_v4().to_string(),
            category,
            horizon,
            title,
            owner_id: None,
            due: None,
            ticket_url: None,
            source: section.as_str().to_owned(),
        })
        .collect();
    if items.is_empty() {
        return Err(FieldError::new(
            "section",
            format!("the {} section has no list items to take", section.as_str()),
        ));
    }
    Ok(items)
}

/// Takes a postmortem section's bullet lines as open action items of `category` and
/// `horizon`, skipping those the incident has already; answers the items added.
pub async fn items_from_postmortem(
    principal: &Principal,
    state: &AppState,
    id: &str,
    section: &str,
    category: &str,
    horizon: &str,
) -> Result<Vec<ActionItemRecord>> {
    require(principal, Action::RespondToIncidents)?;
    let section = Section::parse(section)?;
    let category = Category::parse(category)?;
    let horizon = Horizon::parse(horizon)?;
    let (found, pm) = postmortem(principal, state, id).await?;
    let pm =
        pm.ok_or_else(|| IncidentError::NotFound(format!("postmortem of {}", found.reference())))?;
    let items = section_items(&pm, section, category, horizon)?;
    Ok(state
        .engine
        .store()
        .add_action_items(
            &found.id,
            &items,
            true,
            state.incidents.chase(),
            &actor(principal),
            state.engine.now(),
        )
        .await??)
}

/// Changes to an action item as given: absent fields change nothing; an empty owner, due
/// date or ticket link clears it.
#[derive(Debug, Clone, Default)]
pub struct ActionItemChange {
    pub category: Option<String>,
    pub horizon: Option<String>,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub status: Option<String>,
    pub ticket_url: Option<String>,
}

/// A field that an empty value clears: `None` absent, `Some(None)` cleared.
fn cleared(v: &Option<String>) -> Option<Option<&str>> {
    v.as_deref()
        .map(str::trim)
        .map(|v| (!v.is_empty()).then_some(v))
}

/// Changes an action item.
pub async fn update_action_item(
    principal: &Principal,
    state: &AppState,
    item: &str,
    change: &ActionItemChange,
) -> Result<ActionItemRecord> {
    require(principal, Action::RespondToIncidents)?;
    let store = state.engine.store();
    let patch = ActionItemPatch {
        category: change
            .category
            .as_deref()
            .map(Category::parse)
            .transpose()?,
        horizon: change.horizon.as_deref().map(Horizon::parse).transpose()?,
        title: change.title.as_deref().map(parse_title).transpose()?,
        owner_id: match cleared(&change.owner) {
            Some(Some(o)) => Some(Some(owner_id(store, o).await?)),
            Some(None) => Some(None),
            None => None,
        },
        due: cleared(&change.due)
            .map(|d| d.map(parse_due).transpose())
            .transpose()?,
        status: change
            .status
            .as_deref()
            .map(ItemStatus::parse)
            .transpose()?,
        ticket_url: cleared(&change.ticket_url)
            .map(|u| u.map(parse_ticket_url).transpose())
            .transpose()?,
    };
    Ok(store
        .update_action_item(
            item,
            &patch,
            state.incidents.chase(),
            &actor(principal),
            state.engine.now(),
        )
        .await??)
}

/// An incident's action items, in the order they were added.
pub async fn incident_items(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<(IncidentRecord, Vec<ActionItemRecord>)> {
    let found = incident(principal, state, id).await?;
    let items = state
        .engine
        .store()
        .action_items(&ActionItemQuery {
            incident_id: Some(found.id.clone()),
            ..ActionItemQuery::default()
        })
        .await?;
    Ok((found, items))
}

/// Action items across incidents, by due date: all, or only the open ones; optionally only
/// one owner's (a username or id).
pub async fn all_items(
    principal: &Principal,
    state: &AppState,
    open_only: bool,
    owner: Option<&str>,
) -> Result<Vec<ActionItemRecord>> {
    require(principal, Action::Read)?;
    let store = state.engine.store();
    let owner_id = match owner.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => Some(owner_id(store, o).await?),
        None => None,
    };
    Ok(store
        .action_items(&ActionItemQuery {
            incident_id: None,
            open_only,
            owner_id,
        })
        .await?)
}

/// One action item.
pub async fn action_item(
    principal: &Principal,
    state: &AppState,
    item: &str,
) -> Result<ActionItemRecord> {
    require(principal, Action::Read)?;
    state
        .engine
        .store()
        .action_item(item)
        .await?
        .ok_or_else(|| IncidentError::NotFound(format!("action item {item}")))
}
