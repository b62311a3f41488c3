//! The public status page as pure data: components and their states, public incidents
//! ("status incidents", kept apart from the internal incidents responders work on) and
//! scheduled maintenances with their updates, and the page's overall indicator, computed
//! as Atlassian Statuspage does. Maintenance moves to in progress and to completed by the
//! clock when it was scheduled so: that, like everything here, is a function of `now`.

use std::collections::BTreeSet;

pub mod subscription;

/// Longest component or incident name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest update body (each language), in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word the API, the store and the message catalogs use.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// The words accepted, for error messages.
            pub fn expected() -> String {
                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

word_enum!(
    /// A component's state, from best to worst (maintenance apart).
    ComponentState {
        Operational = "operational",
        DegradedPerformance = "degraded_performance",
        PartialOutage = "partial_outage",
        MajorOutage = "major_outage",
        UnderMaintenance = "under_maintenance",
    }
);

word_enum!(
    /// How badly an incident hurts, as the person posting it judges.
    Impact {
        None = "none",
        Minor = "minor",
        Major = "major",
        Critical = "critical",
    }
);

word_enum!(
    /// Where an incident or a maintenance stands. The first four are an incident's, the
    /// last four a maintenance's.
    Progress {
        Investigating = "investigating",
        Identified = "identified",
        Monitoring = "monitoring",
        Resolved = "resolved",
        Scheduled = "scheduled",
        InProgress = "in_progress",
        Verifying = "verifying",
        Completed = "completed",
    }
);

word_enum!(
    /// The page's overall state (`status.indicator` of Statuspage's `status.json`).
    Indicator {
        None = "none",
        Minor = "minor",
        Major = "major",
        Critical = "critical",
        Maintenance = "maintenance",
    }
);

word_enum!(
    /// Whether a status incident is an unplanned incident or a scheduled maintenance.
    Kind {
        Incident = "incident",
        Maintenance = "maintenance",
    }
);

impl Progress {
    /// Whether this progress belongs to incidents or to maintenances.
    pub fn kind(self) -> Kind {
        match self {
            Progress::Investigating
            | Progress::Identified
            | Progress::Monitoring
            | Progress::Resolved => Kind::Incident,
            _ => Kind::Maintenance,
        }
    }

    /// Resolved or completed: nothing more happens.
    pub fn is_closed(self) -> bool {
        matches!(self, Progress::Resolved | Progress::Completed)
    }
}

/// One thing the page reports on (the order API, the console, email delivery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The group it is shown under; empty for none.
    pub group: String,
    /// Order on the page, smallest first.
    pub position: i64,
    pub state: ComponentState,
    /// Shown on the page (`showcase`).
    pub showcase: bool,
    /// Shown only while not operational.
    pub only_show_if_degraded: bool,
    /// The day it came into service (`YYYY-MM-DD`), if given.
    pub start_date: Option<String>,
    /// The service (of the incidents' catalogue) it shows; never shown to the public.
    pub service_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A component's state as one update changed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Affected {
    pub component_id: String,
    /// The component's name at the time, so history reads right after a rename.
    pub name: String,
    pub old_state: ComponentState,
    pub new_state: ComponentState,
}

/// One message posted on an incident or a maintenance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub id: String,
    pub progress: Progress,
    /// The message in Japanese; empty when only English was written.
    pub body_ja: String,
    /// The message in English; empty when only Japanese was written.
    pub body_en: String,
    pub affected: Vec<Affected>,
    pub created_at: i64,
}

impl Update {
    /// The body in `locale`, or in the other language when only that one was written.
    pub fn body(&self, locale: crate::Locale) -> &str {
        let (first, other) = match locale {
            crate::Locale::Ja => (&self.body_ja, &self.body_en),
            crate::Locale::En => (&self.body_en, &self.body_ja),
        };
        if first.is_empty() { other } else { first }
    }
}

