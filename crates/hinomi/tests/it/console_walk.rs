//! Every console page and form, tried with every role and signed out: a browser signed in
//! as a viewer, a responder, an admin and an owner (a session cookie, and the session's
//! CSRF token in every form), and a browser without a session. Each answer must agree with
//! the access table in `hinomi_core::access`: allowed means neither 401 nor 403 nor a server
//! error (a 404 for the made-up ids the walk uses, a 400 for the forms it posts, a redirect:
//! the role check passed); denied means the console's 403 page naming the action. Signed
//! out, the authentication middleware sends a page request to sign in (303 to
//! `/login?next=<the path>`) and answers a form post with 401. The routes walked are the
//! router's own protected routes but for the APIs (walked by `role_walk`) and the
//! operational routes (`access`), so a new console route cannot go unchecked: the walk
//! fails until it is in [`CONSOLE`].

use axum::http::Method;
use hinomi_core::{Action, Role};

use crate::both_databases;
use crate::harness::*;

/// The fields of a form the walk posts (besides the CSRF token).
type Fields = &'static [(&'static str, &'static str)];

/// Every console route, the action its handler requires (`Ctx::require`, or the `people`
/// function it calls), and the form the walk posts to it. With the made-up path values of
/// [`concrete`] and these forms, a handler that lets the caller through finds nothing to
/// change, or refuses the form, so the walk changes nothing but what `/logout` must.
const CONSOLE: &[(&str, &str, Action, Fields)] = &[
    // The start page only redirects to the alerts, which everyone who may read sees.
    ("GET", "/", Action::Read, &[]),
    ("GET", "/alerts", Action::Read, &[]),
    ("GET", "/alerts/list", Action::Read, &[]),
    ("GET", "/alerts/events", Action::Read, &[]),
    ("GET", "/alerts/{fingerprint}", Action::Read, &[]),
    ("GET", "/groups", Action::Read, &[]),
    ("GET", "/incidents", Action::Read, &[]),
    ("GET", "/incidents/suggest", Action::Read, &[]),
    ("GET", "/incidents/{incident}", Action::Read, &[]),
    ("GET", "/incidents/{incident}/timeline", Action::Read, &[]),
    ("GET", "/incidents/{incident}/events", Action::Read, &[]),
    // Declaring and changing incidents need respond_to_incidents; the walk's forms name
    // no title and no incident that exists, so nothing is written.
    ("GET", "/incidents/new", Action::RespondToIncidents, &[]),
    ("POST", "/incidents", Action::RespondToIncidents, &[]),
    (
        "POST",
        "/incidents/{incident}/updates",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/milestones",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/timeline",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/timeline/{entry}/correct",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/roles",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/roles/{assignment}/unassign",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/checklist/{item}",
        Action::RespondToIncidents,
        &[],
    ),
    ("GET", "/external-contacts", Action::Read, &[]),
    (
        "POST",
        "/external-contacts",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/external-contacts/{id}/delete",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/services",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/groups",
        Action::RespondToIncidents,
        &[],
    ),
    // After the incident: the forms name no state, language, body or category, so they are
    // refused; the pages read.
    (
        "POST",
        "/incidents/{incident}/recovery/{check}",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/impact-record",
        Action::RespondToIncidents,
        &[("customers_handled_count", "walk")],
    ),
    ("GET", "/incidents/{incident}/postmortem", Action::Read, &[]),
    (
        "POST",
        "/incidents/{incident}/postmortem",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "GET",
        "/incidents/{incident}/postmortem/print",
        Action::Read,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/postmortem/sections/{section}",
        Action::RespondToIncidents,
        &[],
    ),
    (
        "POST",
        "/incidents/{incident}/action-items",
        Action::RespondToIncidents,
        &[],
    ),
    ("GET", "/action-items", Action::Read, &[]),
    (
        "POST",
        "/action-items/{item}",
        Action::RespondToIncidents,
        &[],
    ),
    ("GET", "/pages", Action::Read, &[]),
    ("GET", "/pages/{id}", Action::Read, &[]),
    // Answering a page needs respond_to_pages (or the page being one's own, which no made-up
    // page is); the forms name no duration or user, so they are refused.
    (
        "POST",
        "/pages/{id}/acknowledge",
        Action::RespondToPages,
        &[],
    ),
    ("POST", "/pages/{id}/resolve", Action::RespondToPages, &[]),
    ("POST", "/pages/{id}/escalate", Action::RespondToPages, &[]),
    ("POST", "/pages/{id}/snooze", Action::RespondToPages, &[]),
    ("POST", "/pages/{id}/reassign", Action::RespondToPages, &[]),
    ("GET", "/heartbeats", Action::Read, &[]),
    ("POST", "/heartbeats", Action::ManageHeartbeats, &[]),
    (
        "POST",
        "/heartbeats/{heartbeat}/delete",
        Action::ManageHeartbeats,
        &[],
    ),
    // The status page's forms are posted empty: refused, naming their first field.
    ("GET", "/status-page", Action::Read, &[]),
    (
        "POST",
        "/status-page/components",
        Action::ManageStatusPage,
        &[],
    ),
    (
        "POST",
        "/status-page/components/{component}",
        Action::ManageStatusPage,
        &[],
    ),
    (
        "POST",
        "/status-page/components/{component}/delete",
        Action::ManageStatusPage,
        &[],
    ),
    (
        "POST",
        "/status-page/incidents",
        Action::ManageStatusPage,
        &[],
    ),
    (
        "POST",
        "/status-page/maintenances",
        Action::ManageStatusPage,
        &[],
    ),
    ("GET", "/status-page/incidents/{id}", Action::Read, &[]),
    (
        "POST",
        "/status-page/incidents/{id}/updates",
        Action::ManageStatusPage,
        &[],
    ),
    ("GET", "/status-page/subscribers", Action::Read, &[]),
    (
        "POST",
        "/status-page/subscribers",
        Action::ManageStatusPage,
        &[],
    ),
    (
        "POST",
        "/status-page/subscribers/{id}/delete",
        Action::ManageStatusPage,
        &[],
    ),
    ("GET", "/escalation-policies", Action::Read, &[]),
    ("POST", "/escalation-policies", Action::ManagePolicies, &[]),
    ("GET", "/escalation-policies/{policy}", Action::Read, &[]),
    (
        "POST",
        "/escalation-policies/{policy}",
        Action::ManagePolicies,
        &[],
    ),
    (
        "POST",
        "/escalation-policies/{policy}/delete",
        Action::ManagePolicies,
        &[],
    ),
    (
        "POST",
        "/escalation-policies/{policy}/bindings",
        Action::ManagePolicies,
        &[],
    ),
    (
        "POST",
        "/escalation-policies/{policy}/bindings/{kind}/{target}/delete",
        Action::ManagePolicies,
        &[],
    ),
    ("GET", "/silences", Action::Read, &[]),
    ("POST", "/silences", Action::ManageSilences, &[]),
    // The silence form shows to readers; saving it needs manage_silences.
    ("GET", "/silences/new", Action::Read, &[]),
    ("GET", "/silences/preview", Action::Read, &[]),
    ("GET", "/silences/{id}/edit", Action::Read, &[]),
    ("POST", "/silences/{id}/expire", Action::ManageSilences, &[]),
    // An unknown language is refused, so nobody's preferences change.
    (
        "POST",
        "/preferences",
        Action::ManageSelf,
        &[("lang", "walk")],
    ),
    ("POST", "/logout", Action::ManageSelf, &[]),
    // One's own contact methods, rules and backup: the forms name nothing (no kind, no
    // delay, no backup), so they are refused; the made-up ids are found nowhere.
    ("GET", "/account/contact", Action::ManageSelf, &[]),
    ("POST", "/account/contact", Action::ManageSelf, &[]),
    (
        "POST",
        "/account/contact/{id}/test",
        Action::ManageSelf,
        &[],
    ),
    (
        "POST",
        "/account/contact/{id}/verify",
        Action::ManageSelf,
        &[],
    ),
    (
        "POST",
        "/account/contact/{id}/delete",
        Action::ManageSelf,
        &[],
    ),
    ("POST", "/account/rules", Action::ManageSelf, &[]),
    (
        "POST",
        "/account/rules/{id}/delete",
        Action::ManageSelf,
        &[],
    ),
    ("POST", "/account/backup", Action::ManageSelf, &[]),
    ("POST", "/account/shift-notices", Action::ManageSelf, &[]),
    ("GET", "/account/password", Action::ManageSelf, &[]),
    ("POST", "/account/password", Action::ManageSelf, &[]),
    ("GET", "/tokens", Action::ManageSelf, &[]),
    ("POST", "/tokens", Action::ManageSelf, &[]),
    ("POST", "/tokens/{id}/revoke", Action::ManageSelf, &[]),
    ("GET", "/integrations", Action::ManageIntegrations, &[]),
    ("POST", "/integrations", Action::ManageIntegrations, &[]),
    (
        "POST",
        "/integrations/{name}/revoke",
        Action::ManageIntegrations,
        &[],
    ),
    ("GET", "/users", Action::ManageUsers, &[]),
    ("POST", "/users", Action::ManageUsers, &[]),
    ("GET", "/users/tokens", Action::ManageUsers, &[]),
    (
        "POST",
        "/users/tokens/{id}/revoke",
        Action::ManageUsers,
        &[],
    ),
    ("GET", "/users/{id}", Action::ManageUsers, &[]),
    ("POST", "/users/{id}/profile", Action::ManageUsers, &[]),
    ("POST", "/users/{id}/role", Action::ManageUsers, &[]),
    ("POST", "/users/{id}/disable", Action::ManageUsers, &[]),
    ("POST", "/users/{id}/enable", Action::ManageUsers, &[]),
    (
        "POST",
        "/users/{id}/password-reset",
        Action::ManageUsers,
        &[],
    ),
    ("POST", "/users/{id}/delete", Action::ManageUsers, &[]),
    ("GET", "/teams", Action::Read, &[]),
    ("POST", "/teams", Action::ManageTeams, &[]),
    ("POST", "/teams/{team}/delete", Action::ManageTeams, &[]),
    ("POST", "/teams/{team}/members", Action::ManageTeams, &[]),
    (
        "POST",
        "/teams/{team}/members/{username}/remove",
        Action::ManageTeams,
        &[],
    ),
    ("GET", "/audit", Action::ReadAudit, &[]),
    ("GET", "/schedules", Action::Read, &[]),
    // Schedules of a team are changed by its responders too: whoever may change none is
    // refused before the form is read or the schedule looked up.
    ("POST", "/schedules", Action::ManageSchedules, &[]),
    ("GET", "/schedules/new", Action::Read, &[]),
    ("GET", "/schedules/{schedule}", Action::Read, &[]),
    (
        "POST",
        "/schedules/{schedule}",
        Action::ManageSchedules,
        &[],
    ),
    (
        "POST",
        "/schedules/{schedule}/delete",
        Action::ManageSchedules,
        &[],
    ),
    // An override, or a swap of someone else's time; a swap of one's own time needs no
    // right to manage (`console_schedules` tests it).
    (
        "POST",
        "/schedules/{schedule}/overrides",
        Action::ManageSchedules,
        &[],
    ),
    (
        "POST",
        "/schedules/{schedule}/overrides/{override}/remove",
        Action::ManageSchedules,
        &[],
    ),
    ("POST", "/account/ical/rotate", Action::ManageSelf, &[]),
    // Company calendars belong to the whole installation: admins change them.
    ("GET", "/holiday-calendars", Action::Read, &[]),
    ("POST", "/holiday-calendars", Action::ManageSchedules, &[]),
    ("GET", "/holiday-calendars/{calendar}", Action::Read, &[]),
    (
        "POST",
        "/holiday-calendars/{calendar}/import",
        Action::ManageSchedules,
        &[],
    ),
    (
        "POST",
        "/holiday-calendars/{calendar}/days/{date}/delete",
        Action::ManageSchedules,
        &[],
    ),
    (
        "POST",
        "/holiday-calendars/{calendar}/delete",
        Action::ManageSchedules,
        &[],
    ),
];

