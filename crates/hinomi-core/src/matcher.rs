//! Label matchers (`pkg/labels.Matcher`) and the matcher text syntax
//! Alertmanager 0.25+ accepts in `filter=` parameters, route `matchers:` and
//! amtool.
//!
//! Parsing follows Alertmanager's default "fallback" mode: the classic parser
//! (`pkg/labels/parse.go`) is tried first and wins whenever it accepts the
//! input; only input it refuses is handed to the UTF-8 parser
//! (`matcher/parse`), which adds quoted and UTF-8 label names and Go string
//! escapes.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use regex::Regex;

use crate::goregex;
use crate::gostr;
use crate::labels::LabelSet;

/// Why a matcher could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    /// A regular expression that does not compile.
    #[error("invalid regular expression {}: {reason}", gostr::quote(.pattern))]
    InvalidRegex {
        /// The pattern as given (unanchored).
        pattern: String,
        /// What the compiler said.
        reason: String,
    },
    /// Input that is not `name op value`.
    #[error("bad matcher format: {0}")]
    BadFormat(String),
    /// A `"` inside a value that is not at its start or end.
    #[error("matcher value contains unescaped double quote: {0}")]
    UnescapedQuote(String),
    /// A single matcher given inside braces.
    #[error("unexpected open or close brace: {0}")]
    UnexpectedBrace(String),
}

/// How a matcher compares a label value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~` (anchored regular expression)
    Regex,
    /// `!~`
    NotRegex,
}

impl MatchOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }

    /// Whether the value is a regular expression.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Regex | MatchOp::NotRegex)
    }

    /// Whether the operator negates (`!=`, `!~`).
    pub fn is_negative(self) -> bool {
        matches!(self, MatchOp::NotEqual | MatchOp::NotRegex)
    }

    /// Builds the operator from the API's `isRegex` / `isEqual` pair.
    pub fn from_flags(is_regex: bool, is_equal: bool) -> MatchOp {
        match (is_regex, is_equal) {
            (false, true) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Regex,
            (true, false) => MatchOp::NotRegex,
        }
    }
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `name op value` condition on a label.
///
/// Build it with [`Matcher::new`]; the fields are public for reading.
/// Equality, hashing and ordering look at name, operator and value only;
/// the order is Alertmanager's (name, then value, then operator).
#[derive(Clone)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Operator.
    pub op: MatchOp,
    /// Value or (unanchored) regular expression, as given.
    pub value: String,
    /// `^(?:value)$`, compiled, for the regex operators.
    re: Option<Regex>,
}

impl Matcher {
    /// Builds a matcher; regular expressions are anchored as `^(?:value)$`
    /// and compiled with Go's RE2 semantics. Names are not checked, as in
    /// Alertmanager's `labels.NewMatcher`.
    pub fn new(
        name: impl Into<String>,
        op: MatchOp,
        value: impl Into<String>,
    ) -> Result<Matcher, MatcherError> {
        let name = name.into();
        let value = value.into();
        let re = if op.is_regex() {
            let anchored = format!("^(?:{value})$");
            let re = goregex::compile(&anchored).map_err(|reason| MatcherError::InvalidRegex {
                pattern: value.clone(),
                reason,
            })?;
            Some(re)
        } else {
            None
        };
        Ok(Matcher {
            name,
            op,
            value,
            re,
        })
    }

    /// Whether `value` satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match (self.op, &self.re) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            // Unreachable through `new`; refuse rather than panic.
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    /// Whether the operator is `=~` or `!~`.
    pub fn is_regex(&self) -> bool {
        self.op.is_regex()
    }

    /// Whether the operator is `=` or `=~` (the API's `isEqual`).
    pub fn is_equal(&self) -> bool {
        !self.op.is_negative()
    }

    /// Whether the matcher accepts a missing label (seen as `""`).
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matcher({self})")
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl Hash for Matcher {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.op.hash(state);
        self.value.hash(state);
    }
}

impl PartialOrd for Matcher {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Matcher {
    /// `labels.Matchers.Less`: by name, then value, then operator.
    fn cmp(&self, other: &Self) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.value.cmp(&other.value))
            .then_with(|| self.op.cmp(&other.op))
    }
}

