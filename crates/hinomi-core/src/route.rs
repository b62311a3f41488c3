//! The routing tree (`dispatch/route.go`): which routes an alert reaches,
//! the labels it is grouped by there, and the keys Alertmanager derives from
//! routes and groups.

use crate::labels::LabelSet;
use crate::matcher::{Matcher, Matchers};

/// `group_wait` when no route sets it.
pub const DEFAULT_GROUP_WAIT_MS: i64 = 30_000;
/// `group_interval` when no route sets it.
pub const DEFAULT_GROUP_INTERVAL_MS: i64 = 5 * 60_000;
/// `repeat_interval` when no route sets it.
pub const DEFAULT_REPEAT_INTERVAL_MS: i64 = 4 * 60 * 60_000;

/// Which labels form an alert group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// `group_by: ['...']`: every label.
    All,
    /// These labels (sorted, without duplicates); empty means one group per
    /// route.
    Labels(Vec<String>),
}

impl GroupBy {
    /// Builds the label form, sorted and deduplicated.
    pub fn labels<I, S>(names: I) -> GroupBy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut v: Vec<String> = names.into_iter().map(Into::into).collect();
        v.sort();
        v.dedup();
        GroupBy::Labels(v)
    }
}

impl Default for GroupBy {
    fn default() -> Self {
        GroupBy::Labels(Vec::new())
    }
}

/// The settings in force at a route, after inheritance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteOpts {
    /// Receiver name.
    pub receiver: String,
    /// Grouping labels.
    pub group_by: GroupBy,
    /// Wait before the first notification of a new group (ms).
    pub group_wait: i64,
    /// Wait between notifications about a changed group (ms).
    pub group_interval: i64,
    /// Wait before repeating an unchanged notification (ms).
    pub repeat_interval: i64,
    /// Named time intervals when the route is muted (not inherited).
    pub mute_time_intervals: Vec<String>,
    /// Named time intervals outside which the route is muted (not
    /// inherited).
    pub active_time_intervals: Vec<String>,
}

impl Default for RouteOpts {
    /// `DefaultRouteOpts`: no receiver, no grouping labels, 30s / 5m / 4h.
    fn default() -> Self {
        RouteOpts {
            receiver: String::new(),
            group_by: GroupBy::default(),
            group_wait: DEFAULT_GROUP_WAIT_MS,
            group_interval: DEFAULT_GROUP_INTERVAL_MS,
            repeat_interval: DEFAULT_REPEAT_INTERVAL_MS,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
        }
    }
}

/// A route as written in the configuration, before inheritance: `None`
/// means "not set here".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteSpec {
    /// `receiver`.
    pub receiver: Option<String>,
    /// `group_by`, when given with at least one entry.
    pub group_by: Option<GroupBy>,
    /// `match`, `match_re` and `matchers` together, in any order.
    pub matchers: Vec<Matcher>,
    /// `continue`.
    pub continue_matching: bool,
    /// `group_wait` (ms).
    pub group_wait: Option<i64>,
    /// `group_interval` (ms).
    pub group_interval: Option<i64>,
    /// `repeat_interval` (ms).
    pub repeat_interval: Option<i64>,
    /// `mute_time_intervals`.
    pub mute_time_intervals: Vec<String>,
    /// `active_time_intervals`.
    pub active_time_intervals: Vec<String>,
    /// `routes`.
    pub routes: Vec<RouteSpec>,
}

/// A node of the routing tree with its settings resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `Route.ID()`: unique in the tree, e.g. `{}/{team="db"}/0`.
    pub id: String,
    /// `Route.Key()`: the path of matcher sets, e.g. `{}/{team="db"}`; not
    /// unique, and the prefix of every group key of the route.
    pub key: String,
    /// Conditions to enter the route, sorted as Alertmanager sorts them.
    pub matchers: Matchers,
    /// Whether matching goes on with the next sibling after this route
    /// matched.
    pub continue_matching: bool,
    /// Settings in force.
    pub opts: RouteOpts,
    /// Children, in order.
    pub routes: Vec<Route>,
}