/// A public incident or a scheduled maintenance, with its updates, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusIncident {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub impact: Impact,
    /// As last posted; for a maintenance see [`StatusIncident::progress_at`].
    pub progress: Progress,
    /// A maintenance's window; `None` for incidents.
    pub scheduled_for: Option<i64>,
    pub scheduled_until: Option<i64>,
    /// A maintenance goes in progress at `scheduled_for` and completes at
    /// `scheduled_until` by itself.
    pub auto_transition: bool,
    /// Every component an update named, in the order first named.
    pub component_ids: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: i64,
    pub monitoring_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// The internal incident it tells the public about; never shown to the public.
    pub incident_id: Option<String>,
    pub updates: Vec<Update>,
}

impl StatusIncident {
    /// Where it stands at `now`: as posted, except that a maintenance that moves by the
    /// clock is in progress once its window opened and completed once it closed (unless
    /// someone posted that it is verifying or completed).
    pub fn progress_at(&self, now: i64) -> Progress {
        if self.kind != Kind::Maintenance || !self.auto_transition {
            return self.progress;
        }
        match (self.progress, self.scheduled_for, self.scheduled_until) {
            (Progress::Verifying | Progress::Completed, _, _) => self.progress,
            (_, _, Some(until)) if now >= until => Progress::Completed,
            (Progress::Scheduled, Some(start), _) if now >= start => Progress::InProgress,
            _ => self.progress,
        }
    }

    /// Closed (resolved or completed) at `now`.
    pub fn is_closed_at(&self, now: i64) -> bool {
        self.progress_at(now).is_closed()
    }

    /// When it was closed, if it is at `now`: as posted, or the end of the window of a
    /// maintenance that completed by the clock.
    pub fn resolved_at_by(&self, now: i64) -> Option<i64> {
        match self.resolved_at {
            Some(t) => Some(t),
            None if self.is_closed_at(now) => self.scheduled_until,
            None => None,
        }
    }

    /// A maintenance that has not begun at `now`.
    pub fn is_upcoming_at(&self, now: i64) -> bool {
        self.kind == Kind::Maintenance && self.progress_at(now) == Progress::Scheduled
    }

    /// A maintenance under way at `now` (in progress or verifying).
    pub fn is_active_maintenance_at(&self, now: i64) -> bool {
        self.kind == Kind::Maintenance
            && matches!(
                self.progress_at(now),
                Progress::InProgress | Progress::Verifying
            )
    }
}

/// A component's state as shown at `now`: an operational component that an active
/// maintenance names is under maintenance.
pub fn shown_state(
    component: &Component,
    incidents: &[StatusIncident],
    now: i64,
) -> ComponentState {
    if component.state == ComponentState::Operational
        && incidents
            .iter()
            .any(|i| i.is_active_maintenance_at(now) && i.component_ids.contains(&component.id))
    {
        ComponentState::UnderMaintenance
    } else {
        component.state
    }
}

/// The page's overall state and Statuspage's description of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageStatus {
    pub indicator: Indicator,
    /// Statuspage's English words (`All Systems Operational` ...), which clients compare.
    pub description: &'static str,
}