impl fmt::Display for Matcher {
    /// `labels.Matcher.String()`: `name="value"` with OpenMetrics escaping
    /// of the value; a name holding whitespace or one of ``{}!=~,\"'` `` is
    /// written Go-quoted, and so is the value then.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.chars().any(is_reserved) {
            write!(
                f,
                "{}{}{}",
                gostr::quote(&self.name),
                self.op,
                gostr::quote(&self.value)
            )
        } else {
            write!(
                f,
                "{}{}\"{}\"",
                self.name,
                self.op,
                openmetrics_escape(&self.value)
            )
        }
    }
}

/// Replaces `\`, newline and `"` with `\\`, `\n` and `\"`.
fn openmetrics_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// Characters that end an unquoted token in the UTF-8 matcher syntax.
fn is_reserved(c: char) -> bool {
    is_go_space(c) || "{}!=~,\\\"'`".contains(c)
}

/// Go's `unicode.IsSpace`, which is the Unicode White_Space property, as is
/// Rust's `char::is_whitespace`.
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// A conjunction of matchers; a label set matches when every matcher does,
/// absent labels counting as `""`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Matchers(pub Vec<Matcher>);

impl Matchers {
    /// Whether every matcher accepts `labels`.
    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.0
            .iter()
            .all(|m| m.matches(labels.value_or_empty(&m.name)))
    }

    /// Sorts as Alertmanager does before rendering route keys.
    pub fn sort(&mut self) {
        self.0.sort();
    }

    /// Number of matchers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (which matches everything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The matchers in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Matcher> {
        self.0.iter()
    }
}

impl From<Vec<Matcher>> for Matchers {
    fn from(v: Vec<Matcher>) -> Self {
        Matchers(v)
    }
}

impl fmt::Display for Matchers {
    /// `labels.Matchers.String()`: `{a="b",c=~"d"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")
    }
}

/// `api/v2 matchFilterLabels`: how the API's `filter` parameters select
/// alerts (`values` = the alert's labels) and silences (`values` = each
/// silence matcher's name and value). It differs from [`Matchers::matches`]
/// only for a matcher with an empty value: `=""` / `=~""` also accept an
/// absent name, and `!=""` / `!~""` accept any present one, even an empty
/// value.
pub fn matches_filter(filter: &[Matcher], values: &BTreeMap<String, String>) -> bool {
    filter.iter().all(|m| {
        let present = values.get(&m.name);
        if m.value.is_empty() && (present.is_some() == m.op.is_negative()) {
            return true;
        }
        m.matches(present.map_or("", String::as_str))
    })
}

/// Parses zero or more matchers: `{a="b", c=~"x.*"}`, `a=b,c!=d`, with or
/// without braces, as Alertmanager's fallback parser does.
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>, MatcherError> {
    match classic::parse_matchers(input) {
        Ok(ms) => Ok(ms),
        Err(classic_err) => utf8::parse_matchers(input).map_err(|_| classic_err),
    }
}

/// Parses exactly one matcher without braces, as the API's `filter`
/// parameter does (one matcher per parameter).
pub fn parse_matcher(input: &str) -> Result<Matcher, MatcherError> {
    if input.starts_with('{') || input.ends_with('}') {
        return Err(MatcherError::UnexpectedBrace(input.to_owned()));
    }
    match classic::parse_matcher(input) {
        Ok(m) => Ok(m),
        // Zero or several matchers count as a failure of the UTF-8 parser,
        // and then the classic parser's error is the one reported.
        Err(classic_err) => match utf8::parse_matchers(input) {
            Ok(mut ms) if ms.len() == 1 => Ok(ms.remove(0)),
            _ => Err(classic_err),
        },
    }
}

/// `pkg/labels/parse.go`: tolerant, regex based, values optionally quoted.
mod classic {
    use super::*;

