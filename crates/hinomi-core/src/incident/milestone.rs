//! An incident's milestones (started, detected, declared, acknowledged, mitigated,
//! resolved), the order they must keep, and the durations a postmortem states from them.

use std::fmt;

use super::FieldError;

/// A moment in an incident's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Milestone {
    /// The impact began (the first alert's `startsAt`, or what the team later found).
    Started,
    /// Someone, or something, noticed.
    Detected,
    /// The incident was declared.
    Declared,
    /// A responder took it on.
    Acknowledged,
    /// The impact stopped (a workaround or fix in place); service restored.
    Mitigated,
    /// The incident is over.
    Resolved,
}

impl Milestone {
    pub const ALL: [Milestone; 6] = [
        Milestone::Started,
        Milestone::Detected,
        Milestone::Declared,
        Milestone::Acknowledged,
        Milestone::Mitigated,
        Milestone::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Started => "started",
            Milestone::Detected => "detected",
            Milestone::Declared => "declared",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }

    pub fn parse(value: &str) -> Result<Milestone, FieldError> {
        super::one_of(
            &Milestone::ALL,
            Milestone::as_str,
            "milestone",
            "milestone",
            value,
        )
    }
}

impl fmt::Display for Milestone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pairs (earlier, later) that must not be reversed when both are set. Spelled out rather
/// than derived from a chain, so a missing middle milestone (no detection recorded) still
/// leaves the ends checked (and every "time to", counted from the start or else the
/// detection, stays positive), and milestones without an order between them (acknowledged
/// and mitigated: a fix may land before anyone answered the page) stay free.
const ORDER: [(Milestone, Milestone); 10] = [
    (Milestone::Started, Milestone::Detected),
    (Milestone::Started, Milestone::Declared),
    (Milestone::Started, Milestone::Acknowledged),
    (Milestone::Started, Milestone::Mitigated),
    (Milestone::Started, Milestone::Resolved),
    (Milestone::Detected, Milestone::Declared),
    (Milestone::Detected, Milestone::Acknowledged),
    (Milestone::Detected, Milestone::Mitigated),
    (Milestone::Detected, Milestone::Resolved),
    (Milestone::Mitigated, Milestone::Resolved),
];

/// When each milestone happened, if it has (UTC epoch milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Milestones([Option<i64>; 6]);

/// One milestone set, moved or cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneChange {
    pub milestone: Milestone,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Milestones {
    pub fn get(&self, m: Milestone) -> Option<i64> {
        self.0[m as usize]
    }

    pub fn set(&mut self, m: Milestone, at: Option<i64>) {
        self.0[m as usize] = at;
    }

    /// The milestones that are set, in their natural order.
    pub fn iter(&self) -> impl Iterator<Item = (Milestone, Option<i64>)> + '_ {
        Milestone::ALL.into_iter().map(|m| (m, self.get(m)))
    }

    /// Checks the order (see [`ORDER`]), that none lies after `now`, and that the
    /// declaration is recorded. The error names the later milestone of a reversed pair.
    pub fn check(&self, now: i64) -> Result<(), FieldError> {
        if self.get(Milestone::Declared).is_none() {
            return Err(FieldError::new(
                "milestones.declared",
                "an incident's declaration time cannot be cleared",
            ));
        }
        for (m, at) in self.iter() {
            if let Some(at) = at
                && at > now
            {
                return Err(FieldError::new(
                    format!("milestones.{m}"),
                    "must not be in the future",
                ));
            }
        }
        for (earlier, later) in ORDER {
            if let (Some(a), Some(b)) = (self.get(earlier), self.get(later))
                && b < a
            {
                return Err(FieldError::new(
                    format!("milestones.{later}"),
                    format!("must not be before {earlier}"),
                ));
            }
        }
        Ok(())
    }

    /// The milestones with `m` set to `at` (or cleared), if they keep their order at `now`.
    pub fn edit(
        &self,
        m: Milestone,
        at: Option<i64>,
        now: i64,
    ) -> Result<(Milestones, MilestoneChange), FieldError> {
        let mut next = self.clone();
        next.set(m, at);
        next.check(now)?;
        Ok((
            next,
            MilestoneChange {
                milestone: m,
                from: self.get(m),
                to: at,
            },
        ))
    }

    /// The durations a postmortem states, at `now`.
    ///
    /// Each "time to" is counted from when the impact started (from the detection when no
    /// start is recorded): "declared 40 minutes after it began". Downtime runs from the
    /// start until service was restored: the mitigation, else the resolution; while
    /// neither is recorded it is still running, up to `now`.
    pub fn durations(&self, now: i64) -> Durations {
        let since = |from: Option<i64>, m: Milestone| match (from, self.get(m)) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let base = self
            .get(Milestone::Started)
            .or(self.get(Milestone::Detected));
        let started = self.get(Milestone::Started);
        let restored = self
            .get(Milestone::Mitigated)
            .or(self.get(Milestone::Resolved));
        Durations {
            time_to_detect: since(started, Milestone::Detected),
            time_to_declare: since(base, Milestone::Declared),
            time_to_acknowledge: since(base, Milestone::Acknowledged),
            time_to_mitigate: since(base, Milestone::Mitigated),
            time_to_resolve: since(base, Milestone::Resolved),
            downtime: started.map(|s| match restored {
                Some(r) => Span {
                    ms: r - s,
                    ongoing: false,
                },
                None => Span {
                    ms: (now - s).max(0),
                    ongoing: true,
                },
            }),
        }
    }
}

