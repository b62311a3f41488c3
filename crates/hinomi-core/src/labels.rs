//! Label sets and their fingerprints, byte-compatible with
//! `prometheus/common/model` (`LabelSet.String`, `LabelSet.Fingerprint`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::gostr;

/// Errors about label names and fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// A label name outside `^[a-zA-Z_][a-zA-Z0-9_]*$`.
    #[error("invalid label name {}", gostr::quote(.0))]
    InvalidName(String),
    /// A fingerprint that is not 1 to 16 hexadecimal digits.
    #[error("invalid fingerprint {}", gostr::quote(.0))]
    InvalidFingerprint(String),
}

/// Checks a label name against Prometheus' classic rule
/// `^[a-zA-Z_][a-zA-Z0-9_]*$`.
pub fn validate_label_name(name: &str) -> Result<(), LabelError> {
    let mut bytes = name.bytes();
    let valid = match bytes.next() {
        Some(first) => {
            (first.is_ascii_alphabetic() || first == b'_')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(LabelError::InvalidName(name.to_owned()))
    }
}

/// A set of label names and values, kept sorted by name (Go's byte order).
///
/// Also used for annotations, whose names are stored the same way but not
/// checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct LabelSet(BTreeMap<String, String>);

impl LabelSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set after checking every name; nothing is dropped and an
    /// empty map gives an empty set.
    pub fn parse(map: BTreeMap<String, String>) -> Result<LabelSet, LabelError> {
        for name in map.keys() {
            validate_label_name(name)?;
        }
        Ok(LabelSet(map))
    }

    /// Builds a set without checking names (annotations, tests, data that was
    /// checked when it was stored).
    pub fn from_map_unchecked(map: BTreeMap<String, String>) -> LabelSet {
        LabelSet(map)
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name`, or `""` when absent (how matchers see labels).
    pub fn value_or_empty(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets a label without checking its name.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Removes a label, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// Drops every label whose value is empty (Alertmanager does this to
    /// posted alerts before validating them).
    pub fn remove_empty_values(&mut self) {
        self.0.retain(|_, v| !v.is_empty());
    }

    /// The underlying map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Consumes the set, giving the underlying map.
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0
    }

    /// `model.LabelSet.Fingerprint()`: FNV-1a 64 over the names in sorted
    /// order, each followed by 0xff, its value and 0xff.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut hash = Fnv1a64::new();
        for (name, value) in &self.0 {
            hash.write(name.as_bytes());
            hash.write(&[SEPARATOR]);
            hash.write(value.as_bytes());
            hash.write(&[SEPARATOR]);
        }
        Fingerprint(hash.finish())
    }
}

impl fmt::Display for LabelSet {
    /// `model.LabelSet.String()`: `{a="b", c="d"}`, names sorted, values
    /// quoted as Go's `%q` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={}", gostr::quote(value))?;
        }
        f.write_str("}")
    }
}

/// A label set is a JSON object on every wire format hinomi speaks, keys in sorted order
/// (as Go writes maps).
impl serde::Serialize for LabelSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for LabelSet {
    /// Collects pairs without checking names.
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        LabelSet(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Byte that separates names and values when hashing; it cannot occur in
/// valid UTF-8.
const SEPARATOR: u8 = 0xff;

struct Fnv1a64(u64);

impl Fnv1a64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv1a64(Self::OFFSET_BASIS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// An alert's identity: the fingerprint of its label set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    /// Sixteen lower-case hex digits, as `model.Fingerprint.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for Fingerprint {
    type Err = LabelError;

    /// Parses hex as `model.FingerprintFromString` (`strconv.ParseUint(s, 16,
    /// 64)`): 1 to 16 digits of either case, no prefix.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(LabelError::InvalidFingerprint(s.to_owned()));
        }
        u64::from_str_radix(s, 16)
            .map(Fingerprint)
            .map_err(|_| LabelError::InvalidFingerprint(s.to_owned()))
    }
}

