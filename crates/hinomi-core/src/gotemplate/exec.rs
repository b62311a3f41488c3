//! Executing a parsed template over Alertmanager's data: the values a template sees, how
//! `text/template` prints and tests them, fields and methods of the data model, pipelines,
//! variables and the control actions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use jiff::Zoned;

use super::parse::{Body, Branch, Cmd, Node, Pipe, Term};
use super::{Alert, Data, Env, TemplateError, funcs};

/// How deep `{{template}}` calls may nest before execution stops (Go allows 100,000; a
/// notification never needs more than a handful).
const MAX_DEPTH: usize = 100;

/// A value as a template sees it.
#[derive(Clone, Debug)]
pub(super) enum Value<'d> {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `safeHtml`/`safeUrl`: printed as it is in HTML fields.
    Safe(String),
    Time(Zoned),
    /// Go's `time.Duration`, in nanoseconds.
    Duration(i64),
    List(Rc<Vec<Value<'d>>>),
    /// Alertmanager's `KV`: labels or annotations.
    Kv(Cow<'d, BTreeMap<String, String>>),
    /// `KV.SortedPairs`: `alertname` first, then by name.
    Pairs(Rc<Vec<(String, String)>>),
    Pair(Rc<(String, String)>),
    Data(&'d Data),
    Alert(&'d Alert),
    Alerts(Rc<Vec<&'d Alert>>),
}

impl Value<'_> {
    /// Go's name for the value's type, for error messages.
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Safe(_) => "template.HTML",
            Value::Time(_) => "time.Time",
            Value::Duration(_) => "time.Duration",
            Value::List(_) => "[]interface {}",
            Value::Kv(_) => "template.KV",
            Value::Pairs(_) => "template.Pairs",
            Value::Pair(_) => "template.Pair",
            Value::Data(_) => "*template.Data",
            Value::Alert(_) => "template.Alert",
            Value::Alerts(_) => "template.Alerts",
        }
    }

    /// `text/template`'s truth: false, 0, nil and empty things are false.
    pub(super) fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n) | Value::Duration(n) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::Safe(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Kv(m) => !m.is_empty(),
            Value::Pairs(p) => !p.is_empty(),
            Value::Alerts(a) => !a.is_empty(),
            Value::Time(_) | Value::Pair(_) | Value::Data(_) | Value::Alert(_) => true,
        }
    }

    /// The text `fmt.Sprint` gives (Go's `%v`).
    pub(super) fn print(&self) -> String {
        let mut out = String::new();
        self.print_into(&mut out);
        out
    }

    fn print_into(&self, out: &mut String) {
        match self {
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Float(f) => out.push_str(&funcs::format_g(*f, None)),
            Value::Str(s) | Value::Safe(s) => out.push_str(s),
            Value::Time(t) => out.push_str(&funcs::time_string(t)),
            Value::Duration(d) => out.push_str(&funcs::duration_string(*d)),
            Value::List(items) => print_seq(out, items.iter().cloned()),
            Value::Kv(kv) => out.push_str(&pairs_string(&sorted_pairs(kv))),
            Value::Pairs(p) => out.push_str(&pairs_string(p)),
            Value::Pair(p) => {
                let _ = write!(out, "{{{} {}}}", p.0, p.1);
            }
            Value::Alerts(alerts) => print_seq(out, alerts.iter().map(|a| Value::Alert(a))),
            Value::Alert(a) => {
                let _ = write!(
                    out,
                    "{{{} {} {} {} {} {} {}}}",
                    a.status,
                    go_map(&a.labels),
                    go_map(&a.annotations),
                    funcs::time_string(&a.starts_at),
                    funcs::time_string(&a.ends_at),
                    a.generator_url,
                    a.fingerprint
                );
            }
            Value::Data(d) => {
                out.push('{');
                let _ = write!(out, "{} {} ", d.receiver, d.status);
                Value::Alerts(Rc::new(d.alerts.iter().collect())).print_into(out);
                let _ = write!(
                    out,
                    " {} {} {} {}}}",
                    go_map(&d.group_labels),
                    go_map(&d.common_labels),
                    go_map(&d.common_annotations),
                    d.external_url
                );
            }
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Safe(s) => Some(s),
            _ => None,
        }
    }
}

fn print_seq<'d>(out: &mut String, items: impl Iterator<Item = Value<'d>>) {
    out.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        v.print_into(out);
    }
    out.push(']');
}

/// A Go map as `fmt` prints it: `map[a:1 b:2]`, keys sorted.
fn go_map(m: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", inner.join(" "))
}

