//! `/escalation-policies`: who is paged, in which order, how long each step waits, how
//! often the whole repeats, and which receivers and integrations page through the policy.
//! Everyone reads them; admins write them, steps one a line (`5m user:aya team:db`).
//! Changes go through `crate::paging`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_store::PolicyRecord;
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::paging::{self, PagingError, PolicyInput, TargetView};

/// A step as the page shows it.
#[derive(Debug)]
struct StepRow {
    delay: String,
    targets: Vec<TargetView>,
}

/// A policy as the pages show it.
#[derive(Debug)]
struct PolicyRow {
    record: PolicyRecord,
    steps: Vec<StepRow>,
    /// (kind, target name).
    bindings: Vec<(&'static str, String)>,
}

async fn policy_row(state: &AppState, record: PolicyRecord) -> Result<PolicyRow, PagingError> {
    let mut steps = Vec::new();
    for s in record.policy.steps() {
        steps.push(StepRow {
            delay: hinomi_core::format_duration(s.delay_ms),
            targets: paging::target_views(state, &s.targets).await?,
        });
    }
    let mut bindings = Vec::new();
    for b in state.engine.store().bindings(Some(&record.id)).await? {
        bindings.push((b.kind.as_str(), paging::binding_name(state, &b).await?));
    }
    Ok(PolicyRow {
        record,
        steps,
        bindings,
    })
}

/// The policy form, as posted and as refilled after a refusal.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PolicyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    steps: String,
}

impl PolicyForm {
    async fn of(state: &AppState, p: &PolicyRecord) -> Result<PolicyForm, PagingError> {
        Ok(PolicyForm {
            name: p.name.clone(),
            description: p.description.clone(),
            repeat: p.policy.repeat().to_string(),
            steps: paging::steps_text(state, &p.policy).await?,
        })
    }

    fn input(&self) -> Result<PolicyInput, PagingError> {
        let repeat = match self.repeat.trim() {
            "" => 0,
            r => r.parse().map_err(|_| PagingError::Invalid {
                field: "repeat",
                message: format!("repeat: {r:?} is not a number from 0 to 9"),
            })?,
        };
        Ok(PolicyInput {
            name: self.name.clone(),
            description: self.description.clone(),
            team: None,
            repeat,
            steps: paging::parse_steps_text(&self.steps)?,
        })
    }
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    ctx: Ctx,
    policies: Vec<PolicyRow>,
    form: PolicyForm,
    error: Option<String>,
}

impl PoliciesPage {
    /// Where the policy form posts: a new policy.
    fn form_action(&self) -> Option<&str> {
        None
    }
}

impl Ctx {
    pub fn may_manage_policies(&self) -> bool {
        self.may(Action::ManagePolicies)
    }

    /// The name of a step target's kind (`user`, `schedule`, `team`, `skill`).
    pub fn target_kind_label(&self, kind: &str) -> &'static str {
        self.t(&format!("policies.target.{kind}"))
    }

    /// The name of a binding's kind (`receiver`, `integration`).
    pub fn binding_kind_label(&self, kind: &str) -> &'static str {
        self.t(&format!("policies.binding.{kind}"))
    }
}

fn failed(ctx: Ctx, e: PagingError) -> Response {
    match e {
        PagingError::Denied(_) => PageError::Forbidden(Action::ManagePolicies),
        PagingError::NotFound(_) => PageError::NotFound,
        PagingError::Invalid { field, message } => PageError::BadInput(field.into(), message),
        e => PageError::Internal(e.to_string()),
    }
    .into_page(ctx)
}

async fn list_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    form: PolicyForm,
    error: Option<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let loaded = async {
        let mut rows = Vec::new();
        for p in state.engine.store().policies().await? {
            rows.push(policy_row(state, p).await?);
        }
        Ok::<_, PagingError>(rows)
    };
    match loaded.await {
        Ok(policies) => render(
            status,
            &PoliciesPage {
                ctx,
                policies,
                form,
                error,
            },
        ),
        Err(e) => failed(ctx, e),
    }
}

/// `GET /escalation-policies`.
pub(super) async fn list(ctx: Ctx, State(state): State<AppState>) -> Response {
    list_page(ctx, &state, StatusCode::OK, PolicyForm::default(), None).await
}

