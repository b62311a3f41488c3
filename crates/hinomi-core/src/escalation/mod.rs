//! Escalation policies and pages, as pure decisions over a page's state and `now`.
//!
//! # The model
//! A [`Policy`] is an ordered list of [`Step`]s, run `repeat + 1` times (rounds). A step
//! names its [`Target`]s (a user, a schedule's on-call person, a team's members or one of
//! them in turn, the users with a skill) and how long to wait after it fires before the next
//! step fires. After the last step of a round the next round begins at the first step;
//! after the wait of the last step of the last round, escalation ends.
//!
//! A page is one alert group's paging record: [`PageStatus`] (triggered, acknowledged,
//! resolved), the [`Position`] that fired last, and its timer (`next_at`). [`due`] answers
//! what the page's timer means at `now`: wait, fire the next position, or stop. Rounds are
//! numbered for the whole page and never go back: a page that triggers again after a snooze
//! starts a new run of the policy at the next round number (`first_round`), so every step
//! that ever fires has its own (round, step), which names its messages. A step is
//! fired by [`fire_from`]: its targets are resolved against a [`Directory`] (lookups the
//! caller gathered: schedules, teams, skills, users and their backups); a step that reaches
//! nobody is skipped, with the reason, and the next step fires at once, as PagerDuty skips
//! an escalation level with nobody on call.
//!
//! # Backup responders
//! A user may name one backup. Whenever a step pages that user, their backup is paged in the
//! same step, as a second pair of hands ("paged with them"). A backup's own backup is not
//! followed, and a person is paged once per step however many targets name them.

mod resolve;
mod rules;

pub use resolve::{Directory, Needs, Paged, Resolution, Skip, Via};
pub use rules::{
    MAX_RULE_DELAY_MINUTES, MAX_RULES, PlannedNotice, RuleRef, ShiftNotices, Unreachable,
    plan_notifications, shift_notice_methods,
};

use serde::{Deserialize, Serialize};

/// Most steps a policy may have.
pub const MAX_STEPS: usize = 20;
/// Most targets one step may name.
pub const MAX_TARGETS: usize = 20;
/// Most repeats (rounds after the first).
pub const MAX_REPEAT: u32 = 9;
/// Shortest wait after a step.
pub const MIN_DELAY_MS: i64 = 1_000;
/// Longest wait after a step (a day).
pub const MAX_DELAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a policy needs at least one step")]
    NoSteps,
    #[error("a policy has at most {MAX_STEPS} steps")]
    TooManySteps,
    #[error("step {0} has no targets")]
    NoTargets(usize),
    #[error("step {0} has more than {MAX_TARGETS} targets")]
    TooManyTargets(usize),
    #[error("step {0}: the delay must be between 1s and 24h")]
    Delay(usize),
    #[error("step {0}: a target names nothing")]
    BlankTarget(usize),
    #[error("repeat must be at most {MAX_REPEAT}")]
    Repeat,
}

/// How a team is paged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamMode {
    /// Every member.
    #[default]
    All,
    /// One member, the next in turn each time the step fires.
    RoundRobin,
}

impl TeamMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamMode::All => "all",
            TeamMode::RoundRobin => "round_robin",
        }
    }

    pub fn parse(text: &str) -> Option<TeamMode> {
        [TeamMode::All, TeamMode::RoundRobin]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// Whom a step pages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// One user, by id.
    User { id: String },
    /// Whoever a schedule has on call when the step fires.
    Schedule { id: String },
    /// A team's members: all of them, or one in turn.
    Team {
        id: String,
        #[serde(default)]
        mode: TeamMode,
    },
    /// Every user with a skill (the skill matrix).
    Skill { name: String },
}

impl Target {
    /// The id or name the target refers to.
    pub fn reference(&self) -> &str {
        match self {
            Target::User { id } | Target::Schedule { id } | Target::Team { id, .. } => id,
            Target::Skill { name } => name,
        }
    }

