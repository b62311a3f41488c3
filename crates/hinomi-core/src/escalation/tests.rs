use jiff::Timestamp;
use jiff::civil::time;

use super::*;
use crate::oncall::{Layer, Override, Rotation, Schedule, ShiftLength};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MIN: i64 = 60_000;

fn user(id: &str) -> Target {
    Target::User { id: id.into() }
}

fn step(delay_min: i64, targets: Vec<Target>) -> Step {
    Step {
        delay_ms: delay_min * MIN,
        targets,
    }
}

fn pos(round: u32, step: u32) -> Position {
    Position { round, step }
}

/// Users who exist, are enabled and have one verified rule each (email at once).
fn directory(users: &[&str]) -> Directory {
    let mut dir = Directory::new();
    for u in users {
        dir.add_user(*u, true);
        dir.add_rules(*u, vec![rule(&format!("{u}-email"), 0, true)]);
    }
    dir
}

fn rule(cm: &str, delay_minutes: u32, verified: bool) -> RuleRef {
    RuleRef {
        contact_method: cm.into(),
        delay_minutes,
        verified,
    }
}

fn people(r: &Resolution) -> Vec<&str> {
    r.people.iter().map(|p| p.user.as_str()).collect()
}

#[test]
fn policies_are_checked() {
    assert_eq!(Policy::new(vec![], 0), Err(PolicyError::NoSteps));
    assert_eq!(
        Policy::new(vec![step(5, vec![])], 0),
        Err(PolicyError::NoTargets(0))
    );
    assert_eq!(
        Policy::new(
            vec![
                step(5, vec![user("a")]),
                Step {
                    delay_ms: 10,
                    targets: vec![user("b")]
                }
            ],
            0
        ),
        Err(PolicyError::Delay(1))
    );
    assert_eq!(
        Policy::new(vec![step(5, vec![user(" ")])], 0),
        Err(PolicyError::BlankTarget(0))
    );
    assert_eq!(
        Policy::new(vec![step(5, vec![user("a")])], MAX_REPEAT + 1),
        Err(PolicyError::Repeat)
    );
    let too_many: Vec<Target> = (0..=MAX_TARGETS).map(|i| user(&i.to_string())).collect();
    assert_eq!(
        Policy::new(vec![step(5, too_many)], 0),
        Err(PolicyError::TooManyTargets(0))
    );
}

#[test]
fn steps_run_in_order_for_every_round_then_stop() {
    let p = Policy::new(vec![step(5, vec![user("a")]), step(10, vec![user("b")])], 2).unwrap();
    let mut seen = vec![Position::START];
    let mut at = Position::START;
    while let Some(next) = p.next(at, 0) {
        seen.push(next);
        at = next;
    }
    assert_eq!(
        seen,
        vec![
            pos(0, 0),
            pos(0, 1),
            pos(1, 0),
            pos(1, 1),
            pos(2, 0),
            pos(2, 1)
        ]
    );
    // By hand, escalation goes on past the rounds.
    assert_eq!(p.next_unbounded(pos(2, 1)), pos(3, 0));
    // A run that began at round 4 (after a snooze) has its own three rounds.
    assert_eq!(p.next(pos(5, 1), 4), Some(pos(6, 0)));
    assert_eq!(p.next(pos(6, 1), 4), None);
    assert_eq!(p.due_after(pos(0, 1), T0), T0 + 10 * MIN);
}

#[test]
fn the_timer_says_wait_fire_or_stop() {
    let p = Policy::new(vec![step(5, vec![user("a")]), step(5, vec![user("b")])], 0).unwrap();
    let triggered = |position, next_at| PageClock {
        status: PageStatus::Triggered,
        position,
        first_round: 0,
        next_at,
        snoozed_until: None,
    };
    let page = triggered(pos(0, 0), Some(T0 + 5 * MIN));
    assert_eq!(due(&p, &page, T0), Due::Wait(Some(T0 + 5 * MIN)));
    assert_eq!(
        due(&p, &page, T0 + 5 * MIN),
        Due::Fire {
            from: pos(0, 1),
            retrigger: false
        }
    );
    // After the wait of the last step of the last round: the end.
    let last = triggered(pos(0, 1), Some(T0 + 10 * MIN));
    assert_eq!(due(&p, &last, T0 + 10 * MIN), Due::Exhausted);
    assert_eq!(
        due(&p, &triggered(pos(0, 1), None), T0 + 99 * MIN),
        Due::Wait(None)
    );
    // Acknowledged: nothing, unless snoozed; at the snooze's end a new run begins.
    let acked = PageClock {
        status: PageStatus::Acknowledged,
        ..page
    };
    assert_eq!(due(&p, &acked, T0 + 60 * MIN), Due::Wait(None));
    let snoozed = PageClock {
        snoozed_until: Some(T0 + 30 * MIN),
        ..acked
    };
    assert_eq!(
        due(&p, &snoozed, T0 + 29 * MIN),
        Due::Wait(Some(T0 + 30 * MIN))
    );
    assert_eq!(
        due(&p, &snoozed, T0 + 30 * MIN),
        Due::Fire {
            from: pos(1, 0),
            retrigger: true
        }
    );
    let resolved = PageClock {
        status: PageStatus::Resolved,
        ..snoozed
    };
    assert_eq!(due(&p, &resolved, T0 + 30 * MIN), Due::Wait(None));
}