/// A length of time, and whether it is still growing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub ms: i64,
    pub ongoing: bool,
}

/// What the milestones say about the response, in milliseconds (see
/// [`Milestones::durations`]). `None` where a milestone it needs is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    pub time_to_detect: Option<i64>,
    pub time_to_declare: Option<i64>,
    pub time_to_acknowledge: Option<i64>,
    pub time_to_mitigate: Option<i64>,
    pub time_to_resolve: Option<i64>,
    pub downtime: Option<Span>,
}

impl Durations {
    /// Each duration with its name (`time_to_detect`, ...), in a fixed order; the downtime
    /// last.
    pub fn named(&self) -> [(&'static str, Option<i64>); 5] {
        [
            ("time_to_detect", self.time_to_detect),
            ("time_to_declare", self.time_to_declare),
            ("time_to_acknowledge", self.time_to_acknowledge),
            ("time_to_mitigate", self.time_to_mitigate),
            ("time_to_resolve", self.time_to_resolve),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    /// 2024-12-01 15:00 Asia/Tokyo.
    const SEED_START: i64 = 1_733_032_800_000;

    fn at(pairs: &[(Milestone, i64)]) -> Milestones {
        let mut m = Milestones::default();
        for (k, v) in pairs {
            m.set(*k, Some(*v));
        }
        m
    }

    #[test]
    fn the_seed_incident_was_down_for_nineteen_hours() {
        use Milestone::*;
        let m = at(&[
            (Started, SEED_START),
            (Detected, SEED_START + H / 4),
            (Declared, SEED_START + H / 2),
            (Acknowledged, SEED_START + H / 2),
            (Resolved, SEED_START + 19 * H),
        ]);
        m.check(SEED_START + 20 * H).unwrap();
        let d = m.durations(SEED_START + 20 * H);
        assert_eq!(d.time_to_detect, Some(H / 4));
        assert_eq!(d.time_to_declare, Some(H / 2));
        assert_eq!(d.time_to_mitigate, None);
        assert_eq!(d.time_to_resolve, Some(19 * H));
        assert_eq!(
            d.downtime,
            Some(Span {
                ms: 19 * H,
                ongoing: false
            })
        );
    }

    #[test]
    fn downtime_runs_until_restored() {
        use Milestone::*;
        let m = at(&[(Started, 0), (Declared, H)]);
        assert_eq!(
            m.durations(5 * H).downtime,
            Some(Span {
                ms: 5 * H,
                ongoing: true
            })
        );
        let m = at(&[
            (Started, 0),
            (Declared, H),
            (Mitigated, 2 * H),
            (Resolved, 9 * H),
        ]);
        assert_eq!(m.durations(10 * H).downtime.unwrap().ms, 2 * H);
        // No start recorded: the "time to"s count from the detection; no downtime.
        let m = at(&[(Detected, H), (Declared, 2 * H)]);
        let d = m.durations(3 * H);
        assert_eq!(d.time_to_declare, Some(H));
        assert_eq!(d.downtime, None);
    }

    #[test]
    fn order_is_kept_and_the_fault_named() {
        use Milestone::*;
        let m = at(&[(Started, H), (Declared, 2 * H)]);
        let err = m.edit(Detected, Some(3 * H), 5 * H).unwrap_err();
        assert_eq!(err.field, "milestones.declared");
        let err = m.edit(Detected, Some(0), 5 * H).unwrap_err();
        assert_eq!(err.field, "milestones.detected");
        let err = m.edit(Resolved, Some(6 * H), 5 * H).unwrap_err();
        assert_eq!(
            err,
            FieldError::new("milestones.resolved", "must not be in the future")
        );
        let err = m.edit(Declared, None, 5 * H).unwrap_err();
        assert_eq!(err.field, "milestones.declared");
        let (next, change) = m.edit(Detected, Some(H + 1), 5 * H).unwrap();
        assert_eq!(next.get(Detected), Some(H + 1));
        assert_eq!((change.from, change.to), (None, Some(H + 1)));
        // Acknowledged and mitigated have no order between them.
        let m = at(&[(Started, 0), (Declared, H), (Mitigated, 2 * H)]);
        assert!(m.edit(Acknowledged, Some(3 * H), 5 * H).is_ok());
        assert_eq!(Milestone::parse("Mitigated").unwrap(), Mitigated);
        assert_eq!(Milestone::parse("fixed").unwrap_err().field, "milestone");
    }
}