impl Route {
    /// Builds the tree from the root's spec; the root starts from
    /// [`RouteOpts::default`] and children inherit from their parent.
    pub fn from_spec(spec: &RouteSpec) -> Route {
        Route::build(spec, &RouteOpts::default(), None)
    }

    fn build(spec: &RouteSpec, inherited: &RouteOpts, parent: Option<(&Route, usize)>) -> Route {
        let mut opts = inherited.clone();
        if let Some(receiver) = spec.receiver.as_ref().filter(|r| !r.is_empty()) {
            opts.receiver = receiver.clone();
        }
        if let Some(group_by) = &spec.group_by {
            opts.group_by = group_by.clone();
        }
        if let Some(v) = spec.group_wait {
            opts.group_wait = v;
        }
        if let Some(v) = spec.group_interval {
            opts.group_interval = v;
        }
        if let Some(v) = spec.repeat_interval {
            opts.repeat_interval = v;
        }
        // Time intervals are taken from the route itself, never inherited.
        opts.mute_time_intervals = spec.mute_time_intervals.clone();
        opts.active_time_intervals = spec.active_time_intervals.clone();

        let mut matchers = Matchers(spec.matchers.clone());
        matchers.sort();
        let (key, id) = match parent {
            None => (matchers.to_string(), matchers.to_string()),
            Some((p, position)) => (
                format!("{}/{}", p.key, matchers),
                format!("{}/{}/{}", p.id, matchers, position),
            ),
        };
        let mut route = Route {
            id,
            key,
            matchers,
            continue_matching: spec.continue_matching,
            opts,
            routes: Vec::with_capacity(spec.routes.len()),
        };
        let children = spec
            .routes
            .iter()
            .enumerate()
            .map(|(i, child)| Route::build(child, &route.opts, Some((&route, i))))
            .collect();
        route.routes = children;
        route
    }

    /// `Route.Match`: depth first, left to right. A matching route hands the
    /// alert to its children; the first matching child stops the search
    /// among its siblings unless it has `continue`; a route whose children
    /// all miss is itself the result. Empty when this route does not match.
    pub fn match_routes(&self, labels: &LabelSet) -> Vec<&Route> {
        let mut out = Vec::new();
        self.collect_matches(labels, &mut out);
        out
    }

    fn collect_matches<'a>(&'a self, labels: &LabelSet, out: &mut Vec<&'a Route>) -> bool {
        if !self.matchers.matches(labels) {
            return false;
        }
        let before = out.len();
        for child in &self.routes {
            if child.collect_matches(labels, out) && !child.continue_matching {
                break;
            }
        }
        if out.len() == before {
            out.push(self);
        }
        true
    }

    /// `getGroupLabels`: the alert's labels named by `group_by` (all of them
    /// for `...`); names the alert lacks are left out.
    pub fn group_labels(&self, labels: &LabelSet) -> LabelSet {
        match &self.opts.group_by {
            GroupBy::All => labels.clone(),
            GroupBy::Labels(names) => names
                .iter()
                .filter_map(|n| labels.get(n).map(|v| (n.clone(), v.to_owned())))
                .collect(),
        }
    }

    /// Every route, depth first, parents before children (`Route.Walk`).
    pub fn walk(&self) -> impl Iterator<Item = &Route> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            stack.extend(next.routes.iter().rev());
            Some(next)
        })
    }

    /// The route with this [`Route::id`], if any.
    pub fn find(&self, id: &str) -> Option<&Route> {
        self.walk().find(|r| r.id == id)
    }
}