    /// `user`, `schedule`, `team` or `skill`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::User { .. } => "user",
            Target::Schedule { .. } => "schedule",
            Target::Team { .. } => "team",
            Target::Skill { .. } => "skill",
        }
    }
}

/// One step: whom to page, and how long to wait before the next step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Milliseconds from this step firing to the next step.
    pub delay_ms: i64,
    pub targets: Vec<Target>,
}

/// Ordered steps, run `repeat + 1` times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    steps: Vec<Step>,
    repeat: u32,
}

/// Where escalation is: a step of a round, both counted from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub round: u32,
    pub step: u32,
}

impl Position {
    /// The first step of the first round.
    pub const START: Position = Position { round: 0, step: 0 };
}

impl Policy {
    /// A policy, checked: 1 to [`MAX_STEPS`] steps, each with 1 to [`MAX_TARGETS`] targets
    /// that name something and a delay between [`MIN_DELAY_MS`] and [`MAX_DELAY_MS`].
    pub fn new(steps: Vec<Step>, repeat: u32) -> Result<Policy, PolicyError> {
        if steps.is_empty() {
            return Err(PolicyError::NoSteps);
        }
        if steps.len() > MAX_STEPS {
            return Err(PolicyError::TooManySteps);
        }
        for (i, step) in steps.iter().enumerate() {
            if step.targets.is_empty() {
                return Err(PolicyError::NoTargets(i));
            }
            if step.targets.len() > MAX_TARGETS {
                return Err(PolicyError::TooManyTargets(i));
            }
            if !(MIN_DELAY_MS..=MAX_DELAY_MS).contains(&step.delay_ms) {
                return Err(PolicyError::Delay(i));
            }
            if step.targets.iter().any(|t| t.reference().trim().is_empty()) {
                return Err(PolicyError::BlankTarget(i));
            }
        }
        if repeat > MAX_REPEAT {
            return Err(PolicyError::Repeat);
        }
        Ok(Policy { steps, repeat })
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Rounds after the first.
    pub fn repeat(&self) -> u32 {
        self.repeat
    }

    /// The step at `pos`; `None` past the last step (a policy shortened under a page).
    pub fn step(&self, pos: Position) -> Option<&Step> {
        self.steps.get(pos.step as usize)
    }

    /// The position after `pos` in a run that began at round `first_round`, or `None`
    /// after the last step of the run's last round.
    pub fn next(&self, pos: Position, first_round: u32) -> Option<Position> {
        let next = self.next_unbounded(pos);
        (next.round.saturating_sub(first_round) <= self.repeat).then_some(next)
    }

    /// The position after `pos`, rounds continuing past the last: a person who escalates
    /// by hand is obeyed even when the policy has run out.
    pub fn next_unbounded(&self, pos: Position) -> Position {
        if (pos.step as usize) + 1 < self.steps.len() {
            Position {
                round: pos.round,
                step: pos.step + 1,
            }
        } else {
            Position {
                round: pos.round + 1,
                step: 0,
            }
        }
    }

    /// When the step after `pos` is due, `pos` having fired at `at`.
    pub fn due_after(&self, pos: Position, at: i64) -> i64 {
        at + self.step(pos).map_or(MIN_DELAY_MS, |s| s.delay_ms)
    }
}

/// A page's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    /// Someone is being sought.
    Triggered,
    /// Someone answered: escalation stopped (until a snooze ends).
    Acknowledged,
    /// Closed.
    Resolved,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PageStatus::Triggered => "triggered",
            PageStatus::Acknowledged => "acknowledged",
            PageStatus::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<PageStatus> {
        [
            PageStatus::Triggered,
            PageStatus::Acknowledged,
            PageStatus::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// What [`due`] needs of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageClock {
    pub status: PageStatus,
    /// The position that fired last.
    pub position: Position,
    /// The round the current run of the policy began at.
    pub first_round: u32,
    /// The timer: when the next decision is due; `None` when none is.
    pub next_at: Option<i64>,
    /// An acknowledged page snoozed until this instant triggers again then.
    pub snoozed_until: Option<i64>,
}

/// What a page's timer means at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Nothing to do before this instant (`None`: nothing to do at all).
    Wait(Option<i64>),
    /// Fire from this position: the next step, or after a snooze the first step of a new
    /// run (which then begins at `from.round`).
    Fire {
        from: Position,
        /// The page triggers again after a snooze.
        retrigger: bool,
    },
    /// The wait after the last step of the last round is over: escalation ends.
    Exhausted,
}

/// What to do for a page at `now`.
pub fn due(policy: &Policy, page: &PageClock, now: i64) -> Due {
    match page.status {
        PageStatus::Resolved => Due::Wait(None),
        PageStatus::Acknowledged => match page.snoozed_until {
            Some(t) if t <= now => Due::Fire {
                from: Position {
                    round: page.position.round + 1,
                    step: 0,
                },
                retrigger: true,
            },
            other => Due::Wait(other),
        },
        PageStatus::Triggered => match page.next_at {
            Some(t) if t > now => Due::Wait(Some(t)),
            None => Due::Wait(None),
            Some(_) => match policy.next(page.position, page.first_round) {
                Some(from) => Due::Fire {
                    from,
                    retrigger: false,
                },
                None => Due::Exhausted,
            },
        },
    }
}

/// One step tried by [`fire_from`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub position: Position,
    /// Whom it reached and what it skipped; nobody reached means the step was skipped.
    pub resolution: Resolution,
}

