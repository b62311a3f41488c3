//! Whom a step reaches: its targets resolved against lookups the caller gathered (a
//! [`Directory`]), with the reason for each target that reached nobody.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::rules::{PlannedNotice, RuleRef, Unreachable, plan_notifications};
use super::{Policy, Step, Target, TeamMode};
use crate::oncall::{Reason, Schedule};

/// What a page's steps may look up: schedules, teams' members, who has which skill, which
/// users exist and may be paged, their backups, and the round-robin cursors of one policy.
/// Filled by the caller before a step fires; only [`Directory::resolve`] moves a cursor.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    schedules: HashMap<String, Schedule>,
    teams: HashMap<String, Vec<String>>,
    skills: HashMap<String, Vec<String>>,
    /// User id to whether the user may be paged (not disabled).
    users: HashMap<String, bool>,
    backups: HashMap<String, String>,
    /// Each user's notification rules, in their order.
    rules: HashMap<String, Vec<RuleRef>>,
    /// (step, team) to the number of times the step paged the team in turn.
    cursors: BTreeMap<(u32, String), u64>,
    moved: BTreeSet<(u32, String)>,
}

/// What a [`Directory`] must hold to resolve a policy: the schedules, teams and skills its
/// steps name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub schedules: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    pub skills: BTreeSet<String>,
}

impl Needs {
    pub fn of(policy: &Policy) -> Needs {
        let mut needs = Needs::default();
        for target in policy.steps().iter().flat_map(|s| &s.targets) {
            match target {
                Target::User { .. } => {}
                Target::Schedule { id } => {
                    needs.schedules.insert(id.clone());
                }
                Target::Team { id, .. } => {
                    needs.teams.insert(id.clone());
                }
                Target::Skill { name } => {
                    needs.skills.insert(name.clone());
                }
            }
        }
        needs
    }
}

/// One person a step pages, why, and the messages their notification rules send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged {
    pub user: String,
    pub via: Via,
    /// Never empty: a person no rule reaches is skipped instead.
    pub notices: Vec<PlannedNotice>,
}

/// Why a step pages someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Via {
    /// Named by the step.
    User,
    /// On call on the schedule: by an override, or by the named layer.
    Schedule {
        id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        layer: Option<String>,
        #[serde(default)]
        by_override: bool,
    },
    /// A member of the team.
    Team { id: String },
    /// The team's member whose turn it was.
    RoundRobin { id: String },
    /// Has the skill.
    Skill { name: String },
    /// The backup of a person the step pages.
    Backup { of: String },
}

/// A target (or a person it named) that reached nobody, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Skip {
    /// The user does not exist (any more).
    UnknownUser {
        id: String,
    },
    /// The user is disabled.
    DisabledUser {
        id: String,
    },
    UnknownSchedule {
        id: String,
    },
    /// The schedule has nobody on call now.
    NobodyOnCall {
        id: String,
    },
    UnknownTeam {
        id: String,
    },
    /// The team has no member who may be paged.
    EmptyTeam {
        id: String,
    },
    /// Nobody who may be paged has the skill.
    NobodySkilled {
        name: String,
    },
    /// The person was named, but none of their notification rules can reach them.
    Unreachable {
        user: String,
        why: Unreachable,
    },
}

/// Whom one step reaches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// Each person once, in the order the targets named them, backups after; only people
    /// a notification rule reaches.
    pub people: Vec<Paged>,
    pub skipped: Vec<Skip>,
}

impl Directory {
    pub fn new() -> Directory {
        Directory::default()
    }

    pub fn add_schedule(&mut self, id: impl Into<String>, schedule: Schedule) {
        self.schedules.insert(id.into(), schedule);
    }

    /// A team and its members' user ids, in the order round-robin takes turns.
    pub fn add_team(&mut self, id: impl Into<String>, members: Vec<String>) {
        self.teams.insert(id.into(), members);
    }

    pub fn add_skill(&mut self, skill: impl Into<String>, users: Vec<String>) {
        self.skills.insert(skill.into(), users);
    }

    /// A user who exists; `enabled` false for a disabled one (never paged).
    pub fn add_user(&mut self, id: impl Into<String>, enabled: bool) {
        self.users.insert(id.into(), enabled);
    }

    pub fn add_backup(&mut self, user: impl Into<String>, backup: impl Into<String>) {
        self.backups.insert(user.into(), backup.into());
    }

    /// A user's notification rules, in order.
    pub fn add_rules(&mut self, user: impl Into<String>, rules: Vec<RuleRef>) {
        self.rules.insert(user.into(), rules);
    }

