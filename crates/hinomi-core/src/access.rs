//! Who may do what: roles, the actions they guard, and the one table between them.
//!
//! Every route names the [`Action`] it performs; a principal may perform it when its
//! [`Role`] is at least the action's [`Action::min_role`]. The table is the single source
//! of the access documentation (`docs/access.md`) and of the tests that try every route
//! with every role.

use std::fmt;

/// A person's (or a token's) standing, from least to most. Ordered: a role may do
/// everything the roles below it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads alerts, groups, silences and status.
    Viewer,
    /// Also posts alerts and creates, edits and expires silences: the on-call engineer.
    Responder,
    /// Also manages users, teams, integration keys and configuration, and reads the audit log.
    Admin,
    /// Also manages other owners and admins: the person accountable for the installation.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Responder, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| UnknownRole(text.to_owned()))
    }

    pub fn may(self, action: Action) -> bool {
        self >= action.min_role()
    }

    /// Whether someone with this role may give `other` to a user or token, or change
    /// someone who holds it: never above one's own role.
    pub fn may_grant(self, other: Role) -> bool {
        self.may(Action::ManageUsers) && other <= self
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, responder, admin or owner")]
pub struct UnknownRole(pub String);

/// What a request does, as far as access is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read alerts, groups, silences, receivers and status.
    Read,
    /// Read hinomi's own Prometheus metrics.
    ReadMetrics,
    /// Post alerts (the Alertmanager API); integration keys may too.
    PostAlerts,
    /// Create, edit and expire silences.
    ManageSilences,
    /// Create, change and delete on-call schedules, their overrides and shift swaps, and
    /// company holiday calendars.
    ManageSchedules,
    /// Read and change one's own profile, password and API tokens.
    ManageSelf,
    /// Create, change and remove users, reset their passwords and revoke their API tokens.
    ManageUsers,
    /// Create and remove teams and change who is in them.
    ManageTeams,
    /// Create and revoke integration keys.
    ManageIntegrations,
    /// Reload the configuration.
    ManageConfig,
    /// Read and export the audit log.
    ReadAudit,
    /// Acknowledge, resolve, escalate, reassign and snooze pages (the person a page is
    /// with may answer it whatever their role).
    RespondToPages,
    /// Create, change, bind and delete escalation policies.
    ManagePolicies,
    /// Create and delete heartbeat monitors.
    ManageHeartbeats,
    /// Declare incidents, change their status, severity, impact, summary and milestones,
    /// and write their timelines.
    RespondToIncidents,
    /// Create, change and delete the service catalogue incidents name.
    ManageServices,
    /// Change the public status page: its components, incidents and their updates, and
    /// scheduled maintenances.
    ManageStatusPage,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::Read,
        Action::ReadMetrics,
        Action::PostAlerts,
        Action::ManageSilences,
        Action::ManageSchedules,
        Action::ManageSelf,
        Action::ManageUsers,
        Action::ManageTeams,
        Action::ManageIntegrations,
        Action::ManageConfig,
        Action::ReadAudit,
        Action::RespondToPages,
        Action::ManagePolicies,
        Action::ManageHeartbeats,
        Action::RespondToIncidents,
        Action::ManageServices,
        Action::ManageStatusPage,
    ];

    /// The table: the least role that may perform the action.
    pub fn min_role(self) -> Role {
        match self {
            Action::Read | Action::ReadMetrics | Action::ManageSelf => Role::Viewer,
            Action::PostAlerts
            | Action::ManageSilences
            | Action::RespondToPages
            | Action::RespondToIncidents
            | Action::ManageStatusPage => Role::Responder,
            Action::ManageSchedules
            | Action::ManageUsers
            | Action::ManagePolicies
            | Action::ManageHeartbeats
            | Action::ManageServices
            | Action::ManageTeams
            | Action::ManageIntegrations
            | Action::ManageConfig
            | Action::ReadAudit => Role::Admin,
        }
    }

    /// What the action covers, for the access table in the documentation.
    pub fn description(self) -> &'static str {
        match self {
            Action::Read => "Read alerts, groups, silences, receivers and status",
            Action::ReadMetrics => "Read hinomi's own Prometheus metrics",
            Action::PostAlerts => "Post alerts to the Alertmanager API",
            Action::ManageSilences => "Create, edit and expire silences",
            Action::ManageSchedules => {
                "Create, change and delete on-call schedules, their overrides and shift swaps, \
                 and company holiday calendars (the person whose shift it is may swap their own \
                 time away whatever their role)"
            }
            Action::ManageSelf => "Read and change one's own profile, password and API tokens",
            Action::ManageUsers => {
                "Create, change and remove users; reset their passwords; revoke their API tokens"
            }
            Action::ManageTeams => "Create and remove teams; change who is in them",
            Action::ManageIntegrations => "Create and revoke integration keys",
            Action::ManageConfig => "Reload the configuration",
            Action::ReadAudit => "Read and export the audit log",
            Action::RespondToPages => {
                "Acknowledge, resolve, escalate, reassign and snooze pages (the person a page \
                 is with may answer it whatever their role)"
            }
            Action::ManagePolicies => "Create, change, bind and delete escalation policies",
            Action::ManageHeartbeats => "Create and delete heartbeat monitors",
            Action::RespondToIncidents => {
                "Declare incidents; change their status, severity, impact, summary and \
                 milestones; write and correct their timelines"
            }
            Action::ManageServices => "Create, change and delete the service catalogue",
            Action::ManageStatusPage => {
                "Change the public status page: components, incidents and their updates, \
                 scheduled maintenances"
            }
        }
    }

    /// The least team role that grants the action on a resource that belongs to the team,
    /// if a team role can grant it at all. Only reading, silencing and changing schedules
    /// are team-scoped: everything else concerns the whole installation and follows the
    /// global role alone.
    pub fn team_min_role(self) -> Option<TeamRole> {
        match self {
            Action::Read => Some(TeamRole::Viewer),
            Action::ManageSilences | Action::ManageSchedules => Some(TeamRole::Responder),
            _ => None,
        }
    }

    /// Whether a team role can grant the action (see [`Action::team_min_role`]).
    pub fn team_scoped(self) -> bool {
        self.team_min_role().is_some()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::ReadMetrics => "read_metrics",
            Action::PostAlerts => "post_alerts",
            Action::ManageSilences => "manage_silences",
            Action::ManageSchedules => "manage_schedules",
            Action::ManageSelf => "manage_self",
            Action::ManageUsers => "manage_users",
            Action::ManageTeams => "manage_teams",
            Action::ManageIntegrations => "manage_integrations",
            Action::ManageConfig => "manage_config",
            Action::ReadAudit => "read_audit",
            Action::RespondToPages => "respond_to_pages",
            Action::ManagePolicies => "manage_policies",
            Action::ManageHeartbeats => "manage_heartbeats",
            Action::RespondToIncidents => "respond_to_incidents",
            Action::ManageServices => "manage_services",
            Action::ManageStatusPage => "manage_status_page",
        }
    }
}

