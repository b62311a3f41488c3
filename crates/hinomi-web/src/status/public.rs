//! The public status page, no sign-in: `/status` (overall status, components by group,
//! incidents under way with their updates, maintenance under way and to come, the last
//! 14 days' history), `/status/incidents/{id}` (one incident or maintenance), and the
//! history as RSS 2.0 (`/status/history.rss`) and Atom (`/status/history.atom`, RFC 4287)
//! feeds, incidents and maintenance alike. Japanese or English by `?lang=`, then
//! `Accept-Language`, then Japanese; times in the page's time zone.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::Locale;
use hinomi_core::status_page::{Component, ComponentState, Kind, StatusIncident, Update};

use super::Snapshot;
use super::statuspage::{Clock, LangQuery, Writer, locale};
use crate::AppState;
use crate::console::Catalog;
use crate::routes::RouteTable;

/// The public routes of the page and its feeds.
pub fn routes() -> RouteTable {
    RouteTable::new()
        .get("/status", page)
        .get("/status/incidents/{id}", incident)
        .get("/status/history.rss", rss)
        .get("/status/history.atom", atom)
}

/// One group of components as the page shows it (an empty name: those in no group).
#[derive(Debug)]
pub struct Group {
    pub name: String,
    pub components: Vec<(Component, ComponentState)>,
}

/// What the public templates need besides the data: the language and the page's clock.
#[derive(Debug)]
pub struct View {
    pub locale: Locale,
    pub page_name: String,
    clock_tz: jiff::tz::TimeZone,
    now: i64,
}

impl View {
    pub fn new(state: &AppState, locale: Locale) -> View {
        View {
            locale,
            now: state.engine.now(),
            page_name: state.status_page.name.clone(),
            clock_tz: state.status_page.zone(),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.locale.t(key)
    }

    /// `status_page.<prefix>.<word>`: the name of a state, impact or progress.
    pub fn word(&self, prefix: &str, word: &str) -> &'static str {
        self.t(&format!("status_page.{prefix}.{word}"))
    }