    fn matcher_re() -> &'static Regex {
        static RE: OnceLock<Regex> = OnceLock::new();
        RE.get_or_init(|| {
            // Go's \s is [\t\n\f\r ]; spell it out so Unicode spaces are not
            // trimmed here either.
            Regex::new(
                r"^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*((?s).*?)[\t\n\f\r ]*$",
            )
            .expect("static matcher pattern compiles")
        })
    }

    pub(super) fn parse_matchers(input: &str) -> Result<Vec<Matcher>, MatcherError> {
        let s = input.strip_prefix('{').unwrap_or(input);
        let s = s.strip_suffix('}').unwrap_or(s);

        let mut tokens: Vec<String> = Vec::new();
        let mut token = String::new();
        let mut inside_quotes = false;
        let mut escaped = false;
        for c in s.chars() {
            match c {
                ',' if !inside_quotes => {
                    tokens.push(std::mem::take(&mut token));
                    continue;
                }
                // A comma inside quotes leaves the escape state alone.
                ',' => {}
                '"' => {
                    if escaped {
                        escaped = false;
                    } else {
                        inside_quotes = !inside_quotes;
                    }
                }
                '\\' => escaped = !escaped,
                _ => escaped = false,
            }
            token.push(c);
        }
        let last = token.trim_matches(is_go_space);
        if !last.is_empty() {
            tokens.push(last.to_owned());
        }
        tokens.iter().map(|t| parse_matcher(t)).collect()
    }

    pub(super) fn parse_matcher(input: &str) -> Result<Matcher, MatcherError> {
        let caps = matcher_re()
            .captures(input)
            .ok_or_else(|| MatcherError::BadFormat(input.to_owned()))?;
        let name = &caps[1];
        let op = match &caps[2] {
            "=" => MatchOp::Equal,
            "!=" => MatchOp::NotEqual,
            "=~" => MatchOp::Regex,
            _ => MatchOp::NotRegex,
        };
        let raw = &caps[3];
        let (body, mut expect_trailing_quote) = match raw.strip_prefix('"') {
            Some(rest) => (rest, true),
            None => (raw, false),
        };
        let mut value = String::with_capacity(body.len());
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            let is_last = i + c.len_utf8() == body.len();
            if escaped {
                escaped = false;
                match c {
                    'n' => value.push('\n'),
                    '"' | '\\' => value.push(c),
                    // A spurious escape: keep the backslash.
                    _ => {
                        value.push('\\');
                        value.push(c);
                    }
                }
                continue;
            }
            match c {
                '\\' if !is_last => escaped = true,
                '\\' => value.push('\\'),
                '"' => {
                    if !expect_trailing_quote || !is_last {
                        return Err(MatcherError::UnescapedQuote(raw.to_owned()));
                    }
                    expect_trailing_quote = false;
                }
                _ => value.push(c),
            }
        }
        if expect_trailing_quote {
            return Err(MatcherError::UnescapedQuote(raw.to_owned()));
        }
        Matcher::new(name, op, value)
    }
}

/// `matcher/parse`: a strict lexer and parser that allows quoted label
/// names and UTF-8, with Go string escapes inside quotes. Its own error
/// messages never reach callers (the classic parser's error is reported, as
/// in Alertmanager's fallback mode), so errors here are bare.
mod utf8 {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Token {
        OpenBrace,
        CloseBrace,
        Comma,
        Op(MatchOp),
        Quoted(String),
        Unquoted(String),
    }

    pub(super) struct Invalid;

