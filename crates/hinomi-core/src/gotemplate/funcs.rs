//! The functions a template may call: Go's builtins (`eq`, `len`, `index`, `printf` ...)
//! and Alertmanager's function map (`toUpper`, `join`, `reReplaceAll`, `date`, `tz`,
//! `humanizeDuration`, `toJson` ...), with the Go formatting they rely on: `fmt` verbs,
//! `%g` floats, time layouts and `time.Duration` text.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::rc::Rc;

use jiff::{SignedDuration, Timestamp, Zoned, tz::TimeZone};
use serde_json::json;

use super::Env;
use super::exec::Value;
use crate::gostr::quote;

type Res<'d> = Result<Value<'d>, String>;

fn want<'d>(name: &str, args: &[Value<'d>], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ))
    }
}

fn string_arg<'a>(name: &str, v: &'a Value<'_>) -> Result<&'a str, String> {
    v.as_str().ok_or_else(|| {
        format!(
            "wrong type for value in {name}; expected string; got {}",
            v.type_name()
        )
    })
}

fn time_arg(name: &str, v: &Value<'_>) -> Result<Zoned, String> {
    match v {
        Value::Time(t) => Ok(t.clone()),
        other => Err(format!(
            "wrong type for value in {name}; expected time.Time; got {}",
            other.type_name()
        )),
    }
}

fn strings(v: &Value<'_>) -> Result<Vec<String>, String> {
    match v {
        Value::List(items) => items
            .iter()
            .map(|i| string_arg("join", i).map(str::to_owned))
            .collect(),
        other => Err(format!(
            "wrong type for value; expected []string; got {}",
            other.type_name()
        )),
    }
}

