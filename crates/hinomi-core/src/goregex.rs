//! Compiles Go (RE2) regular expressions with the `regex` crate, rewriting
//! the few constructs whose meaning differs so that matchers written for
//! Alertmanager match the same strings here.
//!
//! Differences handled: `\d \w \s` (and negations) are ASCII-only in Go;
//! `\Q...\E` quotes literally; a `{` that does not start a repetition is a
//! literal; inside a class `[` (unless it opens `[:name:]`), `&`, `~` and a
//! second `-` are literals (the `regex` crate reads them as nesting and set
//! operations); `\<` and `\>` are literal angle brackets; octal escapes such
//! as `\101` are allowed.

use regex::{Regex, RegexBuilder};

const GO_SPACE: &str = r"\t\n\f\r ";
const GO_WORD: &str = "0-9A-Za-z_";
const GO_DIGIT: &str = "0-9";

/// Compiles `pattern` with Go semantics; the error text is the `regex`
/// crate's.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    RegexBuilder::new(&translated)
        .octal(true)
        .build()
        .map_err(|e| one_line(&e.to_string()))
}

/// `regex` errors span several lines with a caret diagram; keep the last
/// line, which says what is wrong.
fn one_line(msg: &str) -> String {
    msg.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("error: ").to_owned())
        .unwrap_or_else(|| msg.to_owned())
}

/// Where the previous token leaves the parse, for Go's refusal of nested
/// repetition operators such as `a**` or `a{2}+` (the `regex` crate
/// accepts them).
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Other,
    Repeat,
    LazyRepeat,
}

fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut after = After::Other;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let repeat_len = match c {
            '*' | '+' | '?' => Some(1),
            '{' => repetition_end(&chars, i).map(|end| end + 1 - i),
            _ => None,
        };
        if let Some(len) = repeat_len {
            match after {
                After::Repeat if c == '?' => {
                    out.push('?');
                    after = After::LazyRepeat;
                    i += 1;
                    continue;
                }
                After::Repeat | After::LazyRepeat => {
                    let op: String = chars[i..i + len].iter().collect();
                    return Err(format!("invalid nested repetition operator: `{op}`"));
                }
                After::Other => {
                    out.extend(&chars[i..i + len]);
                    after = After::Repeat;
                    i += len;
                    continue;
                }
            }
        }
        after = After::Other;
        match c {
            '\\' => i = translate_escape(&chars, i, &mut out, false),
            '[' => i = translate_class(&chars, i, &mut out),
            '{' => {
                out.push_str(r"\{");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// If `{` at `start` begins `{n}`, `{n,}` or `{n,m}`, the index of its `}`.
fn repetition_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    let digits_from = i;
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    if i == digits_from {
        return None;
    }
    if chars.get(i) == Some(&',') {
        i += 1;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
    }
    (chars.get(i) == Some(&'}')).then_some(i)
}

/// Translates the escape starting at `chars[start] == '\\'`; returns the
/// index after it.
fn translate_escape(chars: &[char], start: usize, out: &mut String, in_class: bool) -> usize {
    let Some(&e) = chars.get(start + 1) else {
        out.push('\\');
        return start + 1;
    };
    let next = start + 2;
    let class = |body: &str, negated: bool| -> String {
        match (in_class, negated) {
            (true, false) => body.to_owned(),
            (_, true) => format!("[^{body}]"),
            (false, false) => format!("[{body}]"),
        }
    };
    match e {
        'd' => out.push_str(&class(GO_DIGIT, false)),
        'D' => out.push_str(&class(GO_DIGIT, true)),
        'w' => out.push_str(&class(GO_WORD, false)),
        'W' => out.push_str(&class(GO_WORD, true)),
        's' => out.push_str(&class(GO_SPACE, false)),
        'S' => out.push_str(&class(GO_SPACE, true)),
        '<' | '>' => out.push(e),
        'Q' if !in_class => {
            let mut i = next;
            let mut literal = String::new();
            while i < chars.len() {
                if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                    i += 2;
                    out.push_str(&regex::escape(&literal));
                    return i;
                }
                literal.push(chars[i]);
                i += 1;
            }
            out.push_str(&regex::escape(&literal));
            return i;
        }
        'p' | 'P' | 'x' if chars.get(next) == Some(&'{') => {
            let mut i = next;
            while i < chars.len() && chars[i] != '}' {
                i += 1;
            }
            let end = (i + 1).min(chars.len());
            out.push('\\');
            out.extend(&chars[start + 1..end]);
            return end;
        }
        _ => {
            out.push('\\');
            out.push(e);
        }
    }
    next
}