#[test]
fn a_step_that_reaches_nobody_is_skipped_and_the_next_fires_at_once() {
    let p = Policy::new(
        vec![
            step(
                5,
                vec![Target::Skill {
                    name: "oracle".into(),
                }],
            ),
            step(5, vec![user("ben")]),
        ],
        1,
    )
    .unwrap();
    let mut dir = directory(&["ben"]);
    let f = fire_from(&p, Position::START, 0, &mut dir, T0);
    assert_eq!(f.steps.len(), 2);
    assert!(f.steps[0].resolution.people.is_empty());
    assert_eq!(
        f.steps[0].resolution.skipped,
        vec![Skip::NobodySkilled {
            name: "oracle".into()
        }]
    );
    assert_eq!(people(&f.steps[1].resolution), ["ben"]);
    assert_eq!(f.reached, Some((pos(0, 1), T0 + 5 * MIN)));

    // Nobody anywhere: every step of every round is tried once, then the policy ends.
    let mut empty = Directory::new();
    let f = fire_from(&p, Position::START, 0, &mut empty, T0);
    assert_eq!(f.reached, None);
    let tried: Vec<Position> = f.steps.iter().map(|s| s.position).collect();
    assert_eq!(tried, vec![pos(0, 0), pos(0, 1), pos(1, 0), pos(1, 1)]);
    assert_eq!(
        f.steps[1].resolution.skipped,
        vec![Skip::UnknownUser { id: "ben".into() }]
    );
}

#[test]
fn users_teams_and_skills_resolve_to_enabled_people_once_each() {
    let mut dir = directory(&["aya", "ben", "chie"]);
    dir.add_user("dan", false);
    dir.add_team("db", vec!["aya".into(), "ben".into(), "dan".into()]);
    dir.add_team("empty", vec!["dan".into()]);
    dir.add_skill("postgres", vec!["chie".into(), "aya".into()]);
    let s = step(
        5,
        vec![
            user("aya"),
            Target::Team {
                id: "db".into(),
                mode: TeamMode::All,
            },
            Target::Skill {
                name: "postgres".into(),
            },
            user("dan"),
            user("nobody"),
            Target::Team {
                id: "empty".into(),
                mode: TeamMode::All,
            },
            Target::Team {
                id: "gone".into(),
                mode: TeamMode::All,
            },
        ],
    );
    let r = dir.resolve(0, &s, T0);
    assert_eq!(people(&r), ["aya", "ben", "chie"]);
    assert_eq!(r.people[1].via, Via::Team { id: "db".into() });
    assert_eq!(
        r.people[2].via,
        Via::Skill {
            name: "postgres".into()
        }
    );
    assert_eq!(
        r.skipped,
        vec![
            Skip::DisabledUser { id: "dan".into() },
            Skip::UnknownUser {
                id: "nobody".into()
            },
            Skip::EmptyTeam { id: "empty".into() },
            Skip::UnknownTeam { id: "gone".into() },
        ]
    );
}

#[test]
fn round_robin_takes_the_next_member_each_time_the_step_fires() {
    let mut dir = directory(&["aya", "ben", "chie"]);
    dir.add_team("db", vec!["aya".into(), "ben".into(), "chie".into()]);
    dir.set_cursor(1, "db", 1);
    let s = step(
        5,
        vec![Target::Team {
            id: "db".into(),
            mode: TeamMode::RoundRobin,
        }],
    );
    let picks: Vec<String> = (0..4)
        .map(|_| dir.resolve(1, &s, T0).people[0].user.clone())
        .collect();
    assert_eq!(picks, ["ben", "chie", "aya", "ben"]);
    assert_eq!(dir.moved_cursors(), vec![(1, "db".to_owned(), 5)]);
    // Another step's cursor is its own.
    assert_eq!(dir.resolve(0, &s, T0).people[0].user, "aya");
}