/// A member's standing inside one team. It reaches at most responder: a team can give
/// its members the right to silence its alerts, never to administer the installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TeamRole {
    /// Sees the team's resources (as every viewer does).
    Viewer,
    /// Also creates, edits and expires the team's silences.
    Responder,
}

impl TeamRole {
    pub const ALL: [TeamRole; 2] = [TeamRole::Viewer, TeamRole::Responder];

    pub fn as_str(self) -> &'static str {
        self.as_role().as_str()
    }

    pub fn as_role(self) -> Role {
        match self {
            TeamRole::Viewer => Role::Viewer,
            TeamRole::Responder => Role::Responder,
        }
    }

    pub fn parse(text: &str) -> Result<TeamRole, UnknownTeamRole> {
        TeamRole::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| UnknownTeamRole(text.to_owned()))
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown team role {0:?}: expected viewer or responder")]
pub struct UnknownTeamRole(pub String);

/// Whether someone may perform `action` on a resource that belongs to a team (a silence or
/// an integration with a `team_id`): their global role allows it, or the action is
/// team-scoped and their role in that team allows it. `team_role` is `None` for people
/// outside the team and for resources that belong to no team.
///
/// `cap` is the most the credential may do whoever holds it: a personal token made with a
/// role below its user's is capped at that role, and the user's team roles count only up
/// to it. `None` for credentials that carry their person's full standing.
pub fn may_in_team(
    global: Role,
    team_role: Option<TeamRole>,
    cap: Option<Role>,
    action: Action,
) -> bool {
    let team = team_role.map(|t| cap.map_or(t.as_role(), |c| t.as_role().min(c)));
    global.may(action)
        || action
            .team_min_role()
            .is_some_and(|need| team.is_some_and(|t| t >= need.as_role()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_print_and_order() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::Viewer < Role::Responder && Role::Admin < Role::Owner);
    }

    #[test]
    fn the_table_grows_with_the_role() {
        for a in Action::ALL {
            let allowed: Vec<bool> = Role::ALL.iter().map(|r| r.may(a)).collect();
            // Once allowed, every higher role is allowed too.
            assert!(allowed.windows(2).all(|w| !w[0] || w[1]), "{a:?}");
            assert!(Role::Owner.may(a));
        }
        assert!(!Role::Viewer.may(Action::ManageSilences));
        assert!(Role::Responder.may(Action::ManageSilences));
        assert!(!Role::Responder.may(Action::ReadAudit));
    }

    #[test]
    fn a_team_responder_silences_for_the_team_only() {
        use TeamRole as T;
        // A viewer who responds for the team may silence the team's alerts...
        assert!(may_in_team(
            Role::Viewer,
            Some(T::Responder),
            None,
            Action::ManageSilences
        ));
        // ...but not as a mere team viewer, nor outside the team.
        assert!(!may_in_team(
            Role::Viewer,
            Some(T::Viewer),
            None,
            Action::ManageSilences
        ));
        assert!(!may_in_team(
            Role::Viewer,
            None,
            None,
            Action::ManageSilences
        ));
        // The team role never reaches installation-wide actions.
        for a in [
            Action::ManageUsers,
            Action::ManageTeams,
            Action::ManageIntegrations,
            Action::ReadAudit,
            Action::PostAlerts,
        ] {
            assert!(
                !may_in_team(Role::Viewer, Some(T::Responder), None, a),
                "{a:?}"
            );
        }
        // The global role still counts inside any team.
        assert!(may_in_team(
            Role::Responder,
            None,
            None,
            Action::ManageSilences
        ));
        assert!(may_in_team(
            Role::Admin,
            Some(T::Viewer),
            None,
            Action::ManageIntegrations
        ));
        for r in TeamRole::ALL {
            assert_eq!(TeamRole::parse(r.as_str()), Ok(r));
        }
        assert!(TeamRole::parse("admin").is_err());
    }

    #[test]
    fn a_team_responder_changes_the_team_schedules_only() {
        use TeamRole as T;
        let a = Action::ManageSchedules;
        assert!(may_in_team(Role::Viewer, Some(T::Responder), None, a));
        assert!(!may_in_team(Role::Viewer, Some(T::Viewer), None, a));
        // A global responder needs the team: schedules without one are the admins'.
        assert!(!may_in_team(Role::Responder, None, None, a));
        assert!(may_in_team(Role::Admin, None, None, a));
        // A token capped at viewer changes no schedule of its user's team.
        assert!(!may_in_team(
            Role::Responder,
            Some(T::Responder),
            Some(Role::Viewer),
            a
        ));
    }

    #[test]
    fn a_capped_token_takes_no_more_from_a_team() {
        use TeamRole as T;
        // A token capped at viewer cannot silence for the team its user responds for...
        assert!(!may_in_team(
            Role::Viewer,
            Some(T::Responder),
            Some(Role::Viewer),
            Action::ManageSilences
        ));
        // ...while a cap at responder keeps the grant.
        assert!(may_in_team(
            Role::Viewer,
            Some(T::Responder),
            Some(Role::Responder),
            Action::ManageSilences
        ));
    }

    #[test]
    fn nobody_grants_above_their_role() {
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(!Role::Responder.may_grant(Role::Viewer));
    }
}
