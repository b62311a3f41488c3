//! Conversions between domain values and their column representations.

use std::collections::BTreeSet;

use hinomi_core::{Fingerprint, LabelSet, MatchOp, Matcher};

use crate::{Backend, StoreError};

/// Fingerprints are u64; databases have signed 64-bit integers, so the bits are reused.
pub(crate) fn fp_to_db(fp: Fingerprint) -> i64 {
    fp.0 as i64
}

pub(crate) fn fp_from_db(v: i64) -> Fingerprint {
    Fingerprint(v as u64)
}

/// Placeholders for `count` values, numbered from `first` on PostgreSQL (`$3, $4`).
///
/// SQLite gets anonymous `?`: its lookup of a numbered parameter's name is linear in the
/// number of parameters, which made a 400-row upsert quadratic (a third of intake's CPU).
/// A statement using these on SQLite must therefore use `?` for all its parameters, bound
/// in the order they appear.
pub(crate) fn placeholders(backend: Backend, first: usize, count: usize) -> String {
    let mut s = String::with_capacity(count * 4);
    for i in 0..count {
        if i > 0 {
            s.push_str(", ");
        }
        match backend {
            Backend::Sqlite => s.push('?'),
            Backend::Postgres => {
                s.push('$');
                s.push_str(&(first + i).to_string());
            }
        }
    }
    s
}

/// Rows per multi-row statement: well under SQLite's and PostgreSQL's parameter limits.
pub(crate) const CHUNK: usize = 400;

/// `($1, $2, $3), ($4, $5, $6), ...` for `rows` tuples of `width` values (see
/// [`placeholders`] for SQLite).
pub(crate) fn value_tuples(backend: Backend, rows: usize, width: usize) -> String {
    let mut s = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        s.push_str(&placeholders(backend, r * width + 1, width));
        s.push(')');
    }
    s
}

pub(crate) fn labels_to_json(labels: &LabelSet) -> String {
    serde_json::to_string(labels).expect("a label set always serialises")
}

pub(crate) fn labels_from_json(text: &str) -> Result<LabelSet, StoreError> {
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("label set {text:?}: {e}")))?;
    let mut set = LabelSet::new();
    for (k, v) in map {
        set.insert(k, v);
    }
    Ok(set)
}

pub(crate) fn matchers_to_json(matchers: &[Matcher]) -> String {
    let list: Vec<serde_json::Value> = matchers
        .iter()
        .map(|m| serde_json::json!([m.name, m.op.to_string(), m.value]))
        .collect();
    serde_json::Value::Array(list).to_string()
}

pub(crate) fn matchers_from_json(text: &str) -> Result<Vec<Matcher>, StoreError> {
    let list: Vec<(String, String, String)> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("matchers {text:?}: {e}")))?;
    list.into_iter()
        .map(|(name, op, value)| {
            let op = match op.as_str() {
                "=" => MatchOp::Equal,
                "!=" => MatchOp::NotEqual,
                "=~" => MatchOp::Regex,
                "!~" => MatchOp::NotRegex,
                other => return Err(StoreError::Corrupt(format!("match operator {other:?}"))),
            };
            Matcher::new(&name, op, &value)
                .map_err(|e| StoreError::Corrupt(format!("matcher {name:?}: {e}")))
        })
        .collect()
}

pub(crate) fn fp_set_to_json(set: &BTreeSet<u64>) -> String {
    // Hex strings: JSON numbers lose precision past 2^53 in many readers.
    let list: Vec<String> = set.iter().map(|v| format!("{v:016x}")).collect();
    serde_json::to_string(&list).expect("a list of strings always serialises")
}

pub(crate) fn fp_set_from_json(text: &str) -> Result<BTreeSet<u64>, StoreError> {
    let list: Vec<String> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("fingerprint set {text:?}: {e}")))?;
    list.iter()
        .map(|s| {
            u64::from_str_radix(s, 16)
                .map_err(|_| StoreError::Corrupt(format!("fingerprint {s:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_tuples_number_every_parameter_once() {
        assert_eq!(
            value_tuples(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(placeholders(Backend::Postgres, 3, 2), "$3, $4");
        assert_eq!(value_tuples(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn fingerprints_keep_all_64_bits() {
        for v in [0u64, 1, u64::MAX, 1 << 63, 0xcbf29ce484222325] {
            assert_eq!(fp_from_db(fp_to_db(Fingerprint(v))), Fingerprint(v));
        }
        let set: BTreeSet<u64> = [u64::MAX, 3].into_iter().collect();
        assert_eq!(fp_set_from_json(&fp_set_to_json(&set)).unwrap(), set);
    }

    #[test]
    fn matchers_round_trip() {
        let ms = vec![
            Matcher::new("a", MatchOp::Regex, "b.*").unwrap(),
            Matcher::new("c", MatchOp::NotEqual, "日本").unwrap(),
        ];
        let back = matchers_from_json(&matchers_to_json(&ms)).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].to_string(), ms[0].to_string());
        assert_eq!(back[1].to_string(), ms[1].to_string());
    }
}