#[test]
fn a_schedule_pages_whoever_is_on_call_now() {
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let start: Timestamp = "2025-12-29T01:00:00Z".parse().unwrap();
    let rotation = Rotation::new(
        vec!["aya".into(), "ben".into()],
        ShiftLength::Weeks(1),
        start,
        time(10, 0, 0, 0),
    )
    .unwrap();
    let layer = Layer {
        name: "primary".into(),
        rotation,
        restriction: None,
    };
    let o = Override::new(
        "chie".into(),
        Timestamp::from_millisecond(T0 + 60 * MIN).unwrap(),
        Timestamp::from_millisecond(T0 + 120 * MIN).unwrap(),
    )
    .unwrap();
    let schedule = Schedule::new(tz.iana_name().unwrap(), vec![layer], vec![o]).unwrap();
    let mut dir = directory(&["aya", "ben", "chie"]);
    dir.add_schedule("primary", schedule);
    let s = step(
        5,
        vec![
            Target::Schedule {
                id: "primary".into(),
            },
            Target::Schedule { id: "gone".into() },
        ],
    );
    let r = dir.resolve(0, &s, T0);
    assert_eq!(people(&r), ["aya"]);
    assert_eq!(
        r.people[0].via,
        Via::Schedule {
            id: "primary".into(),
            layer: Some("primary".into()),
            by_override: false
        }
    );
    assert_eq!(r.skipped, vec![Skip::UnknownSchedule { id: "gone".into() }]);
    let r = dir.resolve(0, &s, T0 + 90 * MIN);
    assert_eq!(people(&r), ["chie"]);
    // A disabled person on call is not paged: the step says so.
    dir.add_user("chie", false);
    let r = dir.resolve(0, &s, T0 + 90 * MIN);
    assert!(r.people.is_empty());
    assert_eq!(r.skipped[0], Skip::DisabledUser { id: "chie".into() });
    dir.add_user("chie", true);
    // Before the rotation starts nobody is on call.
    let early = dir.resolve(0, &s, T0 - 30 * 24 * 60 * MIN);
    assert!(early.people.is_empty());
    assert_eq!(
        early.skipped[0],
        Skip::NobodyOnCall {
            id: "primary".into()
        }
    );
}

#[test]
fn a_backup_is_paged_with_the_person_once() {
    let mut dir = directory(&["aya", "ben", "chie"]);
    dir.add_backup("aya", "ben");
    dir.add_backup("ben", "chie");
    let r = dir.resolve(0, &step(5, vec![user("aya")]), T0);
    // ben as aya's backup; ben's own backup is not followed.
    assert_eq!(people(&r), ["aya", "ben"]);
    assert_eq!(r.people[1].via, Via::Backup { of: "aya".into() });
    // A backup named by the step itself is paged once, for the step.
    let r = dir.resolve(0, &step(5, vec![user("aya"), user("ben")]), T0);
    assert_eq!(people(&r), ["aya", "ben", "chie"]);
    assert_eq!(r.people[1].via, Via::User);
}

#[test]
fn people_no_rule_reaches_are_skipped_and_said() {
    let mut dir = directory(&["aya"]);
    dir.add_user("ben", true);
    dir.add_user("chie", true);
    dir.add_rules("chie", vec![rule("chie-sms", 0, false)]);
    let r = dir.resolve(
        0,
        &step(5, vec![user("aya"), user("ben"), user("chie")]),
        T0,
    );
    assert_eq!(people(&r), ["aya"]);
    assert_eq!(
        r.skipped,
        vec![
            Skip::Unreachable {
                user: "ben".into(),
                why: Unreachable::NoRules
            },
            Skip::Unreachable {
                user: "chie".into(),
                why: Unreachable::Unverified
            },
        ]
    );
}

#[test]
fn rules_plan_each_verified_method_at_its_delay() {
    let rules = vec![
        rule("voice", 3, true),
        rule("email", 0, true),
        rule("sms", 1, false),
        rule("email", 0, true),
        rule("email", 10, true),
    ];
    let plan = plan_notifications(&rules, T0).unwrap();
    let got: Vec<(usize, &str, i64)> = plan
        .iter()
        .map(|p| (p.rule, p.contact_method.as_str(), p.due_at))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "email", T0),
            (0, "voice", T0 + 3 * MIN),
            (4, "email", T0 + 10 * MIN),
        ]
    );
    assert_eq!(plan_notifications(&[], T0), Err(Unreachable::NoRules));
}

#[test]
fn the_title_names_one_alert_or_the_group() {
    let mut labels = crate::LabelSet::new();
    labels.insert("alertname", "DiskFull");
    labels.insert("instance", "db1");
    let mut one = crate::Alert {
        labels,
        annotations: crate::LabelSet::new(),
        starts_at: T0,
        ends_at: 0,
        updated_at: T0,
        generator_url: String::new(),
        timeout: false,
    };
    one.annotations.insert("summary", "db1 のディスクが満杯");
    let mut group = crate::LabelSet::new();
    group.insert("alertname", "DiskFull");
    assert_eq!(page_title(&group, &[&one], T0), "db1 のディスクが満杯");
    let mut two = one.clone();
    two.labels.insert("instance", "db2");
    assert_eq!(
        page_title(&group, &[&one, &two], T0),
        "[2] {alertname=\"DiskFull\"}"
    );
}