/// `POST /escalation-policies`: a new policy.
pub(super) async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<PolicyForm>,
) -> Response {
    let me = match ctx.require(Action::ManagePolicies) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let saved = match form.input() {
        Ok(input) => paging::save_policy(&me.principal, &state, None, input).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(p) => Redirect::to(&format!("/escalation-policies/{}", p.id)).into_response(),
        Err(PagingError::Invalid { message, .. }) => {
            list_page(ctx, &state, StatusCode::BAD_REQUEST, form, Some(message)).await
        }
        Err(PagingError::Conflict(message)) => {
            list_page(ctx, &state, StatusCode::CONFLICT, form, Some(message)).await
        }
        Err(e) => failed(ctx, e),
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    ctx: Ctx,
    policy: PolicyRow,
    form: PolicyForm,
    /// The receivers of the configuration in force, and the live integrations: what the
    /// policy may be bound to.
    receivers: Vec<String>,
    integrations: Vec<String>,
    error: Option<String>,
}

async fn detail_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    form: Option<PolicyForm>,
    error: Option<String>,
) -> Response {
    let Some(me) = ctx.me.clone() else {
        return PageError::Forbidden(Action::Read).into_page(ctx);
    };
    let loaded = async {
        let record = paging::policy(&me.principal, state, id).await?;
        let form = match form {
            Some(f) => f,
            None => PolicyForm::of(state, &record).await?,
        };
        let integrations = state
            .engine
            .store()
            .integrations()
            .await?
            .into_iter()
            .filter(|i| i.revoked_at.is_none())
            .map(|i| i.name)
            .collect();
        Ok::<_, PagingError>((policy_row(state, record).await?, form, integrations))
    };
    match loaded.await {
        Ok((policy, form, integrations)) => render(
            status,
            &PolicyPage {
                receivers: state
                    .engine
                    .config()
                    .receivers
                    .iter()
                    .map(|r| r.name.clone())
                    .collect(),
                ctx,
                policy,
                form,
                integrations,
                error,
            },
        ),
        Err(e) => failed(ctx, e),
    }
}

impl PolicyPage {
    /// Where the policy form posts: this policy.
    fn form_action(&self) -> Option<&str> {
        Some(&self.policy.record.id)
    }
}

/// `GET /escalation-policies/{policy}`.
pub(super) async fn detail(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    detail_page(ctx, &state, &id, StatusCode::OK, None, None).await
}

/// After a change to a policy: back to it, or it saying why not.
async fn answered(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    form: Option<PolicyForm>,
    done: Result<(), PagingError>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/escalation-policies/{id}")).into_response(),
        Err(PagingError::Invalid { message, .. }) => {
            detail_page(ctx, state, id, StatusCode::BAD_REQUEST, form, Some(message)).await
        }
        Err(PagingError::Conflict(message)) => {
            detail_page(ctx, state, id, StatusCode::CONFLICT, form, Some(message)).await
        }
        Err(e) => failed(ctx, e),
    }
}

/// `POST /escalation-policies/{policy}`: saves the edited policy.
pub(super) async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<PolicyForm>,
) -> Response {
    let me = match ctx.require(Action::ManagePolicies) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let saved = match form.input() {
        Ok(input) => paging::save_policy(&me.principal, &state, Some(&id), input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    answered(ctx, &state, &id, Some(form), saved).await
}

/// `POST /escalation-policies/{policy}/delete`.
pub(super) async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManagePolicies) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match paging::delete_policy(&me.principal, &state, &id).await {
        Ok(()) => Redirect::to("/escalation-policies").into_response(),
        Err(e) => failed(ctx, e),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct BindForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
}

/// `POST /escalation-policies/{policy}/bindings`.
pub(super) async fn bind(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<BindForm>,
) -> Response {
    let me = match ctx.require(Action::ManagePolicies) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::bind(&me.principal, &state, &id, &f.kind, &f.target)
        .await
        .map(|_| ());
    answered(ctx, &state, &id, None, done).await
}

/// `POST /escalation-policies/{policy}/bindings/{kind}/{target}/delete`.
pub(super) async fn unbind(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, kind, target)): Path<(String, String, String)>,
) -> Response {
    let me = match ctx.require(Action::ManagePolicies) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::unbind(&me.principal, &state, &id, &kind, &target).await;
    answered(ctx, &state, &id, None, done).await
}
