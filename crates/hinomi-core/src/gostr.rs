//! Go string quoting (`strconv.Quote` / `strconv.Unquote`), which Alertmanager's
//! label set and matcher renderings depend on byte for byte.

/// Renders `s` the way Go's `strconv.Quote` (and so `fmt`'s `%q`) does.
///
/// Printable characters are kept as they are, `"` and `\` are backslashed,
/// the usual control characters get their short escapes and everything else
/// that is not printable becomes `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out.push('"');
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        c if is_print(c) => out.push(c),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and
/// the ASCII space.
///
/// Rust's own notion of printable (used by `escape_debug` for characters that
/// are not at the start of a string) excludes exactly the categories Go
/// excludes (Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs other than the space), so it is
/// borrowed here instead of shipping a Unicode category table.
pub fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut buf = [0u8; 5];
    buf[0] = b'a';
    let len = c.encode_utf8(&mut buf[1..]).len();
    let Ok(s) = std::str::from_utf8(&buf[..=len]) else {
        return false;
    };
    let mut escaped = s.escape_debug();
    escaped.next(); // the leading 'a'
    escaped.next() != Some('\\')
}

/// Undoes Go's `strconv.Unquote` for a double-quoted literal (quotes
/// included). Returns `None` where Go reports a syntax error, and also where
/// the result would not be valid UTF-8.
pub fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\n') {
        return None;
    }
    let bytes = inner.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            return None;
        }
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = *bytes.get(i + 1)?;
        i += 2;
        match esc {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'"' => out.push(b'"'),
            b'x' => {
                let v = hex_value(bytes.get(i..i + 2)?)?;
                out.push(u8::try_from(v).ok()?);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if esc == b'u' { 4 } else { 8 };
                let v = hex_value(bytes.get(i..i + n)?)?;
                let c = char::from_u32(v)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            b'0'..=b'7' => {
                let digits = bytes.get(i - 1..i + 2)?;
                let mut v: u32 = 0;
                for d in digits {
                    if !(b'0'..=b'7').contains(d) {
                        return None;
                    }
                    v = v * 8 + u32::from(d - b'0');
                }
                out.push(u8::try_from(v).ok()?);
                i += 2;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for d in digits {
        v = v * 16 + char::from(*d).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go() {
        let cases = [
            ("", r#""""#),
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("\n\t\r\u{7}\u{8}\u{c}\u{b}", r#""\n\t\r\a\b\f\v""#),
            ("\u{1}\u{7f}", r#""\x01\x7f""#),
            ("\u{85}", r#""\u0085""#),
            ("東京 ディスク", r#""東京 ディスク""#),
            ("\u{3000}", r#""\u3000""#),
            ("\u{a0}", r#""\u00a0""#),
            ("\u{200b}", r#""\u200b""#),
            ("e\u{301}", "\"e\u{301}\""),
            ("\u{1F525}", "\"\u{1F525}\""),
            ("\u{E0001}", r#""\U000e0001""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), want, "quote({input:?})");
        }
    }

    #[test]
    fn unquote_handles_go_escapes() {
        let cases = [
            (r#""""#, Some("")),
            (r#""a\"b""#, Some("a\"b")),
            (r#""\x41\101\u00e9\U0001F525""#, Some("AAé\u{1F525}")),
            (r#""\t\n""#, Some("\t\n")),
            (r#""\'""#, None),
            (r#""\q""#, None),
            (r#""\xff""#, None),
            (r#""\400""#, None),
            (r#""\ud800""#, None),
            ("\"a\nb\"", None),
            (r#""abc"#, None),
        ];
        for (input, want) in cases {
            assert_eq!(unquote(input).as_deref(), want, "unquote({input:?})");
        }
    }

    #[test]
    fn quote_then_unquote_is_identity() {
        for s in [
            "",
            "x",
            "\u{0}\u{1f}",
            "a\\\"b",
            "日本語\u{3000}",
            "\u{10FFFF}",
        ] {
            assert_eq!(unquote(&quote(s)).as_deref(), Some(s));
        }
    }
}