    /// How many times `step` has paged `team` in turn so far.
    pub fn set_cursor(&mut self, step: u32, team: impl Into<String>, count: u64) {
        self.cursors.insert((step, team.into()), count);
    }

    /// The round-robin cursors resolution moved, to store: (step, team, count).
    pub fn moved_cursors(&self) -> Vec<(u32, String, u64)> {
        self.moved
            .iter()
            .map(|k| (k.0, k.1.clone(), self.cursors[k]))
            .collect()
    }

    /// Whom step number `index` reaches at `now`.
    pub fn resolve(&mut self, index: u32, step: &Step, now: i64) -> Resolution {
        let mut out = Resolution::default();
        let mut named: Vec<(String, Via)> = Vec::new();
        let mut seen = HashSet::new();
        let mut add = |named: &mut Vec<(String, Via)>, user: &str, via: Via| {
            if seen.insert(user.to_owned()) {
                named.push((user.to_owned(), via));
            }
        };
        for target in &step.targets {
            match target {
                Target::User { id } => match self.users.get(id) {
                    Some(true) => add(&mut named, id, Via::User),
                    Some(false) => out.skipped.push(Skip::DisabledUser { id: id.clone() }),
                    None => out.skipped.push(Skip::UnknownUser { id: id.clone() }),
                },
                Target::Schedule { id } => {
                    let Some(schedule) = self.schedules.get(id) else {
                        out.skipped.push(Skip::UnknownSchedule { id: id.clone() });
                        continue;
                    };
                    let answer = jiff::Timestamp::from_millisecond(now)
                        .ok()
                        .and_then(|t| schedule.on_call_at(t));
                    let Some(answer) = answer else {
                        out.skipped.push(Skip::NobodyOnCall { id: id.clone() });
                        continue;
                    };
                    let (layer, by_override) = match &answer.reason {
                        Reason::Override { .. } => (None, true),
                        Reason::Layer { name, .. } => (Some(name.clone()), false),
                    };
                    match self.users.get(&answer.user) {
                        Some(true) => add(
                            &mut named,
                            &answer.user,
                            Via::Schedule {
                                id: id.clone(),
                                layer,
                                by_override,
                            },
                        ),
                        Some(false) => out.skipped.push(Skip::DisabledUser { id: answer.user }),
                        None => out.skipped.push(Skip::UnknownUser { id: answer.user }),
                    }
                }
                Target::Team { id, mode } => {
                    let Some(members) = self.teams.get(id) else {
                        out.skipped.push(Skip::UnknownTeam { id: id.clone() });
                        continue;
                    };
                    let pageable: Vec<&String> = members
                        .iter()
                        .filter(|m| self.users.get(*m) == Some(&true))
                        .collect();
                    if pageable.is_empty() {
                        out.skipped.push(Skip::EmptyTeam { id: id.clone() });
                        continue;
                    }
                    match mode {
                        TeamMode::All => {
                            for m in pageable {
                                add(&mut named, m, Via::Team { id: id.clone() });
                            }
                        }
                        TeamMode::RoundRobin => {
                            let key = (index, id.clone());
                            let count = self.cursors.get(&key).copied().unwrap_or(0);
                            let chosen = pageable[(count % pageable.len() as u64) as usize];
                            add(&mut named, chosen, Via::RoundRobin { id: id.clone() });
                            self.cursors.insert(key.clone(), count + 1);
                            self.moved.insert(key);
                        }
                    }
                }
                Target::Skill { name } => {
                    let skilled: Vec<&String> = self
                        .skills
                        .get(name)
                        .into_iter()
                        .flatten()
                        .filter(|u| self.users.get(*u) == Some(&true))
                        .collect();
                    if skilled.is_empty() {
                        out.skipped.push(Skip::NobodySkilled { name: name.clone() });
                    }
                    for u in skilled {
                        add(&mut named, u, Via::Skill { name: name.clone() });
                    }
                }
            }
        }
        let primaries: Vec<String> = named.iter().map(|(u, _)| u.clone()).collect();
        for user in primaries {
            if let Some(backup) = self.backups.get(&user)
                && self.users.get(backup) == Some(&true)
            {
                add(&mut named, backup, Via::Backup { of: user });
            }
        }
        for (user, via) in named {
            let rules = self.rules.get(&user).map_or(&[][..], Vec::as_slice);
            match plan_notifications(rules, now) {
                Ok(notices) => out.people.push(Paged { user, via, notices }),
                Err(why) => out.skipped.push(Skip::Unreachable { user, why }),
            }
        }
        out
    }
}
