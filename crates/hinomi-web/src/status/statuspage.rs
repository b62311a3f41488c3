//! Atlassian Statuspage's public API v2, for status aggregators and the tools that read a
//! Statuspage: `/api/v2/summary.json`, `status.json`, `components.json`, `incidents.json`,
//! `incidents/unresolved.json`, `scheduled-maintenances.json` and its `upcoming` and
//! `active` variants. Public, as Statuspage's are. Field names, order and value sets
//! follow Statuspage's documented shapes; times are ISO 8601 with milliseconds in the
//! page's time zone (`2026-12-01T15:00:00.000+09:00`). Component groups are components
//! with `group: true` listing their members, whose `group_id` names the group. An update's
//! `body` is in the language asked for (`?lang=`, then `Accept-Language`, then Japanese),
//! or in the other when only that one was written. These paths sit beside Alertmanager's
//! `/api/v2/status` and never shadow it: the routes differ by their `.json`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header;
use hinomi_core::Locale;
use hinomi_core::status_page::{Component, ComponentState, Kind, StatusIncident, Update};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Snapshot;
use crate::AppState;
use crate::error::ApiError;
use crate::routes::RouteTable;

/// The public routes of the API.
pub fn routes() -> RouteTable {
    RouteTable::new()
        .get("/api/v2/summary.json", summary)
        .get("/api/v2/status.json", status)
        .get("/api/v2/components.json", components)
        .get("/api/v2/incidents.json", incidents)
        .get("/api/v2/incidents/unresolved.json", unresolved)
        .get("/api/v2/scheduled-maintenances.json", maintenances)
        .get("/api/v2/scheduled-maintenances/upcoming.json", upcoming)
        .get("/api/v2/scheduled-maintenances/active.json", active)
}

/// How many incidents (and maintenances) the full lists hold, as Statuspage's do.
const LIST_LIMIT: usize = 50;

/// The status page's own settings: its name, time zone and the bounds on confirmation
/// mails to email subscribers.
#[derive(Clone, Debug)]
pub struct PageSettings {
    pub name: String,
    /// IANA name; times are written in it.
    pub time_zone: String,
    pub limits: hinomi_core::status_page::subscription::MailLimits,
}

impl Default for PageSettings {
    fn default() -> Self {
        PageSettings {
            name: "hinomi".into(),
            time_zone: "Asia/Tokyo".into(),
            limits: Default::default(),
        }
    }
}

impl PageSettings {
    /// The zone its times are written in (UTC if the name is not a zone: `serve` refuses
    /// to start with one).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// The language of a public request: `?lang=`, then `Accept-Language`, then Japanese.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    pub lang: Option<String>,
}

