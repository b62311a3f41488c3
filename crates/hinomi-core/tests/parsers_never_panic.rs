//! Every parser of outside text answers a value or an error for any input: configuration
//! files, matcher strings, durations, timestamps, label names and fingerprints.

use hinomi_core::{
    Config, Fingerprint, parse_duration, parse_matcher, parse_matchers, time, validate_label_name,
};
use proptest::prelude::*;

/// Text that looks a little like each format, so the parsers get past their first byte.
fn matcherish() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[{}a-z_=!~\"',\\\\ .*()|+?\\[\\]^$日本]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matchers(s in matcherish()) {
        let _ = parse_matchers(&s);
        let _ = parse_matcher(&s);
    }

    #[test]
    fn durations(s in "[0-9a-z.\\-+ ]{0,16}") {
        let _ = parse_duration(&s);
    }

    #[test]
    fn timestamps(s in "[0-9TZ:.+\\- ]{0,40}|\\PC{0,20}") {
        let _ = time::parse(&s);
    }

    #[test]
    fn names_and_fingerprints(s in "\\PC{0,24}") {
        let _ = validate_label_name(&s);
        let _ = s.parse::<Fingerprint>();
    }

    #[test]
    fn configurations(s in "\\PC{0,200}") {
        let _ = Config::parse(&s);
    }

    #[test]
    fn configurations_with_a_valid_shape(
        receiver in "[a-z]{0,6}",
        matcher in matcherish(),
        wait in "[0-9a-z]{0,5}",
        group_by in "[a-z.'\\[\\], ]{0,20}",
    ) {
        let text = format!(
            "route:\n  receiver: {receiver:?}\n  group_wait: {wait:?}\n  group_by: [{group_by}]\n  routes:\n    - matchers: [{matcher:?}]\n      receiver: {receiver:?}\nreceivers:\n  - name: {receiver:?}\n"
        );
        let _ = Config::parse(&text);
    }
}
