//! After an incident, in the console: the recovery checks and the impact record (forms on
//! the incident's page), the postmortem page (`/incidents/{incident}/postmortem`: the
//! draft, each section edited in place, its action items, and the exports), the printable
//! postmortem (`.../postmortem/print`: the document alone with a print stylesheet, no
//! console frame) and the open action items of every incident (`/action-items`). Changes
//! go through `crate::incidents` and `crate::postmortems`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::incident::action_item::{Category, Horizon, ItemStatus};
use hinomi_core::incident::postmortem::Section;
use hinomi_store::{ActionItemRecord, IncidentRecord, PostmortemRecord, UserRecord};
use serde::Deserialize;

use super::incidents::{after, failed};
use super::{Ctx, PageError, render};
use crate::AppState;
use crate::incidents::{self as web_incidents, ImpactRecordInput, IncidentError};
use crate::postmortems::{self, ActionItemChange, ActionItemInput};

impl Ctx {
    /// A recovery check's name in the reader's language.
    pub fn check_name(&self, check: &hinomi_core::incident::Check) -> &'static str {
        self.t(&format!("recovery.check.{}", check.as_str()))
    }

    /// An action item's status in the reader's language.
    pub fn item_status(&self, s: &ItemStatus) -> &'static str {
        self.t(&format!("action.status.{}", s.as_str()))
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CheckForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    note: String,
}

/// `POST /incidents/{incident}/recovery/{check}`.
pub(super) async fn set_check(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, check)): Path<(String, String)>,
    Form(form): Form<CheckForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = web_incidents::set_recovery_check(
        &me.principal,
        &state,
        &id,
        &check,
        &form.state,
        &form.note,
    )
    .await;
    after(
        ctx,
        &state,
        &id,
        reference(&me.principal, &state, &id, done).await,
    )
    .await
}

/// The incident's reference after a change went through.
async fn reference<T>(
    principal: &crate::auth::Principal,
    state: &AppState,
    id: &str,
    done: Result<T, IncidentError>,
) -> Result<String, IncidentError> {
    done?;
    Ok(web_incidents::incident(principal, state, id)
        .await?
        .reference())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ImpactRecordForm {
    #[serde(default)]
    data_loss: String,
    #[serde(default)]
    business_delay: String,
    #[serde(default)]
    customers_handled: String,
    #[serde(default)]
    customers_handled_count: String,
}

/// `POST /incidents/{incident}/impact-record`.
pub(super) async fn set_impact_record(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ImpactRecordForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = match super::incidents::count(
        "impact_record.customers_handled_count",
        &form.customers_handled_count,
    ) {
        Ok(count) => {
            let input = ImpactRecordInput {
                data_loss: form.data_loss,
                business_delay: form.business_delay,
                customers_handled: form.customers_handled,
                customers_handled_count: count,
            };
            web_incidents::set_impact_record(&me.principal, &state, &id, &input).await
        }
        Err(e) => Err(e),
    };
    after(
        ctx,
        &state,
        &id,
        reference(&me.principal, &state, &id, done).await,
    )
    .await
}

// ---- the postmortem page ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "postmortem.html")]
struct PostmortemPage {
    ctx: Ctx,
    incident: IncidentRecord,
    postmortem: Option<PostmortemRecord>,
    items: Vec<ActionItemRecord>,
    users: Vec<UserRecord>,
    categories: [Category; 4],
    horizons: [Horizon; 2],
    statuses: [ItemStatus; 4],
    /// Sections a draft just kept because people had edited them.
    kept: Vec<String>,
    error: Option<(String, String)>,
}

impl PostmortemPage {
    fn heading(&self, s: &Section) -> &'static str {
        s.heading(
            self.postmortem
                .as_ref()
                .map_or(self.ctx.locale, |p| p.language),
        )
    }

    fn language(&self) -> &'static str {
        self.postmortem
            .as_ref()
            .map_or(self.ctx.locale, |p| p.language)
            .tag()
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PostmortemQuery {
    #[serde(default)]
    kept: String,
}

async fn postmortem_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    kept: Vec<String>,
    error: Option<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let (incident, postmortem) = match postmortems::postmortem(&me.principal, state, id).await {
        Ok(found) => found,
        Err(e) => return failed(ctx, e),
    };
    let items = match postmortems::incident_items(&me.principal, state, id).await {
        Ok((_, items)) => items,
        Err(e) => return failed(ctx, e),
    };
    let users = match state.engine.store().users().await {
        Ok(u) => u.into_iter().filter(|u| u.disabled_at.is_none()).collect(),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    render(
        status,
        &PostmortemPage {
            ctx,
            incident,
            postmortem,
            items,
            users,
            categories: Category::ALL,
            horizons: Horizon::ALL,
            statuses: ItemStatus::ALL,
            kept,
            error,
        },
    )
}

/// `GET /incidents/{incident}/postmortem[?kept=lessons,prevention]`.
pub(super) async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PostmortemQuery>,
) -> Response {
    let kept = q
        .kept
        .split(',')
        .filter(|s| Section::parse(s).is_ok())
        .map(str::to_owned)
        .collect();
    postmortem_page(ctx, &state, &id, StatusCode::OK, kept, None).await
}