/// Calls the function `name`.
pub(super) fn call<'d>(name: &str, mut args: Vec<Value<'d>>, env: &Env<'_>) -> Res<'d> {
    let str_fn = |f: fn(&str) -> String, args: &[Value<'d>]| -> Res<'d> {
        want(name, args, 1)?;
        Ok(Value::Str(f(string_arg(name, &args[0])?)))
    };
    match name {
        // Go's builtins.
        "not" => {
            want(name, &args, 1)?;
            Ok(Value::Bool(!args[0].truth()))
        }
        "len" => {
            want(name, &args, 1)?;
            let n = match &args[0] {
                Value::Str(s) | Value::Safe(s) => s.len(),
                Value::List(l) => l.len(),
                Value::Kv(m) => m.len(),
                Value::Pairs(p) => p.len(),
                Value::Alerts(a) => a.len(),
                other => return Err(format!("len of type {}", other.type_name())),
            };
            Ok(Value::Int(n as i64))
        }
        "index" => {
            if args.is_empty() {
                return Err("wrong number of args for index: want at least 1 got 0".into());
            }
            let mut value = args.remove(0);
            for key in args {
                value = index(value, &key)?;
            }
            Ok(value)
        }
        "print" => Ok(Value::Str(sprint(&args))),
        "println" => {
            let parts: Vec<String> = args.iter().map(Value::print).collect();
            Ok(Value::Str(parts.join(" ") + "\n"))
        }
        "printf" => {
            if args.is_empty() {
                return Err("wrong number of args for printf: want at least 1 got 0".into());
            }
            let format = string_arg(name, &args[0])?.to_owned();
            Ok(Value::Str(sprintf(&format, &args[1..])))
        }
        "html" => Ok(Value::Str(html_escape(&sprint(&args)))),
        "urlquery" => Ok(Value::Str(query_escape(&sprint(&args)))),
        "eq" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            for other in &args[1..] {
                if compare(&args[0], other)? == Ordering::Equal {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            want(name, &args, 2)?;
            let ord = compare(&args[0], &args[1])?;
            if name != "ne" && !ordered(&args[0]) {
                return Err(format!(
                    "invalid type for comparison: {}",
                    args[0].type_name()
                ));
            }
            Ok(Value::Bool(match name {
                "ne" => ord != Ordering::Equal,
                "lt" => ord == Ordering::Less,
                "le" => ord != Ordering::Greater,
                "gt" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        // Alertmanager's function map.
        "toUpper" => str_fn(str::to_uppercase, &args),
        "toLower" => str_fn(str::to_lowercase, &args),
        "title" => str_fn(title_case, &args),
        "trimSpace" => str_fn(|s| s.trim().to_owned(), &args),
        "join" => {
            want(name, &args, 2)?;
            let sep = string_arg(name, &args[0])?;
            Ok(Value::Str(strings(&args[1])?.join(sep)))
        }
        "match" => {
            want(name, &args, 2)?;
            let re = crate::goregex::compile(string_arg(name, &args[0])?)?;
            Ok(Value::Bool(re.is_match(string_arg(name, &args[1])?)))
        }
        "reReplaceAll" => {
            want(name, &args, 3)?;
            let re = crate::goregex::compile(string_arg(name, &args[0])?)?;
            let replacement = string_arg(name, &args[1])?;
            let text = string_arg(name, &args[2])?;
            Ok(Value::Str(re.replace_all(text, replacement).into_owned()))
        }
        "safeHtml" | "safeUrl" => {
            want(name, &args, 1)?;
            Ok(Value::Safe(string_arg(name, &args[0])?.to_owned()))
        }
        "urlUnescape" => {
            want(name, &args, 1)?;
            query_unescape(string_arg(name, &args[0])?).map(Value::Str)
        }
        "stringSlice" => {
            for a in &args {
                string_arg(name, a)?;
            }
            Ok(Value::List(Rc::new(args)))
        }
        "date" => {
            want(name, &args, 2)?;
            let layout = string_arg(name, &args[0])?;
            Ok(Value::Str(format_time(&time_arg(name, &args[1])?, layout)))
        }
        "tz" => {
            want(name, &args, 2)?;
            let zone_name = string_arg(name, &args[0])?;
            let zone =
                (env.zone)(zone_name).ok_or_else(|| format!("unknown time zone {zone_name}"))?;
            Ok(Value::Time(time_arg(name, &args[1])?.with_time_zone(zone)))
        }
        "since" => {
            want(name, &args, 1)?;
            let t = time_arg(name, &args[0])?;
            Ok(Value::Duration(nanos(
                env.now.duration_since(t.timestamp()),
            )))
        }
        "humanizeDuration" => {
            want(name, &args, 1)?;
            let seconds = match &args[0] {
                Value::Int(n) => *n as f64,
                Value::Float(f) => *f,
                Value::Duration(d) => *d as f64 / 1e9,
                Value::Str(s) => s.trim().parse().map_err(|_| {
                    format!("strconv.ParseFloat: parsing {}: invalid syntax", quote(s))
                })?,
                other => return Err(format!("can't convert {} to float", other.type_name())),
            };
            Ok(Value::Str(humanize_duration(seconds)))
        }
        "toJson" => {
            want(name, &args, 1)?;
            Ok(Value::Str(go_json(&to_json(&args[0]))))
        }
        _ => Err(format!("function {} not defined", quote(name))),
    }
}

fn nanos(d: SignedDuration) -> i64 {
    d.as_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn index<'d>(value: Value<'d>, key: &Value<'d>) -> Res<'d> {
    let position = |len: usize| match key {
        Value::Int(i) if *i >= 0 && (*i as usize) < len => Ok(*i as usize),
        Value::Int(i) => Err(format!("error calling index: index out of range: {i}")),
        other => Err(format!(
            "error calling index: cannot index slice/array with type {}",
            other.type_name()
        )),
    };
    match &value {
        Value::List(l) => Ok(l[position(l.len())?].clone()),
        Value::Alerts(a) => Ok(Value::Alert(a[position(a.len())?])),
        Value::Pairs(p) => Ok(Value::Pair(Rc::new(p[position(p.len())?].clone()))),
        Value::Kv(m) => {
            let k = string_arg("index", key)?;
            Ok(Value::Str(m.get(k).cloned().unwrap_or_default()))
        }
        Value::Str(s) | Value::Safe(s) => Ok(Value::Int(s.as_bytes()[position(s.len())?] as i64)),
        Value::Nil => Err("error calling index: index of untyped nil".into()),
        other => Err(format!(
            "error calling index: can't index item of type {}",
            other.type_name()
        )),
    }
}

fn ordered(v: &Value<'_>) -> bool {
    matches!(
        v,
        Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Safe(_) | Value::Duration(_)
    )
}

/// Go's comparison of basic values; other kinds cannot be compared.
fn compare(a: &Value<'_>, b: &Value<'_>) -> Result<Ordering, String> {
    let incompatible = || {
        format!(
            "incompatible types for comparison: {} and {}",
            a.type_name(),
            b.type_name()
        )
    };
    match (a, b) {
        (Value::Int(x), Value::Int(y)) | (Value::Duration(x), Value::Duration(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).ok_or_else(incompatible),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        (Value::Nil, Value::Nil) => Ok(Ordering::Equal),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Ok(x.cmp(y)),
            _ => Err(incompatible()),
        },
    }
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
fn sprint(args: &[Value<'_>]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && a.as_str().is_none() && args[i - 1].as_str().is_none() {
            out.push(' ');
        }
        out.push_str(&a.print());
    }
    out
}

/// `fmt.Sprintf` for the verbs templates use: `%v %s %q %d %f %e %g %x %X %t %c %%`, with
/// flags `-+0 #`, width and precision.
pub(super) fn sprintf(format: &str, args: &[Value<'_>]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek().filter(|f| "-+# 0".contains(**f)) {
            flags.push(f);
            chars.next();
        }
        let width = digits(&mut chars);
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(digits(&mut chars).unwrap_or(0))
        } else {
            None
        };
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        let plus = flags.contains('+');
        let text = match (verb, arg) {
            ('v' | 's', a) => {
                let s = a.print();
                match precision {
                    Some(p) if verb == 's' => s.chars().take(p).collect(),
                    _ => s,
                }
            }
            ('q', a) if a.as_str().is_some() => quote(a.as_str().unwrap_or_default()),
            ('q' | 'c', Value::Int(n)) => {
                let c = char::from_u32(*n as u32).unwrap_or('\u{fffd}');
                if verb == 'c' {
                    c.to_string()
                } else {
                    format!("'{c}'")
                }
            }
            ('d', Value::Int(n) | Value::Duration(n)) => signed(n.to_string(), *n >= 0, plus),
            ('x', Value::Int(n)) => format!("{n:x}"),
            ('X', Value::Int(n)) => format!("{n:X}"),
            ('x', a) if a.as_str().is_some() => hex::encode_lower(a.as_str().unwrap_or_default()),
            ('X', a) if a.as_str().is_some() => hex::encode_upper(a.as_str().unwrap_or_default()),
            ('f' | 'F', Value::Float(f)) => {
                signed(format!("{:.*}", precision.unwrap_or(6), f), *f >= 0.0, plus)
            }
            ('e', Value::Float(f)) => signed(format_e(*f, precision.unwrap_or(6)), *f >= 0.0, plus),
            ('g', Value::Float(f)) => signed(format_g(*f, precision), *f >= 0.0, plus),
            ('t', Value::Bool(b)) => b.to_string(),
            (verb, a) => format!("%!{verb}({}={})", a.type_name(), a.print()),
        };
        pad(
            &mut out,
            &text,
            width,
            &flags,
            matches!(verb, 'd' | 'f' | 'F' | 'e' | 'g' | 'x' | 'X'),
        );
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), a.print()))
            .collect();
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    out
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n = String::new();
    while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
        n.push(d);
        chars.next();
    }
    n.parse().ok()
}

fn signed(text: String, non_negative: bool, plus: bool) -> String {
    if plus && non_negative {
        format!("+{text}")
    } else {
        text
    }
}

fn pad(out: &mut String, text: &str, width: Option<usize>, flags: &str, numeric: bool) {
    let len = text.chars().count();
    let fill = width.unwrap_or(0).saturating_sub(len);
    if flags.contains('-') {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if flags.contains('0') && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(d) => (&text[..1], d),
            None => ("", text),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

mod hex {
    //! Hex digits of a string's bytes, for `%x`.
    pub(super) fn encode_lower(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02x}")).collect()
    }
    pub(super) fn encode_upper(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02X}")).collect()
    }
}

/// `%e` with Go's exponent (`1.500000e+00`).
fn format_e(f: f64, precision: usize) -> String {
    let s = format!("{f:.precision$e}");
    go_exponent(&s)
}

/// Rust's `1.5e3` as Go writes it: `1.5e+03`.
fn go_exponent(s: &str) -> String {
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s.to_owned(),
    }
}

/// `%g` (and `%v` for floats when `precision` is `None`): the shortest text, or
/// `precision` significant digits, in exponent form for exponents below -4 or from the
/// precision (6 for the shortest) up.
pub(super) fn format_g(f: f64, precision: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sci = match precision {
        None => format!("{f:e}"),
        Some(p) => format!("{f:.*e}", p.max(1) - 1),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let nd = digits.len() as i32;
    let mut eprec = precision.map_or(6, |p| p.max(1) as i32);
    if precision.is_some() && eprec > nd && nd > exp {
        eprec = nd;
    }
    let sign = if negative { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let rest = &digits[1..];
        let mantissa = if rest.is_empty() {
            digits[..1].to_owned()
        } else {
            format!("{}.{rest}", &digits[..1])
        };
        return format!("{sign}{}", go_exponent(&format!("{mantissa}e{exp}")));
    }
    let decimals = (nd - (exp + 1)).max(0) as usize;
    format!("{sign}{:.decimals$}", f.abs())
}

/// Prometheus' `humanizeDuration`: `1d 2h 3m 4s`, or seconds with four significant
/// digits, or a sub-second unit.
pub(super) fn humanize_duration(v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return format_g(v, Some(4));
    }
    if v == 0.0 {
        return "0s".into();
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        let v = v.abs();
        let total = v as i64;
        let (days, hours, minutes, seconds) = (
            total / 86_400,
            total / 3_600 % 24,
            total / 60 % 60,
            total % 60,
        );
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", format_g(v, Some(4)))
        };
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", format_g(v, Some(4)))
}

/// `html/template.HTMLEscapeString`.
pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `url.QueryEscape`: unreserved bytes kept, spaces as `+`, the rest `%XX`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// `url.QueryUnescape`.
fn query_unescape(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        format!("invalid URL escape {}", quote(&s[i..(i + 3).min(s.len())]))
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `regexp.QuoteMeta`, which Alertmanager applies to the receiver's name.
pub(super) fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `cases.Title`: each word's first letter upper-cased, the rest lower-cased.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if in_word {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        in_word = c.is_alphanumeric() || c == '\'';
    }
    out
}