/// Whether a protected route belongs to the console: not the APIs (`role_walk`), not the
/// operational routes (`access`).
fn is_console(path: &str) -> bool {
    !path.starts_with("/api/") && !path.starts_with("/-/") && path != "/metrics"
}

/// A path for a route pattern whose every parameter names nothing that exists: no such
/// alert, silence, token, integration, user or team. The handlers check the role before
/// they look anything up, so a caller who may act gets a 404, and the last-owner rule and
/// "no role above your own" never come into play.
fn concrete(pattern: &str) -> String {
    let path = pattern
        .replace("{fingerprint}", "0000000000000001")
        .replace("{id}", "00000000-0000-4000-8000-000000000000")
        .replace("{name}", "walk-no-such-integration")
        .replace("{team}", "walk-no-such-team")
        .replace("{username}", "walk-no-such-user")
        .replace("{policy}", "walk-no-such-policy")
        .replace("{heartbeat}", "walk-no-such-heartbeat")
        .replace("{incident}", "INC-999999")
        .replace("{entry}", "999999")
        .replace("{check}", "access")
        .replace("{section}", "lessons")
        .replace("{assignment}", "999999")
        .replace("{item}", "999999")
        .replace("{component}", "walk-no-such-component")
        .replace("{kind}", "receiver")
        .replace("{target}", "walk-no-such-receiver")
        .replace("{schedule}", "walk-no-such-schedule")
        .replace("{override}", "walk-no-such-override")
        .replace("{calendar}", "walk-no-such-calendar")
        .replace("{date}", "2026-12-29");
    assert!(
        !path.contains('{'),
        "the walk has no value for a parameter of {pattern}: add one"
    );
    path
}

