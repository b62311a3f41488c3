//! Instants as hinomi stores them (UTC epoch milliseconds) and as the wire formats it speaks
//! write them. `0` stands for Go's zero time, which Alertmanager uses for "not set".

/// Go's zero `time.Time` as Alertmanager renders it.
const GO_ZERO_MILLIS: &str = "0001-01-01T00:00:00.000Z";
const GO_ZERO_NANO: &str = "0001-01-01T00:00:00Z";

/// A timestamp that is not RFC 3339.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{input:?} is not an RFC 3339 timestamp")]
pub struct TimeError {
    pub input: String,
}

/// Instants past jiff's range (the last hours of year 9999) are shown as its last instant.
fn split(ms: i64) -> (jiff::Timestamp, i64) {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let ts = jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::MAX);
    (ts, frac)
}

/// `2006-01-02T15:04:05.000Z`: the format of Alertmanager's API v2 (`strfmt.DateTime`).
pub fn format_millis(ms: i64) -> String {
    if ms == 0 {
        return GO_ZERO_MILLIS.to_owned();
    }
    let (ts, frac) = split(ms);
    format!("{}.{frac:03}Z", ts.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// Go's `time.Time` JSON form (RFC 3339 with trailing fractional zeros trimmed), as in
/// Alertmanager's webhook payloads.
pub fn format_nano(ms: i64) -> String {
    if ms == 0 {
        return GO_ZERO_NANO.to_owned();
    }
    let (ts, frac) = split(ms);
    let base = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if frac == 0 {
        format!("{base}Z")
    } else {
        let digits = format!("{frac:03}");
        format!("{base}.{}Z", digits.trim_end_matches('0'))
    }
}

/// Parses RFC 3339 with any offset and fraction; Go's zero time parses as `0`.
pub fn parse(input: &str) -> Result<i64, TimeError> {
    let err = || TimeError {
        input: input.to_owned(),
    };
    let ts: jiff::Timestamp = input.parse().map_err(|_| err())?;
    if ts.as_second() == -62_135_596_800 && ts.subsec_nanosecond() == 0 {
        return Ok(0);
    }
    let ms = ts.as_millisecond();
    Ok(if ms == 0 { 1 } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_alertmanager() {
        assert_eq!(format_millis(0), "0001-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(format_millis(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(format_nano(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_nano(1_700_000_000_120), "2023-11-14T22:13:20.12Z");
        assert_eq!(format_nano(0), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn parses_offsets_and_zero_time() {
        assert_eq!(
            parse("2023-11-15T07:13:20.123+09:00"),
            Ok(1_700_000_000_123)
        );
        assert_eq!(
            parse("2023-11-14T22:13:20.123456789Z"),
            Ok(1_700_000_000_123)
        );
        assert_eq!(parse("0001-01-01T00:00:00Z"), Ok(0));
        assert!(parse("yesterday").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn round_trips() {
        for ms in [1i64, 999, 1_000, 1_700_000_000_001, 253_402_000_000_999] {
            assert_eq!(parse(&format_millis(ms)), Ok(ms));
            assert_eq!(parse(&format_nano(ms)), Ok(ms));
        }
    }
}