/// A value as `encoding/json` marshals it.
fn to_json(v: &Value<'_>) -> serde_json::Value {
    let kv = |m: &std::collections::BTreeMap<String, String>| json!(m);
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::Int(n) | Value::Duration(n) => json!(n),
        Value::Float(f) => json!(f),
        Value::Str(s) | Value::Safe(s) => json!(s),
        Value::Time(t) => json!(rfc3339(t)),
        Value::List(l) => serde_json::Value::Array(l.iter().map(to_json).collect()),
        Value::Kv(m) => kv(m),
        Value::Pairs(p) => json!(
            p.iter()
                .map(|(n, v)| json!({"Name": n, "Value": v}))
                .collect::<Vec<_>>()
        ),
        Value::Pair(p) => json!({"Name": p.0, "Value": p.1}),
        Value::Alert(a) => json!({
            "status": a.status,
            "labels": a.labels,
            "annotations": a.annotations,
            "startsAt": rfc3339(&a.starts_at),
            "endsAt": rfc3339(&a.ends_at),
            "generatorURL": a.generator_url,
            "fingerprint": a.fingerprint,
        }),
        Value::Alerts(list) => {
            serde_json::Value::Array(list.iter().map(|a| to_json(&Value::Alert(a))).collect())
        }
        Value::Data(d) => json!({
            "receiver": quote_meta(&d.receiver),
            "status": d.status,
            "alerts": to_json(&Value::Alerts(Rc::new(d.alerts.iter().collect()))),
            "groupLabels": kv(&d.group_labels),
            "commonLabels": kv(&d.common_labels),
            "commonAnnotations": kv(&d.common_annotations),
            "externalURL": d.external_url,
        }),
    }
}