/// A browser signed in as `username`, and its session's CSRF token.
async fn signed_in(server: &Server, username: &str, password: &str) -> (reqwest::Client, String) {
    let client = server.sign_in(username, password).await;
    let csrf = server.csrf(&client, "/silences").await;
    (client, csrf)
}

/// The body of an answer, for a failure's message.
async fn text(r: reqwest::Response) -> String {
    r.text().await.unwrap_or_default()
}

both_databases!(every_console_route_with_every_role, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let routes: Vec<_> = hinomi_web::route_list(false)
        .into_iter()
        .filter(|(r, public)| !public && is_console(r.path))
        .map(|(r, _)| r)
        .collect();
    for (method, path, _, _) in CONSOLE {
        assert!(
            routes
                .iter()
                .any(|r| r.method.as_str() == *method && r.path == *path),
            "{method} {path} is in the walk's table but not a console route: remove it"
        );
    }
    let mut browsers = Vec::new();
    for role in Role::ALL {
        let username = format!("walk-{role}");
        let password = server.create_user(&username, role.as_str());
        let (client, csrf) = signed_in(&server, &username, &password).await;
        browsers.push((Some(role), username, password, client, csrf));
    }
    // A browser without a session, which, like the signed-in ones, follows no redirect.
    let nobody = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    browsers.push((None, String::new(), String::new(), nobody, String::new()));

    for route in &routes {
        let &(_, _, action, form) = CONSOLE
            .iter()
            .find(|(m, p, _, _)| route.method.as_str() == *m && route.path == *p)
            .unwrap_or_else(|| {
                panic!(
                    "the console walk does not know {} {}: add it to CONSOLE",
                    route.method, route.path
                )
            });
        let path = concrete(route.path);
        let url = format!("{}{path}", server.url);
        for (role, username, password, browser, csrf) in &browsers {
            // Signing out ends the session the walk goes on with: sign out a new one.
            let fresh;
            let (client, csrf) = if role.is_some() && route.path == "/logout" {
                fresh = signed_in(&server, username, password).await;
                (&fresh.0, &fresh.1)
            } else {
                (browser, csrf)
            };
            let mut req = client
                .request(route.method.clone(), &url)
                .header("accept", "text/html");
            if route.method == Method::POST {
                let mut fields = form.to_vec();
                if role.is_some() {
                    fields.push(("csrf", csrf.as_str()));
                }
                req = req.form(&fields);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let what = format!(
                "{} {} as {} ({})",
                route.method,
                route.path,
                role.map_or("nobody", Role::as_str),
                action.as_str()
            );
            // The live stream never ends: a body is read only when it is an error page.
            match role {
                Some(role) if role.may(action) => assert!(
                    !matches!(status, 401 | 403) && status < 500,
                    "{what} must be allowed: {status} {}",
                    text(r).await
                ),
                Some(_) => {
                    assert_eq!(status, 403, "{what} must be refused");
                    let page = text(r).await;
                    assert!(
                        page.contains(&format!("({})", action.as_str())),
                        "{what}: the refusal names another action: {page}"
                    );
                }
                None if route.method == Method::GET => {
                    assert_eq!(status, 303, "{what} must send to sign in");
                    let back = path.replace('/', "%2F");
                    assert_eq!(location, format!("/login?next={back}"), "{what}");
                }
                None => assert_eq!(status, 401, "{what}: {}", text(r).await),
            }
        }
    }
    assert!(server.terminate().await.success());
});