/// What firing from a position did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    /// Every step tried, in order: skipped ones (nobody reached), then the one that reached
    /// someone, if any.
    pub steps: Vec<Fired>,
    /// The page's position and timer afterwards: the step that reached someone and when
    /// the next is due, or `None` when the policy ran out with nobody reached.
    pub reached: Option<(Position, i64)>,
}

/// Fires `from` at `now` in a run that began at round `first_round`: resolves its targets;
/// if they reach nobody the step is skipped and the next fires at once, until one reaches
/// someone or the run's rounds run out.
pub fn fire_from(
    policy: &Policy,
    from: Position,
    first_round: u32,
    dir: &mut Directory,
    now: i64,
) -> Firing {
    let mut steps = Vec::new();
    let mut pos = from;
    // Every step of every round at most once, plus the starting one (which may lie past
    // the rounds after a manual escalation).
    let bound = policy.steps.len() * (policy.repeat as usize + 1) + 1;
    for _ in 0..bound {
        let resolution = match policy.step(pos) {
            Some(step) => dir.resolve(pos.step, step, now),
            None => Resolution::default(),
        };
        let reached = !resolution.people.is_empty();
        steps.push(Fired {
            position: pos,
            resolution,
        });
        if reached {
            return Firing {
                steps,
                reached: Some((pos, policy.due_after(pos, now))),
            };
        }
        match policy.next(pos, first_round) {
            Some(next) => pos = next,
            None => break,
        }
    }
    Firing {
        steps,
        reached: None,
    }
}

/// One line naming what is wrong: the alert's summary when the group has one alert, else
/// the group's labels with the number of firing alerts.
pub fn page_title(group_labels: &crate::LabelSet, alerts: &[&crate::Alert], now: i64) -> String {
    let firing: Vec<&&crate::Alert> = alerts.iter().filter(|a| !a.resolved_at(now)).collect();
    let title = match firing.as_slice() {
        [one] => one
            .annotations
            .get("summary")
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| one.labels.to_string()),
        many => {
            let labels = if group_labels.is_empty() {
                many.first()
                    .map_or_else(String::new, |a| a.name().to_owned())
            } else {
                group_labels.to_string()
            };
            format!("[{}] {labels}", many.len())
        }
    };
    title.chars().take(200).collect()
}

#[cfg(test)]
mod tests;