/// JSON text with Go's escapes of `<`, `>`, `&`, U+2028 and U+2029.
fn go_json(v: &serde_json::Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(t: &Zoned) -> String {
    format_time(t, "2006-01-02T15:04:05.999999999Z07:00")
}

/// `time.Time.String`.
pub(super) fn time_string(t: &Zoned) -> String {
    format_time(t, "2006-01-02 15:04:05.999999999 -0700 MST")
}

/// The methods of `time.Time` templates use.
pub(super) fn time_method<'d>(t: &Zoned, name: &str, args: Vec<Value<'d>>) -> Res<'d> {
    let value = match name {
        "Format" => {
            want(name, &args, 1)?;
            return Ok(Value::Str(format_time(t, string_arg(name, &args[0])?)));
        }
        "Unix" => Value::Int(t.timestamp().as_second()),
        "UnixMilli" => Value::Int(t.timestamp().as_millisecond()),
        "UTC" => Value::Time(t.with_time_zone(TimeZone::UTC)),
        "String" => Value::Str(time_string(t)),
        "IsZero" => Value::Bool(t.timestamp() == zero_time()),
        "Year" => Value::Int(t.year().into()),
        "Month" => Value::Int(t.month().into()),
        "Day" => Value::Int(t.day().into()),
        "Hour" => Value::Int(t.hour().into()),
        "Minute" => Value::Int(t.minute().into()),
        "Second" => Value::Int(t.second().into()),
        _ => return Err(format!("can't evaluate field {name} in type time.Time")),
    };
    want(name, &args, 0)?;
    Ok(value)
}

