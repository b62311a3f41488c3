//! Prometheus durations (`model.ParseDuration`, `model.Duration.String`) in
//! milliseconds: `1y2w3d4h5m6s7ms`, units biggest first, no fractions.

use crate::gostr;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The empty string.
    #[error("empty duration string")]
    Empty,
    /// Not digits followed by a unit, or units repeated or out of order.
    #[error("not a valid duration string: {}", gostr::quote(.0))]
    Invalid(String),
    /// A unit other than y, w, d, h, m, s, ms.
    #[error("unknown unit {} in duration {}", gostr::quote(.unit), gostr::quote(.input))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// More than Go's `time.Duration` can hold (about 292 years).
    #[error("duration {} out of range", gostr::quote(.0))]
    OutOfRange(String),
}

const MS: u64 = 1;
const SECOND: u64 = 1000 * MS;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;
const YEAR: u64 = 365 * DAY;

/// Units in the only order they may appear, with their length in ms.
const UNITS: [(&str, u64); 7] = [
    ("y", YEAR),
    ("w", WEEK),
    ("d", DAY),
    ("h", HOUR),
    ("m", MINUTE),
    ("s", SECOND),
    ("ms", MS),
];

/// Go counts durations in nanoseconds and refuses anything past `1<<63 - 1`.
const NS_PER_MS: u64 = 1_000_000;
const MAX_NS: u64 = (1 << 63) - 1;

/// Parses a Prometheus duration into milliseconds.
///
/// `"0"` is allowed without a unit; anything else is a run of
/// `<digits><unit>` pairs with each unit at most once, biggest first.
pub fn parse_duration(s: &str) -> Result<i64, DurationError> {
    match s {
        "0" => return Ok(0),
        "" => return Err(DurationError::Empty),
        _ => {}
    }
    let invalid = || DurationError::Invalid(s.to_owned());
    let mut rest = s;
    let mut total_ns: u64 = 0;
    let mut last_pos: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(invalid());
        }
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(pos) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit {
                unit: unit.to_owned(),
                input: s.to_owned(),
            });
        };
        if last_pos.is_some_and(|last| pos <= last) {
            return Err(invalid());
        }
        last_pos = Some(pos);
        let unit_ns = UNITS[pos].1 * NS_PER_MS;
        if value > (1u64 << 63) / unit_ns {
            return Err(DurationError::OutOfRange(s.to_owned()));
        }
        total_ns = total_ns
            .checked_add(value * unit_ns)
            .filter(|t| *t <= MAX_NS)
            .ok_or_else(|| DurationError::OutOfRange(s.to_owned()))?;
    }
    i64::try_from(total_ns / NS_PER_MS).map_err(|_| DurationError::OutOfRange(s.to_owned()))
}

/// Formats milliseconds as `model.Duration.String()` does: `"0s"` for zero,
/// years and weeks only when they divide the whole, then d, h, m, s, ms.
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut left = ms.unsigned_abs();
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    for (i, (unit, mult)) in UNITS.iter().enumerate() {
        // Years and weeks are written only when exact: "90d" reads better
        // than "12w6d".
        let exact_only = i < 2;
        if exact_only && !left.is_multiple_of(*mult) {
            continue;
        }
        let v = left / mult;
        if v > 0 {
            out.push_str(&v.to_string());
            out.push_str(unit);
            left -= v * mult;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_like_prometheus() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("0s", 0),
            ("0ms", 0),
            ("5m", 300_000),
            ("30s", 30_000),
            ("4h", 14_400_000),
            ("1h30m", 5_400_000),
            ("1d", 86_400_000),
            ("1w", 604_800_000),
            ("1y", 31_536_000_000),
            (
                "1y2w3d4h5m6s7ms",
                31_536_000_000 + 1_209_600_000 + 259_200_000 + 14_400_000 + 300_000 + 6_000 + 7,
            ),
            ("90d", 7_776_000_000),
            ("100ms", 100),
            ("0001m", 60_000),
        ];
        for (input, want) in cases {
            assert_eq!(parse_duration(input), Ok(*want), "{input}");
        }
    }

    #[test]
    fn refuses_like_prometheus() {
        let cases: &[(&str, &str)] = &[
            ("", "empty duration string"),
            ("5", r#"not a valid duration string: "5""#),
            ("m", r#"not a valid duration string: "m""#),
            ("-5m", r#"not a valid duration string: "-5m""#),
            ("1m1h", r#"not a valid duration string: "1m1h""#),
            ("1h1h", r#"not a valid duration string: "1h1h""#),
            (" 5m", r#"not a valid duration string: " 5m""#),
            ("1.5h", r#"unknown unit "." in duration "1.5h""#),
            ("5M", r#"unknown unit "M" in duration "5M""#),
            ("5min", r#"unknown unit "min" in duration "5min""#),
            ("300y", r#"duration "300y" out of range"#),
            (
                "18446744073709551616s",
                r#"not a valid duration string: "18446744073709551616s""#,
            ),
            ("292y30w", r#"duration "292y30w" out of range"#),
        ];
        for (input, want) in cases {
            let err = parse_duration(input).unwrap_err();
            assert_eq!(err.to_string(), *want, "{input}");
        }
    }

    #[test]
    fn formats_like_prometheus() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ms"),
            (30_000, "30s"),
            (300_000, "5m"),
            (5_400_000, "1h30m"),
            (14_400_000, "4h"),
            (86_400_000, "1d"),
            (604_800_000, "1w"),
            (1_209_600_000, "2w"),
            (7_776_000_000, "90d"),
            (31_536_000_000, "1y"),
            (31_536_000_000 + 86_400_000, "366d"),
            (90_061_001, "1d1h1m1s1ms"),
            (-300_000, "-5m"),
        ];
        for (ms, want) in cases {
            assert_eq!(format_duration(*ms), *want, "{ms}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(ms in 0i64..9_000_000_000_000) {
            prop_assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = parse_duration(&s);
        }
    }
}
