//! Inhibition (`inhibit/inhibit.go`): a firing source alert mutes target
//! alerts that agree with it on the `equal` labels.

use crate::labels::{Fingerprint, LabelSet};
use crate::matcher::Matchers;

/// One `inhibit_rules` entry, with legacy `*_match` / `*_match_re` already
/// folded into the matcher lists.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InhibitRule {
    /// Optional name (newer Alertmanager configs).
    pub name: Option<String>,
    /// Alerts that inhibit.
    pub source_matchers: Matchers,
    /// Alerts that get inhibited.
    pub target_matchers: Matchers,
    /// Labels whose values must be equal in source and target; a label
    /// absent from both counts as equal.
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// Whether the firing alert `source` inhibits `target` under this rule.
    ///
    /// Besides both sides and the `equal` labels matching, Alertmanager
    /// refuses inhibition when the target also matches the source side and
    /// the source also matches the target side, so alerts that fit both
    /// sides (including an alert and itself) never mute each other.
    pub fn inhibits(&self, source: &LabelSet, target: &LabelSet) -> bool {
        if !self.target_matchers.matches(target) {
            return false;
        }
        let exclude_two_sided = self.source_matchers.matches(target);
        self.source_qualifies(source, target, exclude_two_sided)
    }

    fn source_qualifies(
        &self,
        source: &LabelSet,
        target: &LabelSet,
        exclude_two_sided: bool,
    ) -> bool {
        self.source_matchers.matches(source)
            && self
                .equal
                .iter()
                .all(|n| source.value_or_empty(n) == target.value_or_empty(n))
            && !(exclude_two_sided && self.target_matchers.matches(source))
    }
}

/// `Inhibitor.Mutes`: the fingerprint of a firing alert that inhibits
/// `target` under any rule, or `None`. Rules are tried in order and, within
/// a rule, sources in the order given. Pass only alerts that are not
/// resolved.
pub fn inhibited_by<'a>(
    rules: &[InhibitRule],
    target: &LabelSet,
    firing_sources: impl IntoIterator<Item = &'a LabelSet>,
) -> Option<Fingerprint> {
    let sources: Vec<&LabelSet> = firing_sources.into_iter().collect();
    for rule in rules {
        if !rule.target_matchers.matches(target) {
            continue;
        }
        let exclude_two_sided = rule.source_matchers.matches(target);
        if let Some(source) = sources
            .iter()
            .find(|s| rule.source_qualifies(s, target, exclude_two_sided))
        {
            return Some(source.fingerprint());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::parse_matchers;

    fn ms(s: &str) -> Matchers {
        Matchers(parse_matchers(s).unwrap())
    }

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    type Pairs<'a> = &'a [(&'a str, &'a str)];

    fn rule(source: &str, target: &str, equal: &[&str]) -> InhibitRule {
        InhibitRule {
            name: None,
            source_matchers: ms(source),
            target_matchers: ms(target),
            equal: equal.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn inhibition_table() {
        let crit_warn = rule(
            "severity=critical",
            "severity=warning",
            &["cluster", "alertname"],
        );
        let cases: &[(&InhibitRule, Pairs, Pairs, bool)] = &[
            // The classic case.
            (
                &crit_warn,
                &[
                    ("alertname", "Disk"),
                    ("severity", "critical"),
                    ("cluster", "a"),
                ],
                &[
                    ("alertname", "Disk"),
                    ("severity", "warning"),
                    ("cluster", "a"),
                ],
                true,
            ),
            // Equal label differs.
            (
                &crit_warn,
                &[
                    ("alertname", "Disk"),
                    ("severity", "critical"),
                    ("cluster", "a"),
                ],
                &[
                    ("alertname", "Disk"),
                    ("severity", "warning"),
                    ("cluster", "b"),
                ],
                false,
            ),
            // Equal label absent on both sides counts as equal.
            (
                &crit_warn,
                &[("alertname", "Disk"), ("severity", "critical")],
                &[("alertname", "Disk"), ("severity", "warning")],
                true,
            ),
            // Absent on one side only is not equal.
            (
                &crit_warn,
                &[("alertname", "Disk"), ("severity", "critical")],
                &[
                    ("alertname", "Disk"),
                    ("severity", "warning"),
                    ("cluster", "a"),
                ],
                false,
            ),
            // Target side does not match.
            (
                &crit_warn,
                &[("alertname", "Disk"), ("severity", "critical")],
                &[("alertname", "Disk"), ("severity", "info")],
                false,
            ),
            // Source side does not match.
            (
                &crit_warn,
                &[("alertname", "Disk"), ("severity", "warning")],
                &[("alertname", "Disk"), ("severity", "warning")],
                false,
            ),
        ];
        for (i, (r, source, target, want)) in cases.iter().enumerate() {
            assert_eq!(r.inhibits(&ls(source), &ls(target)), *want, "case {i}");
        }
    }

    #[test]
    fn two_sided_matches_do_not_inhibit() {
        // Every alert of the zone matches both sides.
        let both = rule("zone=a", "zone=a", &[]);
        let a = ls(&[("alertname", "X"), ("zone", "a")]);
        let b = ls(&[("alertname", "Y"), ("zone", "a")]);
        assert!(!both.inhibits(&a, &a), "an alert never inhibits itself");
        assert!(!both.inhibits(&a, &b));
        // A source matching only the source side still inhibits a target
        // that matches both sides.
        let overlapping = rule(
            r#"severity=~"critical|page""#,
            r#"severity=~"page|warning""#,
            &[],
        );
        let page = ls(&[("severity", "page")]);
        let critical = ls(&[("severity", "critical")]);
        assert!(overlapping.inhibits(&critical, &page));
        assert!(!overlapping.inhibits(&page, &page));
        // A target matching only the target side can be inhibited by a
        // source matching both.
        let warning = ls(&[("severity", "warning")]);
        assert!(overlapping.inhibits(&page, &warning));
    }

    #[test]
    fn inhibited_by_reports_the_first_inhibiting_source() {
        let rules = [
            rule("alertname=NodeDown", "severity=warning", &["instance"]),
            rule("severity=critical", "severity=warning", &["cluster"]),
        ];
        let node_down = ls(&[
            ("alertname", "NodeDown"),
            ("instance", "h1"),
            ("severity", "page"),
        ]);
        let crit_other = ls(&[
            ("alertname", "Disk"),
            ("severity", "critical"),
            ("cluster", "b"),
        ]);
        let crit_same = ls(&[
            ("alertname", "Disk"),
            ("severity", "critical"),
            ("cluster", "a"),
        ]);
        let target = ls(&[
            ("alertname", "Cpu"),
            ("severity", "warning"),
            ("instance", "h1"),
            ("cluster", "a"),
        ]);

        assert_eq!(
            inhibited_by(&rules, &target, [&crit_other, &crit_same, &node_down]),
            Some(node_down.fingerprint())
        );
        assert_eq!(
            inhibited_by(&rules, &target, [&crit_other, &crit_same]),
            Some(crit_same.fingerprint())
        );
        assert_eq!(inhibited_by(&rules, &target, [&crit_other]), None);
        assert_eq!(inhibited_by(&rules, &target, std::iter::empty()), None);
        assert_eq!(inhibited_by(&[], &target, [&node_down]), None);
    }
}