    /// Where an incident or maintenance stands now.
    pub fn progress(&self, i: &StatusIncident) -> &'static str {
        i.progress_at(self.now).as_str()
    }

    /// An update's message in the page's language (or the other, when only it was written).
    pub fn body<'u>(&self, u: &'u Update) -> &'u str {
        u.body(self.locale)
    }

    /// An instant in the page's zone, to the minute.
    pub fn time(&self, ms: &i64) -> String {
        jiff::Timestamp::from_millisecond(*ms)
            .map(|t| {
                t.to_zoned(self.clock_tz.clone())
                    .strftime("%Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// An instant as RFC 3339 UTC, for `<time datetime>`.
    pub fn iso(&self, ms: &i64) -> String {
        jiff::Timestamp::from_millisecond(*ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn asset(&self, name: &str) -> &'static str {
        crate::console::asset_url(name)
    }
}

/// Components by group for the page: hidden ones (`showcase` off, or operational ones
/// shown only when degraded) left out; groups in the order of their first member.
pub fn groups(snap: &Snapshot, public: bool) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for c in &snap.components {
        let shown = snap.shown(c);
        if public
            && (!c.showcase || (c.only_show_if_degraded && shown == ComponentState::Operational))
        {
            continue;
        }
        match out.iter_mut().find(|g| g.name == c.group) {
            Some(g) => g.components.push((c.clone(), shown)),
            None => out.push(Group {
                name: c.group.clone(),
                components: vec![(c.clone(), shown)],
            }),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "status_public.html")]
struct PublicPage<'a> {
    view: View,
    indicator: &'static str,
    groups: Vec<Group>,
    open: Vec<&'a StatusIncident>,
    maintenance: Vec<&'a StatusIncident>,
    history: Vec<&'a StatusIncident>,
}

#[derive(Template)]
#[template(path = "status_incident_public.html")]
struct IncidentPage<'a> {
    view: View,
    incident: &'a StatusIncident,
}

pub(super) fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (
            status,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
            axum::response::Html(body),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "status page template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

fn failed(e: hinomi_store::StoreError) -> Response {
    tracing::error!(error = %e, "status page failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "status page unavailable").into_response()
}

/// The page's sections at `snap.now`: incidents under way, maintenance under way or to
/// come, and the closed history (newest first).
pub fn sections(snap: &Snapshot) -> [Vec<&StatusIncident>; 3] {
    let open: Vec<_> = snap.unresolved().collect();
    let mut maintenance: Vec<_> = snap.active().chain(snap.upcoming()).collect();
    maintenance.sort_by_key(|m| m.scheduled_for);
    let history: Vec<_> = snap
        .incidents
        .iter()
        .filter(|i| i.is_closed_at(snap.now))
        .collect();
    [open, maintenance, history]
}

/// `GET /status`.
pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let snap = match Snapshot::load(&state, false).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let [open, maintenance, history] = sections(&snap);
    html(
        StatusCode::OK,
        &PublicPage {
            view: View::new(&state, locale(&q, &headers)),
            indicator: snap.status().indicator.as_str(),
            groups: groups(&snap, true),
            open,
            maintenance,
            history,
        },
    )
}

/// `GET /status/incidents/{id}`.
pub async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let view = View::new(&state, locale(&q, &headers));
    match state.engine.store().status_incident(&id).await {
        Ok(Some(incident)) => html(
            StatusCode::OK,
            &IncidentPage {
                view,
                incident: &incident,
            },
        ),
        Ok(None) => (StatusCode::NOT_FOUND, view.t("status_page.not_found")).into_response(),
        Err(e) => failed(e),
    }
}

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// One feed entry: an incident or maintenance, its updates newest first, as HTML.
struct Entry {
    id: String,
    url: String,
    title: String,
    updated: i64,
    published: i64,
    html: String,
}

fn entries(state: &AppState, snap: &Snapshot, view: &View) -> Vec<Entry> {
    let w = Writer::new(state, snap, view.locale);
    snap.incidents
        .iter()
        .map(|i| {
            let mut html = String::new();
            if i.kind == Kind::Maintenance
                && let (Some(from), Some(until)) = (i.scheduled_for, i.scheduled_until)
            {
                html.push_str(&format!(
                    "<p>{}: {} – {}</p>",
                    view.t("status_page.window"),
                    view.time(&from),
                    view.time(&until)
                ));
            }
            for u in i.updates.iter().rev() {
                html.push_str(&format!(
                    "<p><small>{}</small><br><strong>{}</strong> - {}</p>",
                    view.time(&u.created_at),
                    view.word("progress", u.progress.as_str()),
                    xml_escape(u.body(view.locale)).replace('\n', "<br>")
                ));
            }
            let kind = view.word("kind", i.kind.as_str());
            Entry {
                id: w.shortlink(i),
                url: w.shortlink(i),
                title: format!("[{kind}] {}", i.name),
                updated: i.updated_at,
                published: i.created_at,
                html,
            }
        })
        .collect()
}

fn feed(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// What a feed is made of: the page over its history, in the language asked for.
async fn feed_input(
    state: &AppState,
    q: &LangQuery,
    headers: &HeaderMap,
) -> Result<(Snapshot, View), Response> {
    let snap = Snapshot::load(state, false).await.map_err(failed)?;
    Ok((snap, View::new(state, locale(q, headers))))
}

/// `GET /status/history.rss`: RSS 2.0.
pub async fn rss(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (snap, view) = match feed_input(&state, &q, &headers).await {
        Ok(input) => input,
        Err(r) => return r,
    };
    let w = Writer::new(&state, &snap, view.locale);
    let rfc2822 = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .and_then(|t| jiff::fmt::rfc2822::to_string(&t.to_zoned(jiff::tz::TimeZone::UTC)).ok())
            .unwrap_or_default()
    };
    let lang = view.locale.tag();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n<title>{title}</title>\n\
         <link>{link}</link>\n<description>{description}</description>\n\
         <language>{lang}</language>\n<lastBuildDate>{built}</lastBuildDate>\n\
         <atom:link href=\"{link}/history.rss?lang={lang}\" rel=\"self\" \
         type=\"application/rss+xml\"/>\n",
        title = xml_escape(&format!(
            "{} {}",
            view.page_name,
            view.t("status_page.history")
        )),
        link = xml_escape(&w.page_url),
        description = xml_escape(view.t("status_page.feed_description")),
        built = rfc2822(snap.updated_at().max(1)),
    );
    for e in entries(&state, &snap, &view) {
        out.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n\
             <pubDate>{}</pubDate>\n<description>{}</description>\n</item>\n",
            xml_escape(&e.title),
            xml_escape(&e.url),
            xml_escape(&e.id),
            rfc2822(e.published),
            xml_escape(&e.html)
        ));
    }
    out.push_str("</channel>\n</rss>\n");
    feed(StatusCode::OK, "application/rss+xml; charset=utf-8", out)
}

/// `GET /status/history.atom`: Atom (RFC 4287).
pub async fn atom(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (snap, view) = match feed_input(&state, &q, &headers).await {
        Ok(input) => input,
        Err(r) => return r,
    };
    let w = Writer::new(&state, &snap, view.locale);
    let clock = Clock::new(&state.status_page);
    let lang = view.locale.tag();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" \
         xml:lang=\"{lang}\">\n<id>{link}</id>\n<title>{title}</title>\n\
         <updated>{updated}</updated>\n<author><name>{name}</name></author>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{link}/history.atom?lang={lang}\"/>\n",
        link = xml_escape(&w.page_url),
        title = xml_escape(&format!(
            "{} {}",
            view.page_name,
            view.t("status_page.history")
        )),
        updated = clock.iso(snap.updated_at()),
        name = xml_escape(&view.page_name),
    );
    for e in entries(&state, &snap, &view) {
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
             <published>{}</published>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <content type=\"html\">{}</content>\n</entry>\n",
            xml_escape(&e.id),
            xml_escape(&e.title),
            clock.iso(e.updated),
            clock.iso(e.published),
            xml_escape(&e.url),
            xml_escape(&e.html)
        ));
    }
    out.push_str("</feed>\n");
    feed(StatusCode::OK, "application/atom+xml; charset=utf-8", out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_leaves_nothing_that_breaks_a_document() {
        assert_eq!(
            xml_escape("<a href=\"x\">'&'</a>\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
        );
    }
}