/// The overall state, blended from the components (as shown at `now`) and the unresolved
/// incidents' impact, as Statuspage blends it: a degraded component is a minor problem
/// ("Partially Degraded Service"), a partial outage a minor one ("Minor Service Outage"),
/// a major outage a major one ("Partial System Outage") or, when every shown component is
/// down, a critical one ("Major System Outage"); an unresolved incident counts at its
/// impact. The worst wins, components before incidents when equal. With nothing wrong, a
/// maintenance under way (or a component under maintenance) makes it "Service Under
/// Maintenance".
pub fn page_status(components: &[Component], incidents: &[StatusIncident], now: i64) -> PageStatus {
    let states: Vec<ComponentState> = components
        .iter()
        .map(|c| shown_state(c, incidents, now))
        .collect();
    let worst_component = states
        .iter()
        .copied()
        .filter(|s| *s != ComponentState::UnderMaintenance)
        .max();
    let all_down = !states.is_empty() && states.iter().all(|s| *s == ComponentState::MajorOutage);
    let from_components = match worst_component {
        Some(ComponentState::MajorOutage) if all_down => {
            (Indicator::Critical, "Major System Outage")
        }
        Some(ComponentState::MajorOutage) => (Indicator::Major, "Partial System Outage"),
        Some(ComponentState::PartialOutage) => (Indicator::Minor, "Minor Service Outage"),
        Some(ComponentState::DegradedPerformance) => {
            (Indicator::Minor, "Partially Degraded Service")
        }
        _ => (Indicator::None, "All Systems Operational"),
    };
    let from_incidents = incidents
        .iter()
        .filter(|i| i.kind == Kind::Incident && !i.is_closed_at(now))
        .map(|i| match i.impact {
            Impact::None => (Indicator::None, "All Systems Operational"),
            Impact::Minor => (Indicator::Minor, "Minor Service Outage"),
            Impact::Major => (Indicator::Major, "Partial System Outage"),
            Impact::Critical => (Indicator::Critical, "Major System Outage"),
        })
        .max_by_key(|(i, _)| *i)
        .unwrap_or((Indicator::None, "All Systems Operational"));
    let (indicator, description) = if from_incidents.0 > from_components.0 {
        from_incidents
    } else {
        from_components
    };
    let maintenance = states.contains(&ComponentState::UnderMaintenance)
        || incidents.iter().any(|i| i.is_active_maintenance_at(now));
    if indicator == Indicator::None && maintenance {
        return PageStatus {
            indicator: Indicator::Maintenance,
            description: "Service Under Maintenance",
        };
    }
    PageStatus {
        indicator,
        description,
    }
}

/// Why a change to the status page was refused; each names its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct StatusError {
    pub field: String,
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> StatusError {
    StatusError {
        field: field.into(),
        message: message.into(),
    }
}

/// A name as given: trimmed, not empty, not too long.
pub fn check_name(field: &str, name: &str) -> Result<String, StatusError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(refuse(field, "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(refuse(
            field,
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// A component's `start_date`: a calendar day `YYYY-MM-DD`, or nothing.
pub fn check_start_date(text: &str) -> Result<Option<String>, StatusError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<jiff::civil::Date>()
        .map(|d| Some(d.to_string()))
        .map_err(|_| {
            refuse(
                "start_date",
                format!("{text:?} is not a day such as 2026-12-01"),
            )
        })
}

/// What a person posts: the progress, the message in one or both languages, and the
/// components whose state changes with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateInput {
    pub progress: Option<Progress>,
    pub body_ja: String,
    pub body_en: String,
    /// Component id and its new state.
    pub components: Vec<(String, ComponentState)>,
    /// A new impact, if it changes.
    pub impact: Option<Impact>,
}