/// Go's zero time, `0001-01-01T00:00:00Z`.
pub(super) fn zero_time() -> Timestamp {
    Timestamp::from_second(-62_135_596_800).expect("year 1 is in range")
}

/// The methods of `time.Duration` templates use.
pub(super) fn duration_method<'d>(d: i64, name: &str, args: Vec<Value<'d>>) -> Res<'d> {
    let value = match name {
        "Seconds" => Value::Float(d as f64 / 1e9),
        "Minutes" => Value::Float(d as f64 / 6e10),
        "Hours" => Value::Float(d as f64 / 3.6e12),
        "Milliseconds" => Value::Int(d / 1_000_000),
        "String" => Value::Str(duration_string(d)),
        "Round" | "Truncate" => {
            want(name, &args, 1)?;
            let m = match &args[0] {
                Value::Duration(m) | Value::Int(m) => *m,
                other => {
                    return Err(format!(
                        "wrong type for value; expected time.Duration; got {}",
                        other.type_name()
                    ));
                }
            };
            if m <= 0 {
                return Ok(Value::Duration(d));
            }
            let down = d - d % m;
            let rounded = if name == "Round" && (d % m).abs() * 2 >= m {
                down + m * d.signum()
            } else {
                down
            };
            return Ok(Value::Duration(rounded));
        }
        _ => return Err(format!("can't evaluate field {name} in type time.Duration")),
    };
    want(name, &args, 0)?;
    Ok(value)
}

/// `time.Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
pub(super) fn duration_string(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let sign = if d < 0 { "-" } else { "" };
    let u = d.unsigned_abs();
    let frac = |value: u64, unit: u64| {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            whole.to_string()
        } else {
            let width = unit.ilog10() as usize;
            let digits = format!("{rest:0width$}");
            format!("{whole}.{}", digits.trim_end_matches('0'))
        }
    };
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", frac(u, 1_000));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", frac(u, 1_000_000));
    }
    let secs_total = u / 1_000_000_000;
    let hours = secs_total / 3_600;
    let minutes = secs_total / 60 % 60;
    let seconds = frac(u % 60_000_000_000, 1_000_000_000);
    let mut out = sign.to_owned();
    if hours > 0 {
        let _ = write!(out, "{hours}h");
    }
    if hours > 0 || minutes > 0 {
        let _ = write!(out, "{minutes}m");
    }
    let _ = write!(out, "{seconds}s");
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A layout element and what it writes.
type Chunk<'a> = (&'static str, &'a dyn Fn(&mut String));