/// After a change on the postmortem page: back to it, or the page again naming the fault.
async fn back(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    done: Result<String, IncidentError>,
) -> Response {
    match done {
        Ok(location) => Redirect::to(&location).into_response(),
        Err(IncidentError::Invalid(e)) => {
            let error = Some((e.field.clone(), e.to_string()));
            postmortem_page(ctx, state, id, StatusCode::BAD_REQUEST, Vec::new(), error).await
        }
        Err(IncidentError::Conflict(m)) => {
            let error = Some(("body".to_owned(), m));
            postmortem_page(ctx, state, id, StatusCode::CONFLICT, Vec::new(), error).await
        }
        Err(e) => failed(ctx, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DraftForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    replace_edited: String,
}

/// `POST /incidents/{incident}/postmortem`: drafts, or drafts again keeping edited
/// sections unless the box to replace them was ticked.
pub(super) async fn draft(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<DraftForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = postmortems::draft(
        &me.principal,
        &state,
        &id,
        &form.language,
        Some(&ctx.tz_name),
        !form.replace_edited.is_empty(),
    )
    .await;
    let done = match done {
        Ok((_, kept)) => web_incidents::incident(&me.principal, &state, &id)
            .await
            .map(|i| {
                let kept: Vec<&str> = kept.iter().map(|s| s.as_str()).collect();
                let mut to = format!("/incidents/{}/postmortem", i.reference());
                if !kept.is_empty() {
                    to.push_str(&format!("?kept={}", kept.join(",")));
                }
                to
            }),
        Err(e) => Err(e),
    };
    back(ctx, &state, &id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SectionForm {
    #[serde(default)]
    body: String,
}

/// `POST /incidents/{incident}/postmortem/sections/{section}`.
pub(super) async fn edit_section(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, section)): Path<(String, String)>,
    Form(form): Form<SectionForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = postmortems::edit_section(&me.principal, &state, &id, &section, &form.body).await;
    let done =
        postmortem_location(&me.principal, &state, &id, done, &format!("#s-{section}")).await;
    back(ctx, &state, &id, done).await
}

async fn postmortem_location<T>(
    principal: &crate::auth::Principal,
    state: &AppState,
    id: &str,
    done: Result<T, IncidentError>,
    anchor: &str,
) -> Result<String, IncidentError> {
    done?;
    let i = web_incidents::incident(principal, state, id).await?;
    Ok(format!("/incidents/{}/postmortem{anchor}", i.reference()))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ItemForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    horizon: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    ticket_url: String,
    #[serde(default)]
    from_section: String,
}

/// `POST /incidents/{incident}/action-items`: one item, or a section's list items.
pub(super) async fn add_items(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ItemForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = if form.from_section.is_empty() {
        let input = ActionItemInput {
            category: form.category,
            horizon: form.horizon,
            title: form.title,
            owner: Some(form.owner),
            due: Some(form.due),
            ticket_url: Some(form.ticket_url),
        };
        postmortems::add_action_item(&me.principal, &state, &id, &input)
            .await
            .map(|_| ())
    } else {
        postmortems::items_from_postmortem(
            &me.principal,
            &state,
            &id,
            &form.from_section,
            &form.category,
            &form.horizon,
        )
        .await
        .map(|_| ())
    };
    let done = postmortem_location(&me.principal, &state, &id, done, "#h-items").await;
    back(ctx, &state, &id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ItemChangeForm {
    status: Option<String>,
    owner: Option<String>,
    due: Option<String>,
    ticket_url: Option<String>,
    /// Where to go after: `incident` (its postmortem page) or the open items page.
    #[serde(default)]
    back: String,
}

/// `POST /action-items/{item}`: status, owner, due date or ticket link.
pub(super) async fn change_item(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(item): Path<String>,
    Form(form): Form<ItemChangeForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let change = ActionItemChange {
        status: form.status,
        owner: form.owner,
        due: form.due,
        ticket_url: form.ticket_url,
        ..ActionItemChange::default()
    };
    match postmortems::update_action_item(&me.principal, &state, &item, &change).await {
        Ok(i) if form.back == "incident" => Redirect::to(&format!(
            "/incidents/INC-{}/postmortem#h-items",
            i.incident_number
        ))
        .into_response(),
        Ok(_) => Redirect::to("/action-items").into_response(),
        Err(IncidentError::Invalid(e)) => {
            let incident = match postmortems::action_item(&me.principal, &state, &item).await {
                Ok(i) => i.incident_id,
                Err(e) => return failed(ctx, e),
            };
            let error = Some((e.field.clone(), e.to_string()));
            postmortem_page(
                ctx,
                &state,
                &incident,
                StatusCode::BAD_REQUEST,
                Vec::new(),
                error,
            )
            .await
        }
        Err(e) => failed(ctx, e),
    }
}

// ---- the printable postmortem ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "postmortem_print.html")]
struct PrintPage {
    ctx: Ctx,
    language: &'static str,
    title: String,
    /// The document rendered to HTML, every text escaped.
    html: String,
}

/// `GET /incidents/{incident}/postmortem/print`: the postmortem alone, to print or save as
/// PDF from the browser.
pub(super) async fn print(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match postmortems::markdown(&me.principal, &state, &id).await {
        Ok((i, pm, md)) => render(
            StatusCode::OK,
            &PrintPage {
                ctx,
                language: pm.language.tag(),
                title: format!("{} {}", i.reference(), i.title),
                html: markdown_html(&md),
            },
        ),
        Err(e) => failed(ctx, e),
    }
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the Markdown a postmortem is written in: `#` headings, `-`/`*` and numbered
/// lists, paragraphs, and a whole line in `_emphasis_`. Everything else, HTML included, is
/// shown as the text it is: an edited section cannot put markup on the page.
pub(crate) fn markdown_html(md: &str) -> String {
    let mut out = String::new();
    let mut list: Option<&str> = None;
    let mut para: Vec<String> = Vec::new();
    let close_para = |out: &mut String, para: &mut Vec<String>| {
        if !para.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", para.join("<br>")));
            para.clear();
        }
    };
    let close_list = |out: &mut String, list: &mut Option<&str>| {
        if let Some(tag) = list.take() {
            out.push_str(&format!("</{tag}>\n"));
        }
    };
    for line in md.lines() {
        let t = line.trim();
        let numbered = {
            let digits = t.chars().take_while(char::is_ascii_digit).count();
            (digits > 0)
                .then(|| t[digits..].strip_prefix(". "))
                .flatten()
        };
        if t.is_empty() {
            close_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
        } else if let Some(level) =
            (1..=6).find(|n| t.starts_with(&"#".repeat(*n)) && t[*n..].starts_with(' '))
        {
            close_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
            out.push_str(&format!(
                "<h{level}>{}</h{level}>\n",
                escape(t[level..].trim())
            ));
        } else if let Some((tag, item)) = t
            .strip_prefix("- ")
            .or(t.strip_prefix("* "))
            .map(|i| ("ul", i))
            .or(numbered.map(|i| ("ol", i)))
        {
            close_para(&mut out, &mut para);
            if list != Some(tag) {
                close_list(&mut out, &mut list);
                out.push_str(&format!("<{tag}>\n"));
                list = Some(tag);
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item.trim())));
        } else {
            close_list(&mut out, &mut list);
            para.push(inline(t));
        }
    }
    close_para(&mut out, &mut para);
    close_list(&mut out, &mut list);
    out
}

/// A line's text, escaped; wholly in `_..._` it is emphasised.
fn inline(text: &str) -> String {
    match text.strip_prefix('_').and_then(|t| t.strip_suffix('_')) {
        Some(inner) if !inner.is_empty() => format!("<em>{}</em>", escape(inner)),
        _ => escape(text),
    }
}

// ---- every incident's open action items -----------------------------------------------------

#[derive(Template)]
#[template(path = "action_items.html")]
struct ItemsPage {
    ctx: Ctx,
    items: Vec<ActionItemRecord>,
    all: bool,
    statuses: [ItemStatus; 4],
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ItemsQuery {
    #[serde(default)]
    status: String,
}

/// `GET /action-items[?status=all]`: open items (or all) of every incident, by due date.
pub(super) async fn items(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<ItemsQuery>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let all = q.status == "all";
    match postmortems::all_items(&me.principal, &state, !all, None).await {
        Ok(items) => render(
            StatusCode::OK,
            &ItemsPage {
                ctx,
                items,
                all,
                statuses: ItemStatus::ALL,
            },
        ),
        Err(e) => failed(ctx, e),
    }
}

#[cfg(test)]
mod tests {
    use super::markdown_html;

    #[test]
    fn markdown_becomes_escaped_html() {
        let md = "# Postmortem: INC-1 <b>x</b>\n\n## 1. Overview\n\n- a & b\n- <script>\n\n\
                  1. one\n2. two\n\nplain\n_To be written._\n";
        assert_eq!(
            markdown_html(md),
            "<h1>Postmortem: INC-1 &lt;b&gt;x&lt;/b&gt;</h1>\n<h2>1. Overview</h2>\n<ul>\n\
             <li>a &amp; b</li>\n<li>&lt;script&gt;</li>\n</ul>\n<ol>\n<li>one</li>\n\
             <li>two</li>\n</ol>\n<p>plain<br><em>To be written.</em></p>\n"
        );
    }
}