/// Posts an update on `incident` at `now`: checks it, changes the named components'
/// states (in `components`, which must hold every component), and records on the update
/// each change from old to new state. Closing (resolved or completed) without naming
/// components puts the incident's components that are not operational back to
/// operational, as Statuspage does. Answers the update and the ids of the components it
/// changed.
pub fn post_update(
    incident: &mut StatusIncident,
    components: &mut [Component],
    input: UpdateInput,
    update_id: String,
    now: i64,
) -> Result<(Update, Vec<String>), StatusError> {
    let progress = input.progress.unwrap_or_else(|| incident.progress_at(now));
    if progress.kind() != incident.kind {
        let expected = Progress::ALL
            .iter()
            .filter(|p| p.kind() == incident.kind)
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(refuse(
            "status",
            format!(
                "{:?} is not the status of a{} {}: expected {expected}",
                progress.as_str(),
                if incident.kind == Kind::Incident {
                    "n"
                } else {
                    ""
                },
                incident.kind.as_str()
            ),
        ));
    }
    let body_ja = input.body_ja.trim().to_owned();
    let body_en = input.body_en.trim().to_owned();
    if body_ja.is_empty() && body_en.is_empty() {
        return Err(refuse(
            "body",
            "write the message in Japanese, English or both",
        ));
    }
    for (field, body) in [("body_ja", &body_ja), ("body_en", &body_en)] {
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(refuse(
                field,
                format!("at most {MAX_BODY_CHARS} characters"),
            ));
        }
    }
    let mut wanted = input.components;
    let mut seen = BTreeSet::new();
    for (i, (id, _)) in wanted.iter().enumerate() {
        if !components.iter().any(|c| &c.id == id) {
            return Err(refuse(
                format!("components[{i}]"),
                format!("no component {id:?}"),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(refuse(
                format!("components[{i}]"),
                format!("component {id:?} is named twice"),
            ));
        }
    }
    if progress.is_closed() && wanted.is_empty() {
        wanted = incident
            .component_ids
            .iter()
            .filter(|id| {
                components
                    .iter()
                    .any(|c| &&c.id == id && c.state != ComponentState::Operational)
            })
            .map(|id| (id.clone(), ComponentState::Operational))
            .collect();
    }
    let mut affected = Vec::new();
    let mut changed = Vec::new();
    for (id, new_state) in wanted {
        let Some(c) = components.iter_mut().find(|c| c.id == id) else {
            continue;
        };
        affected.push(Affected {
            component_id: c.id.clone(),
            name: c.name.clone(),
            old_state: c.state,
            new_state,
        });
        if c.state != new_state {
            c.state = new_state;
            c.updated_at = now;
            changed.push(c.id.clone());
        }
        if !incident.component_ids.contains(&id) {
            incident.component_ids.push(id);
        }
    }
    if let Some(impact) = input.impact {
        incident.impact = impact;
    }
    incident.progress = progress;
    incident.updated_at = now;
    if progress == Progress::Monitoring && incident.monitoring_at.is_none() {
        incident.monitoring_at = Some(now);
    }
    if progress == Progress::InProgress && incident.kind == Kind::Maintenance {
        incident.started_at = now.min(incident.scheduled_for.unwrap_or(now));
    }
    incident.resolved_at = progress.is_closed().then_some(now);
    let update = Update {
        id: update_id,
        progress,
        body_ja,
        body_en,
        affected,
        created_at: now,
    };
    incident.updates.push(update.clone());
    Ok((update, changed))
}

/// What a person gives to open an incident or schedule a maintenance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenInput {
    pub kind: Kind,
    pub name: String,
    pub impact: Impact,
    /// A maintenance's window.
    pub scheduled_for: Option<i64>,
    pub scheduled_until: Option<i64>,
    pub auto_transition: bool,
    /// Components it concerns whose state it leaves alone (a maintenance's: they show as
    /// under maintenance while it is under way), by id.
    pub components: Vec<String>,
    /// The first update.
    pub first: UpdateInput,
    /// The internal incident it tells the public about (an id the caller checked).
    pub incident_id: Option<String>,
}

/// The impact a status incident telling of an internal incident of `severity` starts with
/// (the person publishing it may choose otherwise): SEV1 critical, SEV2 major, SEV3 minor,
/// SEV4 none.
pub fn impact_for(severity: crate::incident::Severity) -> Impact {
    use crate::incident::Severity;
    match severity {
        Severity::Sev1 => Impact::Critical,
        Severity::Sev2 => Impact::Major,
        Severity::Sev3 => Impact::Minor,
        Severity::Sev4 => Impact::None,
    }
}