/// `time.Time.Format` with a Go reference layout (`2006-01-02 15:04:05 MST`).
pub(super) fn format_time(t: &Zoned, layout: &str) -> String {
    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout;
    let offset = t.offset().seconds();
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    while let Some(c) = rest.chars().next() {
        // Longest chunks first, as Go's layout scanner tries them.
        let chunks: &[Chunk<'_>] = &[
            ("January", &|o| o.push_str(MONTHS[t.month() as usize - 1])),
            ("Jan", &|o| o.push_str(&MONTHS[t.month() as usize - 1][..3])),
            ("Monday", &|o| {
                o.push_str(DAYS[t.weekday().to_monday_zero_offset() as usize])
            }),
            ("Mon", &|o| {
                o.push_str(&DAYS[t.weekday().to_monday_zero_offset() as usize][..3])
            }),
            ("MST", &|o| o.push_str(&zone_abbreviation(t))),
            ("2006", &|o| {
                let _ = write!(o, "{:04}", t.year());
            }),
            ("002", &|o| {
                let _ = write!(o, "{:03}", t.day_of_year());
            }),
            ("01", &|o| {
                let _ = write!(o, "{:02}", t.month());
            }),
            ("02", &|o| {
                let _ = write!(o, "{:02}", t.day());
            }),
            ("03", &|o| {
                let _ = write!(o, "{hour12:02}");
            }),
            ("04", &|o| {
                let _ = write!(o, "{:02}", t.minute());
            }),
            ("05", &|o| {
                let _ = write!(o, "{:02}", t.second());
            }),
            ("06", &|o| {
                let _ = write!(o, "{:02}", t.year().rem_euclid(100));
            }),
            ("15", &|o| {
                let _ = write!(o, "{:02}", t.hour());
            }),
            ("__2", &|o| {
                let _ = write!(o, "{:>3}", t.day_of_year());
            }),
            ("_2", &|o| {
                let _ = write!(o, "{:>2}", t.day());
            }),
            ("1", &|o| {
                let _ = write!(o, "{}", t.month());
            }),
            ("2", &|o| {
                let _ = write!(o, "{}", t.day());
            }),
            ("3", &|o| {
                let _ = write!(o, "{hour12}");
            }),
            ("4", &|o| {
                let _ = write!(o, "{}", t.minute());
            }),
            ("5", &|o| {
                let _ = write!(o, "{}", t.second());
            }),
            ("PM", &|o| {
                o.push_str(if t.hour() >= 12 { "PM" } else { "AM" })
            }),
            ("pm", &|o| {
                o.push_str(if t.hour() >= 12 { "pm" } else { "am" })
            }),
            ("Z07:00:00", &|o| {
                o.push_str(&zone_offset(offset, true, ":", true, true))
            }),
            ("-07:00:00", &|o| {
                o.push_str(&zone_offset(offset, false, ":", true, true))
            }),
            ("Z070000", &|o| {
                o.push_str(&zone_offset(offset, true, "", true, true))
            }),
            ("-070000", &|o| {
                o.push_str(&zone_offset(offset, false, "", true, true))
            }),
            ("Z07:00", &|o| {
                o.push_str(&zone_offset(offset, true, ":", true, false))
            }),
            ("-07:00", &|o| {
                o.push_str(&zone_offset(offset, false, ":", true, false))
            }),
            ("Z0700", &|o| {
                o.push_str(&zone_offset(offset, true, "", true, false))
            }),
            ("-0700", &|o| {
                o.push_str(&zone_offset(offset, false, "", true, false))
            }),
            ("Z07", &|o| {
                o.push_str(&zone_offset(offset, true, "", false, false))
            }),
            ("-07", &|o| {
                o.push_str(&zone_offset(offset, false, "", false, false))
            }),
        ];
        if let Some((chunk, write)) = chunks.iter().find(|(chunk, _)| rest.starts_with(chunk)) {
            // "Jan" inside a word such as "Janet" is still a month in Go; "Mon" likewise.
            write(&mut out);
            rest = &rest[chunk.len()..];
            continue;
        }
        if (c == '.' || c == ',')
            && let Some(n) = fraction_digits(&rest[1..])
        {
            let nanos = t.subsec_nanosecond();
            let all = format!("{nanos:09}");
            let digits = &all[..n.0.min(9)];
            if n.1 {
                // `.999`: trailing zeros dropped, and the separator with them.
                let trimmed = digits.trim_end_matches('0');
                if !trimmed.is_empty() {
                    out.push(c);
                    out.push_str(trimmed);
                }
            } else {
                out.push(c);
                out.push_str(digits);
            }
            rest = &rest[1 + n.0..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// After a `.` or `,`: a run of `0`s or `9`s not followed by a digit (its length, and
/// whether it is `9`s).
fn fraction_digits(s: &str) -> Option<(usize, bool)> {
    let first = s.chars().next().filter(|c| *c == '0' || *c == '9')?;
    let n = s.chars().take_while(|c| *c == first).count();
    if s[n..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((n, first == '9'))
}

fn zone_offset(offset: i32, z: bool, sep: &str, minutes: bool, seconds: bool) -> String {
    if z && offset == 0 {
        return "Z".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let mut out = format!("{sign}{:02}", a / 3600);
    if minutes {
        let _ = write!(out, "{sep}{:02}", a / 60 % 60);
    }
    if seconds {
        let _ = write!(out, "{sep}{:02}", a % 60);
    }
    out
}

fn zone_abbreviation(t: &Zoned) -> String {
    let info = t.time_zone().to_offset_info(t.timestamp());
    let abbreviation = info.abbreviation();
    if abbreviation.is_empty() {
        zone_offset(t.offset().seconds(), false, "", true, false)
    } else {
        abbreviation.to_owned()
    }
}