/// `KV.SortedPairs`: `alertname` first, the rest by name.
pub(super) fn sorted_pairs(kv: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(kv.len());
    if let Some(v) = kv.get("alertname") {
        out.push(("alertname".to_owned(), v.clone()));
    }
    out.extend(
        kv.iter()
            .filter(|(k, _)| *k != "alertname")
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    out
}

/// `Pairs.String`: `a=1, b=2`.
fn pairs_string(p: &[(String, String)]) -> String {
    let parts: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(", ")
}

/// What ended a body early.
enum Flow {
    Normal,
    Break,
    Continue,
}

type Res<T> = Result<T, String>;

/// One execution: the output so far and the variables in scope.
pub(super) struct Exec<'d, 'e> {
    pub(super) defines: &'e dyn Fn(&str) -> Option<&'e Body>,
    pub(super) env: &'e Env<'e>,
    pub(super) html: bool,
    pub(super) name: String,
    pub(super) out: String,
    vars: Vec<(String, Value<'d>)>,
    depth: usize,
}

impl<'d, 'e> Exec<'d, 'e> {
    pub(super) fn new(
        name: &str,
        defines: &'e dyn Fn(&str) -> Option<&'e Body>,
        env: &'e Env<'e>,
        html: bool,
    ) -> Self {
        Exec {
            defines,
            env,
            html,
            name: name.to_owned(),
            out: String::new(),
            vars: Vec::new(),
            depth: 0,
        }
    }

    /// Runs `body` with `data` as dot and `$`.
    pub(super) fn run(&mut self, body: &Body, data: Value<'d>) -> Result<(), TemplateError> {
        self.vars.push(("$".to_owned(), data.clone()));
        self.body(body, &data).map(|_| ())
    }

    fn fail(&self, line: usize, message: String) -> TemplateError {
        TemplateError::Exec {
            name: self.name.clone(),
            line,
            message,
        }
    }

    fn body(&mut self, body: &Body, dot: &Value<'d>) -> Result<Flow, TemplateError> {
        for node in body {
            match node {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(pipe) => {
                    let value = self.pipe(pipe, dot)?;
                    if pipe.vars.is_empty() {
                        self.emit(&value);
                    }
                }
                Node::If(b) => {
                    let mark = self.vars.len();
                    let cond = self.pipe(&b.pipe, dot)?;
                    let branch = if cond.truth() { &b.then } else { &b.otherwise };
                    let flow = self.body(branch, dot)?;
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::With(b) => {
                    let mark = self.vars.len();
                    let value = self.pipe(&b.pipe, dot)?;
                    let flow = if value.truth() {
                        self.body(&b.then, &value)?
                    } else {
                        self.body(&b.otherwise, dot)?
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(b) => self.range(b, dot)?,
                Node::Template { line, name, pipe } => {
                    let value = match pipe {
                        Some(p) => self.pipe(p, dot)?,
                        None => Value::Nil,
                    };
                    self.call_template(*line, name, value)?;
                }
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn emit(&mut self, value: &Value<'d>) {
        match value {
            // `text/template` prints a missing value so; Alertmanager's `missingkey=zero`
            // makes absent labels empty strings before they get here.
            Value::Nil => self.out.push_str("<no value>"),
            Value::Safe(s) => self.out.push_str(s),
            v if self.html => self.out.push_str(&funcs::html_escape(&v.print())),
            v => v.print_into(&mut self.out),
        }
    }

    fn call_template(
        &mut self,
        line: usize,
        name: &str,
        data: Value<'d>,
    ) -> Result<(), TemplateError> {
        let Some(body) = (self.defines)(name) else {
            return Err(self.fail(
                line,
                format!("template {} not defined", crate::gostr::quote(name)),
            ));
        };
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(
                line,
                format!("exceeded maximum template depth ({MAX_DEPTH})"),
            ));
        }
        // A called template sees only its own variables, `$` being its data.
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".to_owned(), data.clone())]);
        let saved_name = std::mem::replace(&mut self.name, name.to_owned());
        self.depth += 1;
        let result = self.body(body, &data);
        self.depth -= 1;
        self.name = saved_name;
        self.vars = saved_vars;
        result.map(|_| ())
    }

    fn range(&mut self, b: &Branch, dot: &Value<'d>) -> Result<(), TemplateError> {
        let mark = self.vars.len();
        let line = b.pipe.line;
        let value = self.pipe_value(&b.pipe, dot)?;
        let items: Vec<(Value<'d>, Value<'d>)> = match &value {
            Value::List(l) => l
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v))
                .collect(),
            Value::Alerts(a) => a
                .iter()
                .enumerate()
                .map(|(i, a)| (Value::Int(i as i64), Value::Alert(a)))
                .collect(),
            Value::Pairs(p) => p
                .iter()
                .enumerate()
                .map(|(i, p)| (Value::Int(i as i64), Value::Pair(Rc::new(p.clone()))))
                .collect(),
            Value::Kv(kv) => kv
                .iter()
                .map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone())))
                .collect(),
            Value::Int(n) => (0..*n).map(|i| (Value::Int(i), Value::Int(i))).collect(),
            Value::Nil => Vec::new(),
            other => {
                return Err(self.fail(line, format!("range can't iterate over {}", other.print())));
            }
        };
        if items.is_empty() {
            self.body(&b.otherwise, dot)?;
            self.vars.truncate(mark);
            return Ok(());
        }
        for (key, item) in items {
            match b.pipe.vars.as_slice() {
                [] => {}
                [one] => self.declare(one, item.clone()),
                [k, v, ..] => {
                    self.declare(k, key);
                    self.declare(v, item.clone());
                }
            }
            let flow = self.body(&b.then, &item)?;
            self.vars.truncate(mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(())
    }

    fn declare(&mut self, name: &str, value: Value<'d>) {
        self.vars.push((name.to_owned(), value));
    }

    /// A pipeline's value, its variables declared or assigned.
    fn pipe(&mut self, pipe: &Pipe, dot: &Value<'d>) -> Result<Value<'d>, TemplateError> {
        let value = self.pipe_value(pipe, dot)?;
        for name in &pipe.vars {
            if pipe.assign {
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => {
                        return Err(self.fail(pipe.line, format!("undefined variable: {name}")));
                    }
                }
            } else {
                self.declare(name, value.clone());
            }
        }
        Ok(value)
    }

    /// A pipeline's value without declaring its variables (`range` binds them per item).
    fn pipe_value(&mut self, pipe: &Pipe, dot: &Value<'d>) -> Result<Value<'d>, TemplateError> {
        let mut value: Option<Value<'d>> = None;
        for cmd in &pipe.cmds {
            value = Some(
                self.cmd(cmd, dot, value)
                    .map_err(|m| self.fail(pipe.line, m))?,
            );
        }
        Ok(value.unwrap_or(Value::Nil))
    }

    fn cmd(&mut self, cmd: &Cmd, dot: &Value<'d>, piped: Option<Value<'d>>) -> Res<Value<'d>> {
        let (first, rest) = cmd.args.split_first().ok_or("empty command")?;
        match first {
            Term::Ident(name) if name == "and" || name == "or" => {
                let mut last = Value::Nil;
                let count = rest.len() + usize::from(piped.is_some());
                if count == 0 {
                    return Err(format!(
                        "wrong number of args for {name}: want at least 1 got 0"
                    ));
                }
                for term in rest {
                    last = self.term(term, dot)?;
                    if last.truth() != (name == "and") {
                        return Ok(last);
                    }
                }
                Ok(piped.unwrap_or(last))
            }
            Term::Ident(name) => {
                let mut args = Vec::with_capacity(rest.len() + 1);
                for term in rest {
                    args.push(self.term(term, dot)?);
                }
                args.extend(piped);
                funcs::call(name, args, self.env)
            }
            Term::Field(chain) | Term::Var(_, chain) | Term::Paren(_, chain)
                if !chain.is_empty() =>
            {
                let receiver = match first {
                    Term::Field(_) => dot.clone(),
                    Term::Var(v, _) => self.var(v)?,
                    Term::Paren(p, _) => self.nested(p, dot)?,
                    _ => unreachable!("matched above"),
                };
                let mut args = Vec::with_capacity(rest.len() + 1);
                for term in rest {
                    args.push(self.term(term, dot)?);
                }
                args.extend(piped);
                let (last, path) = chain.split_last().expect("chain is not empty");
                let mut value = receiver;
                for f in path {
                    value = field(value, f, Vec::new())?;
                }
                field(value, last, args)
            }
            _ => {
                if !rest.is_empty() || piped.is_some() {
                    return Err(format!(
                        "can't give argument to non-function {}",
                        describe(first)
                    ));
                }
                self.term(first, dot)
            }
        }
    }

    fn nested(&mut self, pipe: &Pipe, dot: &Value<'d>) -> Res<Value<'d>> {
        let mut value = None;
        for cmd in &pipe.cmds {
            value = Some(self.cmd(cmd, dot, value)?);
        }
        Ok(value.unwrap_or(Value::Nil))
    }

    fn var(&self, name: &str) -> Res<Value<'d>> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("undefined variable: {name}"))
    }

    /// An argument's value.
    fn term(&mut self, term: &Term, dot: &Value<'d>) -> Res<Value<'d>> {
        let (base, chain) = match term {
            Term::Dot => return Ok(dot.clone()),
            Term::Str(s) => return Ok(Value::Str(s.clone())),
            Term::Int(n) => return Ok(Value::Int(*n)),
            Term::Float(f) => return Ok(Value::Float(*f)),
            Term::Bool(b) => return Ok(Value::Bool(*b)),
            Term::Nil => return Ok(Value::Nil),
            Term::Ident(name) => return funcs::call(name, Vec::new(), self.env),
            Term::Field(chain) => (dot.clone(), chain),
            Term::Var(v, chain) => (self.var(v)?, chain),
            Term::Paren(p, chain) => (self.nested(p, dot)?, chain),
        };
        chain
            .iter()
            .try_fold(base, |value, f| field(value, f, Vec::new()))
    }
}

fn describe(term: &Term) -> String {
    match term {
        Term::Dot => ".".into(),
        Term::Str(s) => crate::gostr::quote(s),
        Term::Int(n) => n.to_string(),
        Term::Float(f) => f.to_string(),
        Term::Bool(b) => b.to_string(),
        Term::Nil => "nil".into(),
        Term::Var(v, _) => v.clone(),
        other => format!("{other:?}"),
    }
}

fn no_args<'d>(name: &str, args: &[Value<'d>], value: Value<'d>) -> Res<Value<'d>> {
    if args.is_empty() {
        Ok(value)
    } else {
        Err(format!(
            "wrong number of args for {name}: want 0 got {}",
            args.len()
        ))
    }
}

/// `.name` on `value`: a method of Alertmanager's types (with `args`), a struct field or a
/// map key. A missing map key is the empty string (`missingkey=zero`).
pub(super) fn field<'d>(value: Value<'d>, name: &str, args: Vec<Value<'d>>) -> Res<Value<'d>> {
    let text = |s: &str| Value::Str(s.to_owned());
    let got = match (&value, name) {
        (Value::Data(d), _) => match name {
            "Receiver" => Some(Value::Str(funcs::quote_meta(&d.receiver))),
            "Status" => Some(text(&d.status)),
            "Alerts" => Some(Value::Alerts(Rc::new(d.alerts.iter().collect()))),
            "GroupLabels" => Some(Value::Kv(Cow::Borrowed(&d.group_labels))),
            "CommonLabels" => Some(Value::Kv(Cow::Borrowed(&d.common_labels))),
            "CommonAnnotations" => Some(Value::Kv(Cow::Borrowed(&d.common_annotations))),
            "ExternalURL" => Some(text(&d.external_url)),
            _ => None,
        },
        (Value::Alert(a), _) => match name {
            "Status" => Some(text(&a.status)),
            "Labels" => Some(Value::Kv(Cow::Borrowed(&a.labels))),
            "Annotations" => Some(Value::Kv(Cow::Borrowed(&a.annotations))),
            "StartsAt" => Some(Value::Time(a.starts_at.clone())),
            "EndsAt" => Some(Value::Time(a.ends_at.clone())),
            "GeneratorURL" => Some(text(&a.generator_url)),
            "Fingerprint" => Some(text(&a.fingerprint)),
            _ => None,
        },
        (Value::Alerts(list), "Firing" | "Resolved") => {
            let want = if name == "Firing" {
                "firing"
            } else {
                "resolved"
            };
            let picked = list.iter().copied().filter(|a| a.status == want).collect();
            return no_args(name, &args, Value::Alerts(Rc::new(picked)));
        }
        (Value::Kv(kv), "SortedPairs") => {
            return no_args(name, &args, Value::Pairs(Rc::new(sorted_pairs(kv))));
        }
        (Value::Kv(kv), "Names" | "Values") => {
            let pairs = sorted_pairs(kv);
            return no_args(name, &args, pair_column(&pairs, name == "Names"));
        }
        (Value::Pairs(p), "Names" | "Values") => {
            return no_args(name, &args, pair_column(p, name == "Names"));
        }
        (Value::Kv(_) | Value::Pairs(_), "String") => {
            return no_args(name, &args, Value::Str(value.print()));
        }
        (Value::Kv(kv), "Remove") => {
            let [Value::List(keys)] = args.as_slice() else {
                return Err("Remove takes one argument, a list of names".into());
            };
            let drop: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
            let kept = kv
                .iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return Ok(Value::Kv(Cow::Owned(kept)));
        }
        (Value::Kv(kv), key) => Some(Value::Str(kv.get(key).cloned().unwrap_or_default())),
        (Value::Pair(p), "Name") => Some(text(&p.0)),
        (Value::Pair(p), "Value") => Some(text(&p.1)),
        (Value::Time(t), _) => return funcs::time_method(t, name, args),
        (Value::Duration(d), _) => return funcs::duration_method(*d, name, args),
        (Value::Nil, _) => return Err(format!("nil pointer evaluating interface {{}}.{name}")),
        _ => None,
    };
    match got {
        Some(v) => no_args(name, &args, v),
        None => Err(format!(
            "can't evaluate field {name} in type {}",
            value.type_name()
        )),
    }
}

fn pair_column<'d>(pairs: &[(String, String)], names: bool) -> Value<'d> {
    Value::List(Rc::new(
        pairs
            .iter()
            .map(|(k, v)| Value::Str(if names { k.clone() } else { v.clone() }))
            .collect(),
    ))
}
