//! `/teams`: every team with its members and their team roles, for everyone to read;
//! administrators create and delete teams and say who is in them. Changes go through
//! [`crate::people`], the functions the API uses, and are audited there.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, TeamRole};
use hinomi_store::{TeamMember, TeamRecord};
use serde::Deserialize;

use super::admin::{Refusal, refusal};
use super::{Ctx, PageError, render};
use crate::AppState;
use crate::people::{self, PeopleError};

/// A team and who is in it.
#[derive(Debug)]
struct TeamView {
    team: TeamRecord,
    members: Vec<TeamMember>,
}

/// The new-team form, as posted and as refilled after a refusal.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// What the teams page shows besides the list.
#[derive(Debug, Default)]
struct TeamsNotice {
    form: TeamForm,
    /// Why the new-team form was refused.
    form_error: Option<Refusal>,
    /// Why a change to a listed team was refused.
    error: Option<Refusal>,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    ctx: Ctx,
    teams: Vec<TeamView>,
    /// Who may be added to a team; empty for those who may not change teams.
    usernames: Vec<String>,
    team_roles: Vec<&'static str>,
    notice: TeamsNotice,
}

impl TeamsPage {
    /// Whether the new-team form's `field` was refused (for `aria-invalid`).
    fn form_field_error(&self, field: &str) -> bool {
        Refusal::concerns(&self.notice.form_error, field)
    }
}

async fn teams_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    notice: TeamsNotice,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let store = state.engine.store();
    let list = match store.teams().await {
        Ok(t) => t,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let mut teams = Vec::with_capacity(list.len());
    for team in list {
        match store.team_members(&team.id).await {
            Ok(members) => teams.push(TeamView { team, members }),
            Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
        }
    }
    let usernames = if ctx.may_manage_teams() {
        match store.users().await {
            Ok(users) => users.into_iter().map(|u| u.username).collect(),
            Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
        }
    } else {
        Vec::new()
    };
    render(
        status,
        &TeamsPage {
            ctx,
            teams,
            usernames,
            team_roles: TeamRole::ALL.into_iter().map(TeamRole::as_str).collect(),
            notice,
        },
    )
}

/// `GET /teams`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    teams_page(ctx, &state, StatusCode::OK, TeamsNotice::default()).await
}

/// `POST /teams`: a new team, without members.
pub(super) async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<TeamForm>,
) -> Response {
    let me = match ctx.require(Action::ManageTeams) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match people::create_team(&me.principal, &state, &form.name, &form.description).await {
        Ok(_) => Redirect::to("/teams").into_response(),
        Err(e) => match refusal(&ctx, Action::ManageTeams, e) {
            Ok((status, why)) => {
                let notice = TeamsNotice {
                    form,
                    form_error: Some(why),
                    ..TeamsNotice::default()
                };
                teams_page(ctx, &state, status, notice).await
            }
            Err(page) => page.into_page(ctx),
        },
    }
}

/// After a change to a listed team: back to the list, or the list saying why not.
async fn answer(ctx: Ctx, state: &AppState, done: Result<TeamRecord, PeopleError>) -> Response {
    match done {
        Ok(_) => Redirect::to("/teams").into_response(),
        Err(e) => match refusal(&ctx, Action::ManageTeams, e) {
            Ok((status, why)) => {
                let notice = TeamsNotice {
                    error: Some(why),
                    ..TeamsNotice::default()
                };
                teams_page(ctx, state, status, notice).await
            }
            Err(page) => page.into_page(ctx),
        },
    }
}

/// `POST /teams/{team}/delete`: the team and its memberships go; its silences and
/// integrations stay, in no team.
pub(super) async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(team): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageTeams) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = people::delete_team(&me.principal, &state, &team).await;
    answer(ctx, &state, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct MemberForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

/// `POST /teams/{team}/members`: adds a person to the team, or changes their team role.
pub(super) async fn set_member(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(team): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let me = match ctx.require(Action::ManageTeams) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = people::set_member(&me.principal, &state, &team, &form.username, &form.role).await;
    answer(ctx, &state, done).await
}

/// `POST /teams/{team}/members/{username}/remove`.
pub(super) async fn remove_member(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((team, username)): Path<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::ManageTeams) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = people::remove_member(&me.principal, &state, &team, &username).await;
    answer(ctx, &state, done).await
}