/// `aggrGroup.GroupKey()`: `"{route key}:{group labels}"`, the string
/// Alertmanager sends as `groupKey` in webhooks.
pub fn group_key(route: &Route, group_labels: &LabelSet) -> String {
    format!("{}:{}", route.key, group_labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{MatchOp, parse_matchers};

    fn spec(matchers: &str) -> RouteSpec {
        RouteSpec {
            matchers: parse_matchers(matchers).unwrap(),
            ..RouteSpec::default()
        }
    }

    fn re(name: &str, pattern: &str) -> Matcher {
        // `match_re` values are anchored before they become matchers.
        Matcher::new(name, MatchOp::Regex, format!("^(?:{pattern})$")).unwrap()
    }

    type Pairs<'a> = &'a [(&'a str, &'a str)];
    /// (receiver, route key, group_wait)
    type Expected<'a> = &'a [(&'a str, &'a str, i64)];

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// The tree of Alertmanager's `TestRouteMatch`, built by hand.
    fn am_tree() -> Route {
        let root = RouteSpec {
            receiver: Some("notify-def".into()),
            routes: vec![
                RouteSpec {
                    receiver: Some("notify-A".into()),
                    routes: vec![
                        RouteSpec {
                            receiver: Some("notify-testing".into()),
                            group_by: Some(GroupBy::All),
                            ..spec("env=testing")
                        },
                        RouteSpec {
                            receiver: Some("notify-productionA".into()),
                            group_wait: Some(60_000),
                            continue_matching: true,
                            ..spec("env=production")
                        },
                        RouteSpec {
                            receiver: Some("notify-productionB".into()),
                            matchers: vec![re("job", ".*"), re("env", "produ.*")],
                            group_wait: Some(30_000),
                            group_interval: Some(300_000),
                            repeat_interval: Some(3_600_000),
                            group_by: Some(GroupBy::labels(["job"])),
                            ..RouteSpec::default()
                        },
                    ],
                    ..spec("owner=team-A")
                },
                RouteSpec {
                    matchers: vec![re("owner", "team-(B|C)")],
                    group_by: Some(GroupBy::labels(["foo", "bar"])),
                    group_wait: Some(120_000),
                    receiver: Some("notify-BC".into()),
                    ..RouteSpec::default()
                },
                RouteSpec {
                    group_by: Some(GroupBy::labels(["role"])),
                    routes: vec![RouteSpec {
                        receiver: Some("notify-testing".into()),
                        routes: vec![RouteSpec {
                            group_wait: Some(120_000),
                            ..spec("wait=long")
                        }],
                        ..spec("env=testing")
                    }],
                    ..spec("group_by=role")
                },
            ],
            ..RouteSpec::default()
        };
        Route::from_spec(&root)
    }

    #[test]
    fn matches_like_alertmanager_route_test() {
        let tree = am_tree();
        // (labels, [(receiver, key, group_wait)])
        let cases: &[(Pairs, Expected)] = &[
            (
                &[("owner", "team-A")],
                &[("notify-A", r#"{}/{owner="team-A"}"#, 30_000)],
            ),
            (
                &[("owner", "team-A"), ("env", "unset")],
                &[("notify-A", r#"{}/{owner="team-A"}"#, 30_000)],
            ),
            (
                &[("owner", "team-C")],
                &[("notify-BC", r#"{}/{owner=~"^(?:team-(B|C))$"}"#, 120_000)],
            ),
            (
                &[("owner", "team-A"), ("env", "testing")],
                &[(
                    "notify-testing",
                    r#"{}/{owner="team-A"}/{env="testing"}"#,
                    30_000,
                )],
            ),
            (
                &[("owner", "team-A"), ("env", "production")],
                &[
                    (
                        "notify-productionA",
                        r#"{}/{owner="team-A"}/{env="production"}"#,
                        60_000,
                    ),
                    (
                        "notify-productionB",
                        r#"{}/{owner="team-A"}/{env=~"^(?:produ.*)$",job=~"^(?:.*)$"}"#,
                        30_000,
                    ),
                ],
            ),
            (
                &[("group_by", "role")],
                &[("notify-def", r#"{}/{group_by="role"}"#, 30_000)],
            ),
            (
                &[("env", "testing"), ("group_by", "role")],
                &[(
                    "notify-testing",
                    r#"{}/{group_by="role"}/{env="testing"}"#,
                    30_000,
                )],
            ),
            (
                &[("env", "testing"), ("group_by", "role"), ("wait", "long")],
                &[(
                    "notify-testing",
                    r#"{}/{group_by="role"}/{env="testing"}/{wait="long"}"#,
                    120_000,
                )],
            ),
            (&[("alertname", "Other")], &[("notify-def", "{}", 30_000)]),
        ];
        for (input, want) in cases {
            let got: Vec<(&str, &str, i64)> = tree
                .match_routes(&labels(input))
                .into_iter()
                .map(|r| (r.opts.receiver.as_str(), r.key.as_str(), r.opts.group_wait))
                .collect();
            assert_eq!(&got, want, "{input:?}");
        }
    }

    #[test]
    fn inherited_options() {
        let tree = am_tree();
        let testing = &tree.routes[0].routes[0];
        assert_eq!(testing.opts.group_by, GroupBy::All);
        let prod_b = &tree.routes[0].routes[2];
        assert_eq!(prod_b.opts.group_by, GroupBy::Labels(vec!["job".into()]));
        assert_eq!(prod_b.opts.repeat_interval, 3_600_000);
        let wait_long = &tree.routes[2].routes[0].routes[0];
        // Receiver from the parent, group_by from the grandparent.
        assert_eq!(wait_long.opts.receiver, "notify-testing");
        assert_eq!(
            wait_long.opts.group_by,
            GroupBy::Labels(vec!["role".into()])
        );
        assert_eq!(wait_long.opts.group_interval, DEFAULT_GROUP_INTERVAL_MS);
        assert_eq!(wait_long.opts.repeat_interval, DEFAULT_REPEAT_INTERVAL_MS);
    }

    #[test]
    fn group_by_all_is_inherited_until_overridden() {
        let root = RouteSpec {
            receiver: Some("r".into()),
            routes: vec![RouteSpec {
                group_by: Some(GroupBy::All),
                mute_time_intervals: vec!["weekend".into()],
                routes: vec![
                    spec("env=child1"),
                    RouteSpec {
                        group_by: Some(GroupBy::labels(["foo"])),
                        ..spec("env=child2")
                    },
                ],
                ..spec("env=parent")
            }],
            ..RouteSpec::default()
        };
        let tree = Route::from_spec(&root);
        let parent = &tree.routes[0];
        assert_eq!(parent.routes[0].opts.group_by, GroupBy::All);
        assert_eq!(
            parent.routes[1].opts.group_by,
            GroupBy::Labels(vec!["foo".into()])
        );
        // Time intervals are not inherited.
        assert_eq!(parent.opts.mute_time_intervals, vec!["weekend".to_owned()]);
        assert!(parent.routes[0].opts.mute_time_intervals.is_empty());
    }

    #[test]
    fn ids_are_unique_like_alertmanager_route_id_test() {
        let child = |m: &str, sub: Vec<RouteSpec>| RouteSpec {
            continue_matching: true,
            routes: sub,
            ..spec(m)
        };
        let root = RouteSpec {
            receiver: Some("default".into()),
            routes: vec![
                child("foo=bar", vec![spec("bar=baz")]),
                child("foo=bar", vec![spec("bar=baz")]),
                child("foo=bar", vec![spec("bar=baz")]),
                child("bar=baz", vec![spec("baz=qux"), spec("qux=corge")]),
                child(r#"qux=~"[a-zA-Z0-9]+""#, vec![]),
                child(r#"corge!~"[0-9]+""#, vec![]),
            ],
            ..RouteSpec::default()
        };
        let tree = Route::from_spec(&root);
        let ids: Vec<&str> = tree.walk().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "{}",
                r#"{}/{foo="bar"}/0"#,
                r#"{}/{foo="bar"}/0/{bar="baz"}/0"#,
                r#"{}/{foo="bar"}/1"#,
                r#"{}/{foo="bar"}/1/{bar="baz"}/0"#,
                r#"{}/{foo="bar"}/2"#,
                r#"{}/{foo="bar"}/2/{bar="baz"}/0"#,
                r#"{}/{bar="baz"}/3"#,
                r#"{}/{bar="baz"}/3/{baz="qux"}/0"#,
                r#"{}/{bar="baz"}/3/{qux="corge"}/1"#,
                r#"{}/{qux=~"[a-zA-Z0-9]+"}/4"#,
                r#"{}/{corge!~"[0-9]+"}/5"#,
            ]
        );
        // Keys are not unique: the three foo=bar children share one.
        assert_eq!(
            tree.routes[0].routes[0].key,
            r#"{}/{foo="bar"}/{bar="baz"}"#
        );
        assert_eq!(tree.routes[1].routes[0].key, tree.routes[0].routes[0].key);
        assert_eq!(
            tree.find(r#"{}/{bar="baz"}/3/{qux="corge"}/1"#)
                .unwrap()
                .key,
            r#"{}/{bar="baz"}/{qux="corge"}"#
        );
        assert!(tree.find("nope").is_none());
    }

    #[test]
    fn walk_order_like_alertmanager_route_walk_test() {
        let tree = am_tree();
        let receivers: Vec<&str> = tree.walk().map(|r| r.opts.receiver.as_str()).collect();
        assert_eq!(
            receivers,
            [
                "notify-def",
                "notify-A",
                "notify-testing",
                "notify-productionA",
                "notify-productionB",
                "notify-BC",
                "notify-def",
                "notify-testing",
                "notify-testing",
            ]
        );
    }

    #[test]
    fn continue_collects_several_routes_and_falls_back_to_parent() {
        let root = RouteSpec {
            receiver: Some("default".into()),
            routes: vec![
                RouteSpec {
                    receiver: Some("audit".into()),
                    continue_matching: true,
                    ..spec(r#"severity=~"warning|critical""#)
                },
                RouteSpec {
                    receiver: Some("db-team".into()),
                    routes: vec![RouteSpec {
                        receiver: Some("db-oncall".into()),
                        ..spec("severity=critical")
                    }],
                    ..spec("team=db")
                },
                RouteSpec {
                    receiver: Some("never".into()),
                    ..spec("team=db")
                },
            ],
            ..RouteSpec::default()
        };
        let tree = Route::from_spec(&root);
        let receivers = |pairs: &[(&str, &str)]| -> Vec<String> {
            tree.match_routes(&labels(pairs))
                .iter()
                .map(|r| r.opts.receiver.clone())
                .collect()
        };
        assert_eq!(
            receivers(&[("team", "db"), ("severity", "critical")]),
            ["audit", "db-oncall"]
        );
        assert_eq!(
            receivers(&[("team", "db"), ("severity", "warning")]),
            ["audit", "db-team"]
        );
        assert_eq!(
            receivers(&[("team", "web"), ("severity", "info")]),
            ["default"]
        );
        assert_eq!(
            receivers(&[("team", "web"), ("severity", "warning")]),
            ["audit"]
        );
        assert!(
            tree.routes[1]
                .match_routes(&labels(&[("team", "web")]))
                .is_empty()
        );
    }

    #[test]
    fn group_labels_and_keys() {
        let tree = am_tree();
        let alert = labels(&[
            ("owner", "team-A"),
            ("env", "production"),
            ("job", "api"),
            ("instance", "a:1"),
        ]);
        let routes = tree.match_routes(&alert);
        let keys: Vec<String> = routes
            .iter()
            .map(|r| group_key(r, &r.group_labels(&alert)))
            .collect();
        assert_eq!(
            keys,
            [
                r#"{}/{owner="team-A"}/{env="production"}:{}"#,
                r#"{}/{owner="team-A"}/{env=~"^(?:produ.*)$",job=~"^(?:.*)$"}:{job="api"}"#,
            ]
        );
        let testing = labels(&[("owner", "team-A"), ("env", "testing"), ("x", "say \"hi\"")]);
        let r = tree.match_routes(&testing)[0];
        assert_eq!(
            group_key(r, &r.group_labels(&testing)),
            r#"{}/{owner="team-A"}/{env="testing"}:{env="testing", owner="team-A", x="say \"hi\""}"#
        );
        // Grouping by a label the alert lacks leaves it out.
        let bc = labels(&[("owner", "team-B"), ("foo", "1")]);
        let r = tree.match_routes(&bc)[0];
        assert_eq!(r.group_labels(&bc), labels(&[("foo", "1")]));
    }
}