pub fn locale(query: &LangQuery, headers: &HeaderMap) -> Locale {
    Locale::negotiate(
        query.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Writes instants in the page's zone.
#[derive(Debug)]
pub struct Clock {
    tz: jiff::tz::TimeZone,
}

impl Clock {
    pub fn new(settings: &PageSettings) -> Clock {
        Clock {
            tz: settings.zone(),
        }
    }

    /// `2026-12-01T15:00:00.000+09:00`.
    pub fn iso(&self, ms: i64) -> String {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned(self.tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

/// The page's id: stable for one installation (derived from its external URL), twelve
/// characters like Statuspage's.
pub fn page_id(external_url: &str) -> String {
    hex::encode(Sha256::digest(format!("page:{external_url}")))[..12].to_owned()
}

/// A group's component id, derived from its name so it stays while the group has members.
pub fn group_id(name: &str) -> String {
    hex::encode(Sha256::digest(format!("group:{name}")))[..32].to_owned()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageOut {
    pub id: String,
    pub name: String,
    pub url: String,
    pub time_zone: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusOut {
    pub indicator: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComponentOut {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub position: i64,
    pub description: Option<String>,
    pub showcase: bool,
    pub start_date: Option<String>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
    /// A group's members' ids; absent on other components.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
    /// The service it shows: only in hinomi's own API (`/api/v1/status`), never public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AffectedOut {
    pub code: String,
    pub name: String,
    pub old_status: &'static str,
    pub new_status: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateOut {
    pub id: String,
    pub status: &'static str,
    pub body: String,
    pub incident_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub display_at: String,
    pub affected_components: Option<Vec<AffectedOut>>,
    pub deliver_notifications: bool,
    pub custom_tweet: Option<String>,
    pub tweet_id: Option<String>,
    /// The message in each language: only in hinomi's own API (`/api/v1/status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_ja: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_en: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentOut {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub monitoring_at: Option<String>,
    pub resolved_at: Option<String>,
    pub impact: &'static str,
    pub shortlink: String,
    pub started_at: String,
    pub page_id: String,
    pub incident_updates: Vec<UpdateOut>,
    pub components: Vec<ComponentOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_until: Option<String>,
    /// The internal incident it tells of: only in hinomi's own API (`/api/v1/status`),
    /// never public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}

/// Turns a [`Snapshot`] into Statuspage's objects.
#[derive(Debug)]
pub struct Writer<'a> {
    pub snap: &'a Snapshot,
    pub clock: Clock,
    pub page_id: String,
    /// The public page's address, which incidents' shortlinks extend.
    pub page_url: String,
    pub locale: Locale,
    /// Writes hinomi's own API (`/api/v1/status`): each update's message in both
    /// languages too, and the internal incident and service links the public never sees.
    pub both_languages: bool,
    settings: &'a PageSettings,
}

impl<'a> Writer<'a> {
    pub fn new(state: &'a AppState, snap: &'a Snapshot, locale: Locale) -> Writer<'a> {
        let external = state.engine.external_url().trim_end_matches('/');
        Writer {
            snap,
            clock: Clock::new(&state.status_page),
            page_id: page_id(external),
            page_url: format!("{external}/status"),
            locale,
            both_languages: false,
            settings: &state.status_page,
        }
    }

    pub fn page(&self) -> PageOut {
        PageOut {
            id: self.page_id.clone(),
            name: self.settings.name.clone(),
            url: self.page_url.clone(),
            time_zone: self.settings.time_zone.clone(),
            updated_at: self.clock.iso(self.snap.updated_at()),
        }
    }

    pub fn status(&self) -> StatusOut {
        let s = self.snap.status();
        StatusOut {
            indicator: s.indicator.as_str(),
            description: s.description,
        }
    }

    pub fn component(&self, c: &Component) -> ComponentOut {
        ComponentOut {
            id: c.id.clone(),
            name: c.name.clone(),
            status: self.snap.shown(c).as_str(),
            created_at: self.clock.iso(c.created_at),
            updated_at: self.clock.iso(c.updated_at),
            position: c.position,
            description: (!c.description.is_empty()).then(|| c.description.clone()),
            showcase: c.showcase,
            start_date: c.start_date.clone(),
            group_id: (!c.group.is_empty()).then(|| group_id(&c.group)),
            page_id: self.page_id.clone(),
            group: false,
            only_show_if_degraded: c.only_show_if_degraded,
            components: None,
            service_id: c.service_id.clone().filter(|_| self.both_languages),
        }
    }

    /// Every component in page order, each group (at its first member's place) before its
    /// members.
    pub fn components(&self) -> Vec<ComponentOut> {
        let mut groups: BTreeMap<&str, Vec<&Component>> = BTreeMap::new();
        for c in self.snap.components.iter().filter(|c| !c.group.is_empty()) {
            groups.entry(c.group.as_str()).or_default().push(c);
        }
        let mut out = Vec::new();
        for c in &self.snap.components {
            if c.group.is_empty() {
                out.push(self.component(c));
                continue;
            }
            let Some(members) = groups.remove(c.group.as_str()) else {
                continue;
            };
            out.push(self.group(&c.group, &members));
            out.extend(members.iter().map(|m| self.component(m)));
        }
        out
    }

    fn group(&self, name: &str, members: &[&Component]) -> ComponentOut {
        let states: Vec<ComponentState> = members.iter().map(|m| self.snap.shown(m)).collect();
        let worst = states
            .iter()
            .copied()
            .filter(|s| *s != ComponentState::UnderMaintenance)
            .max()
            .unwrap_or(ComponentState::UnderMaintenance);
        let status = if worst == ComponentState::Operational
            && states.contains(&ComponentState::UnderMaintenance)
        {
            ComponentState::UnderMaintenance
        } else {
            worst
        };
        ComponentOut {
            id: group_id(name),
            name: name.to_owned(),
            status: status.as_str(),
            created_at: self
                .clock
                .iso(members.iter().map(|m| m.created_at).min().unwrap_or(0)),
            updated_at: self
                .clock
                .iso(members.iter().map(|m| m.updated_at).max().unwrap_or(0)),
            position: members.iter().map(|m| m.position).min().unwrap_or(0),
            description: None,
            showcase: false,
            start_date: None,
            group_id: None,
            page_id: self.page_id.clone(),
            group: true,
            only_show_if_degraded: false,
            components: Some(members.iter().map(|m| m.id.clone()).collect()),
            service_id: None,
        }
    }

    fn update(&self, incident: &StatusIncident, u: &Update) -> UpdateOut {
        UpdateOut {
            id: u.id.clone(),
            status: u.progress.as_str(),
            body: u.body(self.locale).to_owned(),
            incident_id: incident.id.clone(),
            created_at: self.clock.iso(u.created_at),
            updated_at: self.clock.iso(u.created_at),
            display_at: self.clock.iso(u.created_at),
            affected_components: (!u.affected.is_empty()).then(|| {
                u.affected
                    .iter()
                    .map(|a| AffectedOut {
                        code: a.component_id.clone(),
                        name: a.name.clone(),
                        old_status: a.old_state.as_str(),
                        new_status: a.new_state.as_str(),
                    })
                    .collect()
            }),
            deliver_notifications: true,
            custom_tweet: None,
            tweet_id: None,
            body_ja: self.both_languages.then(|| u.body_ja.clone()),
            body_en: self.both_languages.then(|| u.body_en.clone()),
        }
    }

    /// The address of an incident's own page.
    pub fn shortlink(&self, incident: &StatusIncident) -> String {
        format!("{}/incidents/{}", self.page_url, incident.id)
    }

    pub fn incident(&self, i: &StatusIncident) -> IncidentOut {
        let now = self.snap.now;
        let maintenance = i.kind == Kind::Maintenance;
        IncidentOut {
            id: i.id.clone(),
            name: i.name.clone(),
            status: i.progress_at(now).as_str(),
            created_at: self.clock.iso(i.created_at),
            updated_at: self.clock.iso(i.updated_at),
            monitoring_at: i.monitoring_at.map(|t| self.clock.iso(t)),
            resolved_at: i.resolved_at_by(now).map(|t| self.clock.iso(t)),
            impact: if maintenance {
                "maintenance"
            } else {
                i.impact.as_str()
            },
            shortlink: self.shortlink(i),
            started_at: self.clock.iso(i.started_at),
            page_id: self.page_id.clone(),
            incident_updates: i.updates.iter().rev().map(|u| self.update(i, u)).collect(),
            components: i
                .component_ids
                .iter()
                .filter_map(|id| self.snap.components.iter().find(|c| &c.id == id))
                .map(|c| self.component(c))
                .collect(),
            scheduled_for: i
                .scheduled_for
                .filter(|_| maintenance)
                .map(|t| self.clock.iso(t)),
            scheduled_until: i
                .scheduled_until
                .filter(|_| maintenance)
                .map(|t| self.clock.iso(t)),
            incident_id: i.incident_id.clone().filter(|_| self.both_languages),
        }
    }

    fn list<'i>(&self, it: impl Iterator<Item = &'i StatusIncident>) -> Vec<IncidentOut> {
        it.take(LIST_LIMIT).map(|i| self.incident(i)).collect()
    }
}

/// Loads what the page shows; the full lists (`incidents.json`,
/// `scheduled-maintenances.json`) reach back without limit, the rest over the history.
async fn load(state: &AppState, full: bool) -> Result<Snapshot, ApiError> {
    Ok(Snapshot::load(state, full).await?)
}

#[derive(Debug, Serialize)]
pub struct SummaryOut {
    page: PageOut,
    components: Vec<ComponentOut>,
    incidents: Vec<IncidentOut>,
    scheduled_maintenances: Vec<IncidentOut>,
    status: StatusOut,
}

/// `GET /api/v2/summary.json`: the page, its components, unresolved incidents, upcoming
/// and active maintenances, and the overall status.
pub async fn summary(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<SummaryOut>, ApiError> {
    let snap = load(&state, false).await?;
    let w = Writer::new(&state, &snap, locale(&q, &headers));
    // Active first, then upcoming soonest first, as a reader wants them.
    let mut maintenances: Vec<&StatusIncident> = snap.active().collect();
    let mut upcoming: Vec<&StatusIncident> = snap.upcoming().collect();
    upcoming.sort_by_key(|m| m.scheduled_for);
    maintenances.extend(upcoming);
    Ok(Json(SummaryOut {
        page: w.page(),
        components: w.components(),
        incidents: w.list(snap.unresolved()),
        scheduled_maintenances: w.list(maintenances.into_iter()),
        status: w.status(),
    }))
}

#[derive(Debug, Serialize)]
pub struct PageStatusOut {
    page: PageOut,
    status: StatusOut,
}

/// `GET /api/v2/status.json`.
pub async fn status(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<PageStatusOut>, ApiError> {
    let snap = load(&state, false).await?;
    let w = Writer::new(&state, &snap, locale(&q, &headers));
    Ok(Json(PageStatusOut {
        page: w.page(),
        status: w.status(),
    }))
}

#[derive(Debug, Serialize)]
pub struct ComponentsOut {
    page: PageOut,
    components: Vec<ComponentOut>,
}

/// `GET /api/v2/components.json`.
pub async fn components(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<ComponentsOut>, ApiError> {
    let snap = load(&state, false).await?;
    let w = Writer::new(&state, &snap, locale(&q, &headers));
    Ok(Json(ComponentsOut {
        page: w.page(),
        components: w.components(),
    }))
}

#[derive(Debug, Serialize)]
pub struct IncidentsOut {
    page: PageOut,
    incidents: Vec<IncidentOut>,
}

/// `GET /api/v2/incidents.json`: the 50 most recent incidents.
pub async fn incidents(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<IncidentsOut>, ApiError> {
    let snap = load(&state, true).await?;
    let w = Writer::new(&state, &snap, locale(&q, &headers));
    Ok(Json(IncidentsOut {
        page: w.page(),
        incidents: w.list(snap.incidents()),
    }))
}

/// `GET /api/v2/incidents/unresolved.json`.
pub async fn unresolved(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<IncidentsOut>, ApiError> {
    let snap = load(&state, false).await?;
    let w = Writer::new(&state, &snap, locale(&q, &headers));
    Ok(Json(IncidentsOut {
        page: w.page(),
        incidents: w.list(snap.unresolved()),
    }))
}

#[derive(Debug, Serialize)]
pub struct MaintenancesOut {
    page: PageOut,
    scheduled_maintenances: Vec<IncidentOut>,
}

async fn maintenance_list(
    state: AppState,
    q: LangQuery,
    headers: HeaderMap,
    full: bool,
    pick: fn(&Snapshot) -> Vec<&StatusIncident>,
) -> Result<Json<MaintenancesOut>, ApiError> {
    let snap = load(&state, full).await?;
    let w = Writer::new(&state, &snap, locale(&q, &headers));
    Ok(Json(MaintenancesOut {
        page: w.page(),
        scheduled_maintenances: w.list(pick(&snap).into_iter()),
    }))
}

/// `GET /api/v2/scheduled-maintenances.json`: the 50 most recent maintenances.
pub async fn maintenances(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<MaintenancesOut>, ApiError> {
    maintenance_list(state, q, headers, true, |s| s.maintenances().collect()).await
}

/// `GET /api/v2/scheduled-maintenances/upcoming.json`: those not begun, soonest first.
pub async fn upcoming(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<MaintenancesOut>, ApiError> {
    maintenance_list(state, q, headers, false, |s| {
        let mut list: Vec<_> = s.upcoming().collect();
        list.sort_by_key(|m| m.scheduled_for);
        list
    })
    .await
}

/// `GET /api/v2/scheduled-maintenances/active.json`: those in progress or verifying.
pub async fn active(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<MaintenancesOut>, ApiError> {
    maintenance_list(state, q, headers, false, |s| s.active().collect()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_the_pages_zone_with_milliseconds() {
        let clock = Clock::new(&PageSettings::default());
        // 2024-12-01T06:00:00Z is 15:00 in Tokyo.
        assert_eq!(
            clock.iso(1_733_032_800_000),
            "2024-12-01T15:00:00.000+09:00"
        );
        let utc = Clock::new(&PageSettings {
            name: "x".into(),
            time_zone: "UTC".into(),
            ..PageSettings::default()
        });
        assert_eq!(utc.iso(1_733_032_800_123), "2024-12-01T06:00:00.123+00:00");
    }

    #[test]
    fn ids_are_stable_and_shaped_like_statuspages() {
        assert_eq!(page_id("http://a"), page_id("http://a"));
        assert_ne!(page_id("http://a"), page_id("http://b"));
        assert_eq!(page_id("http://a").len(), 12);
        assert_eq!(group_id("基幹"), group_id("基幹"));
    }
}
