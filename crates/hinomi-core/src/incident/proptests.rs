//! Property tests of milestone ordering and severity rules.

use proptest::prelude::*;

use super::*;

const H: i64 = 3_600_000;

fn milestones() -> impl Strategy<Value = Milestones> {
    proptest::collection::vec(proptest::option::of(0i64..48 * H), 6).prop_map(|v| {
        let mut m = Milestones::default();
        for (k, at) in Milestone::ALL.into_iter().zip(v) {
            m.set(k, at);
        }
        m
    })
}

fn impact() -> impl Strategy<Value = Impact> {
    (
        proptest::option::of(0i64..2_000),
        proptest::option::of(0i64..20_000_000),
        proptest::option::of(0i64..3_000),
        proptest::option::of(0usize..4),
    )
        .prop_map(|(people, yen, customers, risk)| Impact {
            people_affected: people,
            revenue_per_day: yen.map(|a| Money::parse("x", &format!("{a} JPY")).unwrap()),
            customers_affected: customers,
            reputational_risk: risk.map(|i| ReputationalRisk::ALL[i]),
        })
}

proptest! {
    /// Milestones that pass the check give no negative duration, and an edit is accepted
    /// exactly when the edited set passes the check.
    #[test]
    fn accepted_milestones_never_run_backwards(
        m in milestones(),
        k in 0usize..6,
        at in proptest::option::of(0i64..48 * H),
    ) {
        let now = 48 * H;
        if m.check(now).is_ok() {
            let d = m.durations(now);
            for (name, v) in d.named() {
                prop_assert!(v.is_none_or(|v| v >= 0), "{name} {v:?}");
            }
            prop_assert!(d.downtime.is_none_or(|s| s.ms >= 0));
        }
        let milestone = Milestone::ALL[k];
        let mut expected = m.clone();
        expected.set(milestone, at);
        match m.edit(milestone, at, now) {
            Ok((next, change)) => {
                prop_assert_eq!(&next, &expected);
                prop_assert!(next.check(now).is_ok());
                prop_assert_eq!(change.from, m.get(milestone));
            }
            Err(e) => {
                prop_assert!(expected.check(now).is_err());
                prop_assert!(e.field.starts_with("milestones."));
            }
        }
    }

    /// More impact never suggests a milder severity, and the fired rule's condition holds.
    #[test]
    fn more_impact_never_lowers_the_suggestion(a in impact(), b in impact()) {
        let policy = SeverityPolicy::default();
        let max = |x: Option<i64>, y: Option<i64>| x.max(y);
        let worse = Impact {
            people_affected: max(a.people_affected, b.people_affected),
            revenue_per_day: a.revenue_per_day.max_by_key_amount(b.revenue_per_day),
            customers_affected: max(a.customers_affected, b.customers_affected),
            reputational_risk: a.reputational_risk.max(b.reputational_risk),
        };
        let s = |i: &Impact| policy.suggest(i).map(|s| s.severity.level()).unwrap_or(5);
        prop_assert!(s(&worse) <= s(&a));
        prop_assert!(s(&worse) <= s(&b));
        if let Some(found) = policy.suggest(&a) {
            let rule = &policy.rules()[found.rule];
            prop_assert_eq!(rule.severity, found.severity);
            prop_assert_eq!(rule.when.fires(&a), Some(found.condition));
        }
    }
}

/// The larger of two yen amounts (both generated in JPY).
trait MaxAmount {
    fn max_by_key_amount(self, other: Self) -> Self;
}

impl MaxAmount for Option<Money> {
    fn max_by_key_amount(self, other: Self) -> Self {
        match (self, other) {
            (Some(x), Some(y)) => Some(if x.amount >= y.amount { x } else { y }),
            (x, y) => x.or(y),
        }
    }
}