    fn lex(input: &str) -> Result<Vec<Token>, Invalid> {
        let chars: Vec<char> = input.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '{' => tokens.push(Token::OpenBrace),
                '}' => tokens.push(Token::CloseBrace),
                ',' => tokens.push(Token::Comma),
                '=' => {
                    if chars.get(i + 1) == Some(&'~') {
                        i += 1;
                        tokens.push(Token::Op(MatchOp::Regex));
                    } else {
                        tokens.push(Token::Op(MatchOp::Equal));
                    }
                }
                '!' => match chars.get(i + 1) {
                    Some('=') => {
                        i += 1;
                        tokens.push(Token::Op(MatchOp::NotEqual));
                    }
                    Some('~') => {
                        i += 1;
                        tokens.push(Token::Op(MatchOp::NotRegex));
                    }
                    _ => return Err(Invalid),
                },
                '"' => {
                    let start = i;
                    i += 1;
                    let mut escaped = false;
                    loop {
                        let Some(&q) = chars.get(i) else {
                            return Err(Invalid);
                        };
                        if escaped {
                            escaped = false;
                        } else if q == '\\' {
                            escaped = true;
                        } else if q == '"' {
                            break;
                        }
                        i += 1;
                    }
                    tokens.push(Token::Quoted(chars[start..=i].iter().collect()));
                }
                c if is_go_space(c) => {}
                c if !is_reserved(c) => {
                    let start = i;
                    while chars.get(i + 1).is_some_and(|n| !is_reserved(*n)) {
                        i += 1;
                    }
                    tokens.push(Token::Unquoted(chars[start..=i].iter().collect()));
                }
                _ => return Err(Invalid),
            }
            i += 1;
        }
        Ok(tokens)
    }

    fn text(token: &Token) -> Result<String, Invalid> {
        match token {
            Token::Quoted(q) => gostr::unquote(q).ok_or(Invalid),
            Token::Unquoted(u) => Ok(u.clone()),
            _ => Err(Invalid),
        }
    }

    pub(super) fn parse_matchers(input: &str) -> Result<Vec<Matcher>, Invalid> {
        let tokens = lex(input)?;
        let mut pos = 0;
        let has_open = tokens.first() == Some(&Token::OpenBrace);
        if has_open {
            pos += 1;
        }
        let mut matchers = Vec::new();
        let mut closed = false;
        // After the optional brace: a close brace, the end, or matchers
        // separated by commas (a trailing comma is allowed).
        loop {
            match tokens.get(pos) {
                None => break,
                Some(Token::CloseBrace) => {
                    closed = true;
                    pos += 1;
                    break;
                }
                Some(name_tok @ (Token::Quoted(_) | Token::Unquoted(_))) => {
                    let name = text(name_tok)?;
                    let Some(Token::Op(op)) = tokens.get(pos + 1) else {
                        return Err(Invalid);
                    };
                    let value = text(tokens.get(pos + 2).ok_or(Invalid)?)?;
                    matchers.push(Matcher::new(name, *op, value).map_err(|_| Invalid)?);
                    pos += 3;
                    match tokens.get(pos) {
                        None => break,
                        Some(Token::Comma) => pos += 1,
                        Some(Token::CloseBrace) => {}
                        Some(_) => return Err(Invalid),
                    }
                }
                Some(_) => return Err(Invalid),
            }
        }
        if has_open != closed || pos != tokens.len() {
            return Err(Invalid);
        }
        Ok(matchers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Expected<'a> = &'a [(&'a str, MatchOp, &'a str)];

    fn m(name: &str, op: MatchOp, value: &str) -> Matcher {
        Matcher::new(name, op, value).unwrap()
    }

    use MatchOp::{Equal as Eq_, NotEqual as Ne, NotRegex as Nre, Regex as Re};

    #[test]
    fn regexes_are_anchored() {
        let re = m("a", Re, "b");
        assert!(re.matches("b"));
        assert!(!re.matches("ab"));
        assert!(!re.matches("bc"));
        let alt = m("a", Re, "foo|bar");
        assert!(alt.matches("bar"));
        assert!(!alt.matches("foobar"));
        assert!(m("a", Nre, "b").matches("ab"));
        assert!(m("a", Re, ".*").matches(""));
        assert!(m("a", Re, "東.*").matches("東京"));
    }

    #[test]
    fn matchers_treat_absent_as_empty() {
        let labels: LabelSet = [("alertname", "Disk")].into_iter().collect();
        assert!(Matchers(vec![m("team", Eq_, "")]).matches(&labels));
        assert!(!Matchers(vec![m("team", Ne, "")]).matches(&labels));
        assert!(Matchers(vec![m("team", Re, "|ops")]).matches(&labels));
        assert!(Matchers(vec![m("team", Nre, "ops")]).matches(&labels));
        assert!(Matchers::default().matches(&labels));
    }

    #[test]
    fn valid_inputs() {
        let cases: &[(&str, Expected)] = &[
            ("", &[]),
            ("{}", &[]),
            ("a=b", &[("a", Eq_, "b")]),
            ("a=\"b\"", &[("a", Eq_, "b")]),
            ("{a=\"b\"}", &[("a", Eq_, "b")]),
            (
                "{a=\"b\", c=~\"x.*\"}",
                &[("a", Eq_, "b"), ("c", Re, "x.*")],
            ),
            (
                "{foo = \"bar\", dings != \"bums\", }",
                &[("foo", Eq_, "bar"), ("dings", Ne, "bums")],
            ),
            (
                "foo=bar,dings!=bums",
                &[("foo", Eq_, "bar"), ("dings", Ne, "bums")],
            ),
            (
                "foo=bar, dings!=bums",
                &[("foo", Eq_, "bar"), ("dings", Ne, "bums")],
            ),
            ("statuscode=~\"5..\"", &[("statuscode", Re, "5..")]),
            ("a!~\"b\"", &[("a", Nre, "b")]),
            ("a=", &[("a", Eq_, "")]),
            ("a=\"\"", &[("a", Eq_, "")]),
            ("  a  =  b  ", &[("a", Eq_, "b")]),
            ("a=b,", &[("a", Eq_, "b")]),
            ("a:b=c", &[("a:b", Eq_, "c")]),
            ("foo==bar", &[("foo", Eq_, "=bar")]),
            ("foo=bar🙂", &[("foo", Eq_, "bar🙂")]),
            ("拠点=\"東京\"", &[("拠点", Eq_, "東京")]),
            ("foo🙂=bar", &[("foo🙂", Eq_, "bar")]),
            ("\"foo bar\"=\"baz\"", &[("foo bar", Eq_, "baz")]),
            (
                "{\"a.b\"=~\"c\", d=\"\\t\"}",
                &[("a.b", Re, "c"), ("d", Eq_, "\t")],
            ),
            // Classic escapes: \" \\ \n; anything else keeps its backslash.
            (r#"a="say \"hi\"""#, &[("a", Eq_, "say \"hi\"")]),
            (r#"a="x\\y""#, &[("a", Eq_, "x\\y")]),
            (r#"a="x\ny""#, &[("a", Eq_, "x\ny")]),
            (r#"a="x\ty""#, &[("a", Eq_, "x\\ty")]),
            (r#"a=x\"#, &[("a", Eq_, "x\\")]),
            (
                r#"{quote="She said: \"Hi, ladies! That's gender-neutral…\""}"#,
                &[(
                    "quote",
                    Eq_,
                    "She said: \"Hi, ladies! That's gender-neutral…\"",
                )],
            ),
            ("a=\"b,c\",d=e", &[("a", Eq_, "b,c"), ("d", Eq_, "e")]),
            ("a=b c", &[("a", Eq_, "b c")]),
            // Refused by the classic parser, accepted by the UTF-8 one.
            ("1a=b", &[("1a", Eq_, "b")]),
            ("a=\"b\nc\"", &[("a", Eq_, "b\nc")]),
        ];
        for (input, want) in cases {
            let got = parse_matchers(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            let want: Vec<Matcher> = want.iter().map(|(n, o, v)| m(n, *o, v)).collect();
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn invalid_inputs() {
        let cases: &[(&str, &str)] = &[
            ("a", "bad matcher format: a"),
            ("=b", "bad matcher format: =b"),
            ("a=b,,c=d", "bad matcher format: "),
            ("a~b", "bad matcher format: a~b"),
            (
                "a=\"b",
                "matcher value contains unescaped double quote: \"b",
            ),
            (
                "a=b\"",
                "matcher value contains unescaped double quote: b\"",
            ),
            (
                "a=\"b\"c\"",
                "matcher value contains unescaped double quote: \"b\"c\"",
            ),
            ("a=~\"(\"", "invalid regular expression \"(\": "),
            ("a!~\"[\"", "invalid regular expression \"[\": "),
        ];
        for (input, want) in cases {
            let err = parse_matchers(input).unwrap_err().to_string();
            assert!(
                err.starts_with(want),
                "{input:?}: got {err:?}, want prefix {want:?}"
            );
        }
    }

    #[test]
    fn single_matcher_rules() {
        assert_eq!(parse_matcher("a=\"b\"").unwrap(), m("a", Eq_, "b"));
        assert_eq!(parse_matcher("a=~b.*").unwrap(), m("a", Re, "b.*"));
        assert_eq!(
            parse_matcher("{a=\"b\"}").unwrap_err().to_string(),
            "unexpected open or close brace: {a=\"b\"}"
        );
        assert_eq!(
            parse_matcher("a=\"b\",c=\"d\"").unwrap_err().to_string(),
            "matcher value contains unescaped double quote: \"b\",c=\"d\""
        );
        assert_eq!(
            parse_matcher("\"a\"=\"b\",\"c\"=\"d\"")
                .unwrap_err()
                .to_string(),
            "bad matcher format: \"a\"=\"b\",\"c\"=\"d\""
        );
        assert_eq!(
            parse_matcher("").unwrap_err().to_string(),
            "bad matcher format: "
        );
    }

    #[test]
    fn display_matches_alertmanager() {
        assert_eq!(m("a", Eq_, "b").to_string(), r#"a="b""#);
        assert_eq!(m("a", Ne, "b").to_string(), r#"a!="b""#);
        assert_eq!(m("a", Re, "b.*").to_string(), r#"a=~"b.*""#);
        assert_eq!(m("a", Nre, "b").to_string(), r#"a!~"b""#);
        // OpenMetrics escaping only touches \, newline and ".
        assert_eq!(
            m("a", Eq_, "x\\y\n\"z\"\t").to_string(),
            "a=\"x\\\\y\\n\\\"z\\\"\t\""
        );
        assert_eq!(m("a", Eq_, "東京").to_string(), "a=\"東京\"");
        // Names with reserved characters are quoted, and so is the value.
        assert_eq!(m("foo bar", Eq_, "\t").to_string(), r#""foo bar"="\t""#);
        assert_eq!(m("a.b", Eq_, "c").to_string(), r#"a.b="c""#);
        let ms = Matchers(vec![m("a", Eq_, "b"), m("c", Re, "d")]);
        assert_eq!(ms.to_string(), r#"{a="b",c=~"d"}"#);
        assert_eq!(Matchers::default().to_string(), "{}");
    }

    #[test]
    fn api_filter_semantics() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let with_empty = map(&[("a", "x"), ("e", "")]);
        let cases = [
            (m("a", Eq_, "x"), true),
            (m("a", Eq_, "y"), false),
            (m("b", Eq_, ""), true),
            (m("b", Re, ""), true),
            (m("a", Ne, ""), true),
            (m("b", Ne, ""), false),
            // The one place it differs from label matching: a present but
            // empty value satisfies a negative empty matcher.
            (m("e", Ne, ""), true),
            (m("e", Nre, ""), true),
            (m("a", Nre, "x|y"), false),
        ];
        for (matcher, want) in cases {
            assert_eq!(
                matches_filter(std::slice::from_ref(&matcher), &with_empty),
                want,
                "{matcher}"
            );
        }
        assert!(
            !Matchers(vec![m("e", Ne, "")])
                .matches(&LabelSet::from_map_unchecked(with_empty.clone()))
        );
        assert!(matches_filter(&[], &with_empty));
    }

    #[test]
    fn sort_order_is_name_value_op() {
        let mut ms = Matchers(vec![
            m("b", Eq_, "1"),
            m("a", Re, "2"),
            m("a", Eq_, "2"),
            m("a", Ne, "1"),
        ]);
        ms.sort();
        assert_eq!(ms.to_string(), r#"{a!="1",a="2",a=~"2",b="1"}"#);
    }

    #[test]
    fn matcher_identity_ignores_the_compiled_regex() {
        assert_eq!(m("a", Re, "b"), m("a", Re, "b"));
        assert_ne!(m("a", Re, "b"), m("a", Eq_, "b"));
        assert_eq!(MatchOp::from_flags(true, false), Nre);
    }

    fn arb_op() -> impl Strategy<Value = MatchOp> {
        prop_oneof![Just(Eq_), Just(Ne), Just(Re), Just(Nre)]
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(
            name in prop_oneof!["[a-zA-Z_][a-zA-Z0-9_:]{0,8}", "\\PC{1,6}"],
            op in arb_op(),
            plain in "\\PC{0,12}",
            regex_value in "[a-z0-9 ]{0,6}(\\.\\*)?",
        ) {
            let value = if op.is_regex() { regex_value } else { plain };
            let matcher = Matcher::new(name, op, value).unwrap();
            let text = matcher.to_string();
            let back = parse_matcher(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            prop_assert_eq!(&back, &matcher);
            let many = parse_matchers(&Matchers(vec![matcher.clone()]).to_string()).unwrap();
            prop_assert_eq!(many, vec![matcher]);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = parse_matchers(&s);
            let _ = parse_matcher(&s);
        }
    }
}