/// Translates a bracket class starting at `chars[start] == '['`; returns the
/// index after its closing `]` (or the end of input, leaving the error to
/// the compiler).
fn translate_class(chars: &[char], start: usize, out: &mut String) -> usize {
    out.push('[');
    let mut i = start + 1;
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    // A `]` right after the opening is a literal in both dialects.
    if chars.get(i) == Some(&']') {
        out.push_str(r"\]");
        i += 1;
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ']' => {
                out.push(']');
                return i + 1;
            }
            '\\' => i = translate_escape(chars, i, out, true),
            '[' => {
                if let Some(end) = posix_class_end(chars, i) {
                    out.extend(&chars[i..=end]);
                    i = end + 1;
                } else {
                    out.push_str(r"\[");
                    i += 1;
                }
            }
            '&' | '~' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            '-' if i > start + 1 && chars[i - 1] == '-' => {
                out.push_str(r"\-");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    i
}

/// If `[` at `start` opens `[:name:]` or `[:^name:]`, the index of its `]`.
fn posix_class_end(chars: &[char], start: usize) -> Option<usize> {
    if chars.get(start + 1) != Some(&':') {
        return None;
    }
    let mut i = start + 2;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    let name_from = i;
    while chars.get(i).is_some_and(char::is_ascii_alphabetic) {
        i += 1;
    }
    (i > name_from && chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&']')).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(p: &str) -> Regex {
        compile(&format!("^(?:{p})$")).unwrap()
    }

    #[test]
    fn perl_classes_are_ascii_like_go() {
        assert!(full(r"\d+").is_match("123"));
        assert!(!full(r"\d+").is_match("١٢٣"));
        assert!(!full(r"\w+").is_match("東京"));
        assert!(full(r"\W+").is_match("東京"));
        assert!(full(r"[\d\s]+").is_match("1 2"));
        assert!(!full(r"[\d]").is_match("٣"));
        assert!(full(r"[^\D]").is_match("7"));
        assert!(full(r"\S").is_match("\u{b}"));
    }

    #[test]
    fn go_literals_stay_literal() {
        assert!(full(r"a{").is_match("a{"));
        assert!(full(r"{foo}").is_match("{foo}"));
        assert!(full(r"a{2}").is_match("aa"));
        assert!(full(r"a{2,}").is_match("aaa"));
        assert!(full(r"a*?b+?c??").is_match("aabc"));
        assert!(full(r"(?:a*)*").is_match("aa"));
        assert!(full(r"\Q.*+\E!").is_match(".*+!"));
        assert!(full(r"[[]").is_match("["));
        assert!(full(r"[a&&b]").is_match("&"));
        assert!(full(r"[~]").is_match("~"));
        assert!(full(r"[]a]").is_match("]"));
        assert!(full(r"[[:alpha:]]+").is_match("abc"));
        assert!(full(r"\<x\>").is_match("<x>"));
        assert!(full(r"\101").is_match("A"));
        assert!(full(r"\x41\x{42}").is_match("AB"));
        assert!(full(r"\p{Han}+").is_match("東京"));
    }

    #[test]
    fn invalid_patterns_are_refused() {
        for bad in ["(", "a)", "[a", "*", "a**", "a+*", "a{2}*", "a*??", "(?z)"] {
            assert!(compile(bad).is_err(), "{bad}");
        }
        let msg = compile("(").unwrap_err();
        assert!(!msg.contains('\n'), "{msg}");
    }
}