impl From<u64> for Fingerprint {
    fn from(v: u64) -> Self {
        Fingerprint(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs<'a> = &'a [(&'a str, &'a str)];

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// FNV-1a 64 written out from its definition, to check the hasher
    /// against something that is not itself.
    fn fnv_reference(bytes: &[u8]) -> u64 {
        let mut h: u128 = 14_695_981_039_346_656_037;
        for b in bytes {
            h ^= u128::from(*b);
            h = (h * 1_099_511_628_211) % (1u128 << 64);
        }
        h as u64
    }

    #[test]
    fn empty_set_is_offset_basis() {
        assert_eq!(
            LabelSet::new().fingerprint(),
            Fingerprint(0xcbf29ce484222325)
        );
        assert_eq!(
            LabelSet::new().fingerprint().to_string(),
            "cbf29ce484222325"
        );
    }

    #[test]
    fn fingerprints_follow_the_definition() {
        let cases: &[(Pairs, &[u8])] = &[
            (&[("a", "b")], b"a\xffb\xff"),
            (&[("alertname", "")], b"alertname\xff\xff"),
            (
                &[("job", "node"), ("alertname", "DiskFull")],
                b"alertname\xffDiskFull\xffjob\xffnode\xff",
            ),
            (
                &[("b", "2"), ("a", "1"), ("B", "3")],
                b"B\xff3\xffa\xff1\xffb\xff2\xff",
            ),
        ];
        for (pairs, hashed) in cases {
            let set = ls(pairs);
            assert_eq!(set.fingerprint().0, fnv_reference(hashed), "{set}");
        }
    }

    #[test]
    fn hand_computed_vector() {
        // FNV-1a over "a", 0xff, "b", 0xff, step by step.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in [b'a', 0xff, b'b', 0xff] {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        assert_eq!(ls(&[("a", "b")]).fingerprint(), Fingerprint(h));
    }

    #[test]
    fn vectors_from_prometheus_common_tests() {
        // model/signature_test.go: TestMetricToFingerprint and benchmarks.
        let set = ls(&[("name", "garland, briggs"), ("fear", "love is not enough")]);
        assert_eq!(set.fingerprint().0, 5_799_056_148_416_392_346);
        let single = ls(&[("first-label", "first-label-value")]);
        assert_eq!(single.fingerprint().0, 5_146_282_821_936_882_169);
        let double = ls(&[
            ("first-label", "first-label-value"),
            ("second-label", "second-label-value"),
        ]);
        assert_eq!(double.fingerprint().0, 3_195_800_080_984_914_717);
        let triple = ls(&[
            ("first-label", "first-label-value"),
            ("second-label", "second-label-value"),
            ("third-label", "third-label-value"),
        ]);
        assert_eq!(triple.fingerprint().0, 13_843_036_195_897_128_121);
    }

    #[test]
    fn japanese_value_fingerprint_is_stable() {
        // Worked out separately from the FNV-1a definition over the UTF-8
        // bytes (names sorted bytewise: "alertname" < "拠点").
        let set = ls(&[("alertname", "ディスク逼迫"), ("拠点", "東京")]);
        assert_eq!(set.fingerprint().to_string(), "f939959d06f9ae45");
        assert_eq!(
            ls(&[("a", "b")]).fingerprint().to_string(),
            "d2b371819297f98a"
        );
        assert_eq!(
            ls(&[("job", "node"), ("alertname", "DiskFull")])
                .fingerprint()
                .to_string(),
            "3e5093e8940ae99d"
        );
    }

    #[test]
    fn display_matches_model_labelset_string() {
        assert_eq!(LabelSet::new().to_string(), "{}");
        let set = ls(&[
            ("monitor", "codelab"),
            ("foo2", "bar"),
            ("foo", "bar"),
            ("abc", "prometheus"),
            ("foo11", "bar11"),
        ]);
        // prometheus/common labelset test: names sorted alphabetically.
        assert_eq!(
            set.to_string(),
            r#"{abc="prometheus", foo="bar", foo11="bar11", foo2="bar", monitor="codelab"}"#
        );
        let quoted = ls(&[("a", "say \"hi\"\n"), ("b", "東京")]);
        assert_eq!(quoted.to_string(), r#"{a="say \"hi\"\n", b="東京"}"#);
    }

    #[test]
    fn label_name_rules() {
        for ok in ["a", "_", "alertname", "A_1", "__name__"] {
            assert!(validate_label_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a.b", "a:b", "ラベル", "a b"] {
            let err = validate_label_name(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid label name {}", gostr::quote(bad))
            );
        }
    }

    #[test]
    fn parse_checks_names_and_keeps_everything() {
        let mut map = BTreeMap::new();
        map.insert("alertname".to_owned(), "X".to_owned());
        map.insert("empty".to_owned(), String::new());
        let set = LabelSet::parse(map.clone()).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(set.get("empty"), Some(""));
        map.insert("bad-name".to_owned(), "v".to_owned());
        assert_eq!(
            LabelSet::parse(map).unwrap_err().to_string(),
            r#"invalid label name "bad-name""#
        );
        assert!(LabelSet::parse(BTreeMap::new()).unwrap().is_empty());
    }

    #[test]
    fn fingerprint_text_round_trip() {
        for v in [0u64, 1, 0xcbf29ce484222325, u64::MAX] {
            let fp = Fingerprint(v);
            assert_eq!(fp.to_string().len(), 16);
            assert_eq!(fp.to_string().parse::<Fingerprint>().unwrap(), fp);
        }
        assert_eq!("ABC".parse::<Fingerprint>().unwrap(), Fingerprint(0xabc));
        for bad in ["", "0x12", "g", "12345678901234567", " 1"] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad:?}");
        }
    }
}