/// Opens an incident, or schedules a maintenance, with its first update. A maintenance
/// needs a window that ends after it starts; its impact is `none`.
pub fn open(
    input: OpenInput,
    components: &mut [Component],
    id: String,
    update_id: String,
    now: i64,
) -> Result<(StatusIncident, Update, Vec<String>), StatusError> {
    let name = check_name("name", &input.name)?;
    let (scheduled_for, scheduled_until, impact, default_progress) = match input.kind {
        Kind::Incident => (None, None, input.impact, Progress::Investigating),
        Kind::Maintenance => {
            let start = input
                .scheduled_for
                .ok_or_else(|| refuse("scheduled_for", "a maintenance needs its start"))?;
            let end = input
                .scheduled_until
                .ok_or_else(|| refuse("scheduled_until", "a maintenance needs its end"))?;
            if end <= start {
                return Err(refuse("scheduled_until", "must be after scheduled_for"));
            }
            (Some(start), Some(end), Impact::None, Progress::Scheduled)
        }
    };
    let mut incident = StatusIncident {
        id,
        kind: input.kind,
        name,
        impact,
        progress: default_progress,
        scheduled_for,
        scheduled_until,
        auto_transition: input.kind == Kind::Maintenance && input.auto_transition,
        component_ids: Vec::new(),
        created_at: now,
        updated_at: now,
        started_at: scheduled_for.unwrap_or(now),
        monitoring_at: None,
        resolved_at: None,
        incident_id: input.incident_id,
        updates: Vec::new(),
    };
    for (i, id) in input.components.iter().enumerate() {
        if !components.iter().any(|c| &c.id == id) {
            return Err(refuse(
                format!("components[{i}]"),
                format!("no component {id:?}"),
            ));
        }
        if !incident.component_ids.contains(id) {
            incident.component_ids.push(id.clone());
        }
    }
    let mut first = input.first;
    first.progress.get_or_insert(default_progress);
    first.impact = None;
    let (update, changed) = post_update(&mut incident, components, first, update_id, now)?;
    Ok((incident, update, changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn component(id: &str, state: ComponentState) -> Component {
        Component {
            id: id.into(),
            name: id.to_uppercase(),
            description: String::new(),
            group: String::new(),
            position: 0,
            state,
            showcase: true,
            only_show_if_degraded: false,
            start_date: None,
            service_id: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn words(ja: &str, en: &str) -> UpdateInput {
        UpdateInput {
            body_ja: ja.into(),
            body_en: en.into(),
            ..UpdateInput::default()
        }
    }

    fn incident(
        components: &mut [Component],
        impact: Impact,
        on: &[(&str, ComponentState)],
    ) -> StatusIncident {
        let mut first = words("調査中です", "Investigating");
        first.components = on.iter().map(|(i, s)| (i.to_string(), *s)).collect();
        open(
            OpenInput {
                kind: Kind::Incident,
                name: "受注システムの障害".into(),
                impact,
                scheduled_for: None,
                scheduled_until: None,
                auto_transition: false,
                components: Vec::new(),
                first,
                incident_id: None,
            },
            components,
            "i1".into(),
            "u1".into(),
            10 * H,
        )
        .unwrap()
        .0
    }

    fn maintenance(
        from: i64,
        until: i64,
        on: &[&str],
        components: &mut [Component],
    ) -> StatusIncident {
        let first = words("DB の更新", "Database upgrade");
        let (m, _, _) = open(
            OpenInput {
                kind: Kind::Maintenance,
                name: "DB maintenance".into(),
                impact: Impact::Major,
                scheduled_for: Some(from),
                scheduled_until: Some(until),
                auto_transition: true,
                components: on.iter().map(|s| s.to_string()).collect(),
                first,
                incident_id: None,
            },
            components,
            "m1".into(),
            "u1".into(),
            0,
        )
        .unwrap();
        m
    }

    #[test]
    fn all_operational_is_none() {
        let cs = [component("a", ComponentState::Operational)];
        let s = page_status(&cs, &[], 0);
        assert_eq!(s.indicator, Indicator::None);
        assert_eq!(s.description, "All Systems Operational");
        assert_eq!(page_status(&[], &[], 0).indicator, Indicator::None);
    }

    #[test]
    fn components_blend_as_statuspage_does() {
        use ComponentState::*;
        let check = |states: &[ComponentState], want: Indicator, words: &str| {
            let cs: Vec<_> = states
                .iter()
                .enumerate()
                .map(|(i, s)| component(&format!("c{i}"), *s))
                .collect();
            let got = page_status(&cs, &[], 0);
            assert_eq!(
                (got.indicator, got.description),
                (want, words),
                "{states:?}"
            );
        };
        check(
            &[Operational, DegradedPerformance],
            Indicator::Minor,
            "Partially Degraded Service",
        );
        check(
            &[DegradedPerformance, PartialOutage],
            Indicator::Minor,
            "Minor Service Outage",
        );
        check(
            &[Operational, MajorOutage],
            Indicator::Major,
            "Partial System Outage",
        );
        check(
            &[MajorOutage, MajorOutage],
            Indicator::Critical,
            "Major System Outage",
        );
        check(
            &[Operational, UnderMaintenance],
            Indicator::Maintenance,
            "Service Under Maintenance",
        );
        check(
            &[UnderMaintenance, DegradedPerformance],
            Indicator::Minor,
            "Partially Degraded Service",
        );
    }

    #[test]
    fn an_unresolved_incident_counts_at_its_impact_until_resolved() {
        let mut cs = vec![component("a", ComponentState::Operational)];
        let mut i = incident(&mut cs, Impact::Critical, &[]);
        let s = page_status(&cs, std::slice::from_ref(&i), 11 * H);
        assert_eq!(s.indicator, Indicator::Critical);
        assert_eq!(s.description, "Major System Outage");
        let mut done = words("", "Resolved");
        done.progress = Some(Progress::Resolved);
        post_update(&mut i, &mut cs, done, "u2".into(), 12 * H).unwrap();
        assert_eq!(i.resolved_at, Some(12 * H));
        assert_eq!(page_status(&cs, &[i], 13 * H).indicator, Indicator::None);
    }

    #[test]
    fn updates_record_each_components_change_and_resolving_restores_them() {
        let mut cs = vec![
            component("api", ComponentState::Operational),
            component("web", ComponentState::Operational),
        ];
        let mut i = incident(
            &mut cs,
            Impact::Major,
            &[("api", ComponentState::MajorOutage)],
        );
        assert_eq!(cs[0].state, ComponentState::MajorOutage);
        assert_eq!(
            i.updates[0].affected[0].old_state,
            ComponentState::Operational
        );
        assert_eq!(
            i.updates[0].affected[0].new_state,
            ComponentState::MajorOutage
        );
        assert_eq!(i.updates[0].affected[0].name, "API");
        let mut monitoring = words("監視中", "");
        monitoring.progress = Some(Progress::Monitoring);
        monitoring.components = vec![("web".into(), ComponentState::DegradedPerformance)];
        let (_, changed) = post_update(&mut i, &mut cs, monitoring, "u2".into(), 11 * H).unwrap();
        assert_eq!(changed, ["web"]);
        assert_eq!(i.monitoring_at, Some(11 * H));
        assert_eq!(i.component_ids, ["api", "web"]);
        let mut done = words("復旧しました", "Recovered");
        done.progress = Some(Progress::Resolved);
        let (u, changed) = post_update(&mut i, &mut cs, done, "u3".into(), 12 * H).unwrap();
        assert_eq!(changed, ["api", "web"]);
        assert!(cs.iter().all(|c| c.state == ComponentState::Operational));
        assert_eq!(u.affected.len(), 2);
        assert_eq!(u.body(crate::Locale::En), "Recovered");
        // A body written in one language only is shown in it to everyone.
        assert_eq!(i.updates[1].body(crate::Locale::En), "監視中");
    }

    #[test]
    fn bad_updates_name_their_field() {
        let mut cs = vec![component("api", ComponentState::Operational)];
        let mut i = incident(&mut cs, Impact::Minor, &[]);
        let err = |input: UpdateInput, i: &mut StatusIncident, cs: &mut Vec<Component>| {
            post_update(i, cs, input, "x".into(), 11 * H)
                .unwrap_err()
                .field
        };
        assert_eq!(err(words(" ", ""), &mut i, &mut cs), "body");
        let mut wrong = words("a", "a");
        wrong.progress = Some(Progress::Completed);
        assert_eq!(err(wrong, &mut i, &mut cs), "status");
        let mut unknown = words("a", "a");
        unknown.components = vec![("nope".into(), ComponentState::MajorOutage)];
        assert_eq!(err(unknown, &mut i, &mut cs), "components[0]");
        let mut twice = words("a", "a");
        twice.components = vec![
            ("api".into(), ComponentState::MajorOutage),
            ("api".into(), ComponentState::Operational),
        ];
        assert_eq!(err(twice, &mut i, &mut cs), "components[1]");
        assert_eq!(i.updates.len(), 1, "nothing refused was kept");
        assert_eq!(cs[0].state, ComponentState::Operational);
    }

    #[test]
    fn maintenance_moves_by_the_clock() {
        let mut cs = vec![component("db", ComponentState::Operational)];
        let m = maintenance(2 * H, 4 * H, &["db"], &mut cs);
        assert_eq!(m.impact, Impact::None);
        assert_eq!(m.progress_at(H), Progress::Scheduled);
        assert!(m.is_upcoming_at(H));
        assert_eq!(m.progress_at(2 * H), Progress::InProgress);
        assert!(m.is_active_maintenance_at(3 * H));
        assert_eq!(
            shown_state(&cs[0], std::slice::from_ref(&m), 3 * H),
            ComponentState::UnderMaintenance
        );
        let s = page_status(&cs, std::slice::from_ref(&m), 3 * H);
        assert_eq!(s.indicator, Indicator::Maintenance);
        assert_eq!(m.progress_at(4 * H), Progress::Completed);
        assert_eq!(m.resolved_at_by(5 * H), Some(4 * H));
        assert_eq!(
            shown_state(&cs[0], std::slice::from_ref(&m), 5 * H),
            ComponentState::Operational
        );
        assert_eq!(page_status(&cs, &[m], 5 * H).indicator, Indicator::None);
    }

    #[test]
    fn a_posted_verifying_holds_and_manual_maintenance_waits_for_people() {
        let mut cs = vec![component("db", ComponentState::Operational)];
        let mut m = maintenance(2 * H, 4 * H, &["db"], &mut cs);
        let mut verifying = words("確認中", "Verifying");
        verifying.progress = Some(Progress::Verifying);
        post_update(&mut m, &mut cs, verifying, "u2".into(), 3 * H).unwrap();
        assert_eq!(m.progress_at(9 * H), Progress::Verifying);
        m.auto_transition = false;
        m.progress = Progress::Scheduled;
        assert_eq!(m.progress_at(9 * H), Progress::Scheduled);
    }

    #[test]
    fn a_published_incident_starts_with_its_severitys_impact() {
        use crate::incident::Severity;
        let got: Vec<Impact> = Severity::ALL.iter().map(|s| impact_for(*s)).collect();
        assert_eq!(
            got,
            [Impact::Critical, Impact::Major, Impact::Minor, Impact::None]
        );
    }

    #[test]
    fn a_maintenance_needs_a_window() {
        let mut cs = Vec::new();
        let input = |from, until| OpenInput {
            kind: Kind::Maintenance,
            name: "m".into(),
            impact: Impact::None,
            scheduled_for: from,
            scheduled_until: until,
            auto_transition: true,
            components: Vec::new(),
            first: words("a", ""),
            incident_id: None,
        };
        let field = |from, until, cs: &mut Vec<Component>| {
            open(input(from, until), cs, "m".into(), "u".into(), 0)
                .unwrap_err()
                .field
        };
        assert_eq!(field(None, Some(H), &mut cs), "scheduled_for");
        assert_eq!(field(Some(H), None, &mut cs), "scheduled_until");
        assert_eq!(field(Some(H), Some(H), &mut cs), "scheduled_until");
        assert_eq!(check_name("name", " ").unwrap_err().field, "name");
        assert_eq!(
            check_start_date("2026-13-01").unwrap_err().field,
            "start_date"
        );
        assert_eq!(
            check_start_date("2026-12-01").unwrap(),
            Some("2026-12-01".into())
        );
    }
}
