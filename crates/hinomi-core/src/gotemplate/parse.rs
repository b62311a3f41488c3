//! Go `text/template` source to a tree: text and actions are split (with the `{{-`/`-}}`
//! trim markers and `{{/* */}}` comments), each action's words are lexed, and the control
//! actions (`if`, `range`, `with`, `define`, `block`, `template`, `else`, `end`, `break`,
//! `continue`) are nested into [`Node`]s.

use std::collections::BTreeMap;

use super::TemplateError;
use crate::gostr::unquote;

/// A parsed body: what to print, in order.
pub(super) type Body = Vec<Node>;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Node {
    Text(String),
    /// `{{ pipeline }}`: its value is printed unless it declares variables.
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    /// `{{ template "name" pipeline }}`.
    Template {
        line: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break(usize),
    Continue(usize),
}

/// The shared shape of `if`, `range` and `with`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Branch {
    pub(super) pipe: Pipe,
    pub(super) then: Body,
    pub(super) otherwise: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Pipe {
    pub(super) line: usize,
    /// Variables declared (`:=`) or assigned (`=`).
    pub(super) vars: Vec<String>,
    pub(super) assign: bool,
    pub(super) cmds: Vec<Cmd>,
}

/// One command of a pipeline: a function or method with its arguments, or a lone operand.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Cmd {
    pub(super) args: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Term {
    /// `.`
    Dot,
    /// `.A.B` on dot.
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the data the execution began with).
    Var(String, Vec<String>),
    /// A function name.
    Ident(String),
    /// `(pipeline).A.B`.
    Paren(Box<Pipe>, Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
}

/// A parsed source: its top-level body and the templates it defines.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) body: Body,
    pub(super) defines: BTreeMap<String, Body>,
}

/// Parses `src`; `name` is what errors call it.
pub(super) fn parse(name: &str, src: &str) -> Result<Parsed, TemplateError> {
    let items = split(name, src)?;
    let mut p = Parser {
        name,
        items,
        pos: 0,
        defines: BTreeMap::new(),
    };
    let (body, end) = p.body(0)?;
    if let Some((line, word)) = end {
        return Err(p.error(line, format!("unexpected {{{{{word}}}}}")));
    }
    Ok(Parsed {
        body,
        defines: p.defines,
    })
}

/// A piece of the source: text, or an action's tokens.
#[derive(Debug)]
enum Item {
    Text(String),
    Action { line: usize, tokens: Vec<Tok> },
}

#[derive(Clone, Debug, PartialEq)]
enum TokKind {
    Dot,
    Field(String),
    Var(String),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Char(i64),
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    Comma,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: TokKind,
    /// Whether space came before it: `$x.A` chains, `$x .A` are two operands.
    spaced: bool,
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

fn err(name: &str, line: usize, msg: impl Into<String>) -> TemplateError {
    TemplateError::Parse {
        name: name.to_owned(),
        line,
        message: msg.into(),
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits the source into text and lexed actions, applying trim markers and dropping
/// comments.
fn split(name: &str, src: &str) -> Result<Vec<Item>, TemplateError> {
    let mut items = Vec::new();
    let mut rest = src;
    let mut line = 1;
    let mut trim_next = false;
    while !rest.is_empty() {
        let (text, after) = match rest.find(OPEN) {
            Some(i) => (&rest[..i], Some(&rest[i + OPEN.len()..])),
            None => (rest, None),
        };
        let mut text = text;
        if trim_next {
            text = text.trim_start_matches(is_space);
        }
        let Some(after) = after else {
            if !text.is_empty() {
                items.push(Item::Text(text.to_owned()));
            }
            break;
        };
        let trim_before = after.starts_with('-') && after[1..].starts_with(|c: char| is_space(c));
        if trim_before {
            text = text.trim_end_matches(is_space);
        }
        line += rest[..rest.len() - after.len()].matches('\n').count();
        if !text.is_empty() {
            items.push(Item::Text(text.to_owned()));
        }
        let inner_start = if trim_before { &after[1..] } else { after };
        let (inner, trim_after, next) = action_end(name, line, inner_start)?;
        let action_line = line;
        line += inner_start[..inner_start.len() - next.len()]
            .matches('\n')
            .count();
        trim_next = trim_after;
        rest = next;
        let trimmed = inner.trim_matches(is_space);
        if let Some(comment) = trimmed.strip_prefix("/*") {
            if !comment.ends_with("*/") {
                return Err(err(
                    name,
                    action_line,
                    "comment ends before closing delimiter",
                ));
            }
            continue;
        }
        items.push(Item::Action {
            line: action_line,
            tokens: lex(name, action_line, inner)?,
        });
    }
    Ok(items)
}

/// Finds the end of the action starting at `s` (just after `{{` and any trim marker),
/// skipping `}}` inside quoted strings and comments. Answers the action's text, whether
/// it ends with `-}}`, and the rest of the source.
fn action_end<'a>(
    name: &str,
    line: usize,
    s: &'a str,
) -> Result<(&'a str, bool, &'a str), TemplateError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let unclosed = || err(name, line, "unclosed action");
    let body_start = s.len() - s.trim_start_matches(is_space).len();
    if s[body_start..].starts_with("/*") {
        let close = s[body_start..].find("*/").ok_or_else(unclosed)? + body_start + 2;
        i = close;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'`' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if bytes[i] == b'\\' && quote != b'`' {
                        i += 1;
                    }
                    if bytes[i..].first() == Some(&b'\n') && quote != b'`' {
                        return Err(err(name, line, "unterminated quoted string"));
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(err(name, line, "unterminated quoted string"));
                }
                i += 1;
            }
            b'}' if s[i..].starts_with(CLOSE) => {
                let inner = &s[..i];
                let trim = inner.ends_with('-')
                    && inner[..inner.len() - 1].ends_with(|c: char| is_space(c));
                let inner = if trim {
                    &inner[..inner.len() - 1]
                } else {
                    inner
                };
                return Ok((inner, trim, &s[i + CLOSE.len()..]));
            }
            _ => i += 1,
        }
    }
    Err(unclosed())
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Lexes one action's words.
fn lex(name: &str, line: usize, s: &str) -> Result<Vec<Tok>, TemplateError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    let mut spaced = true;
    let word_end = |from: usize| {
        let mut j = from;
        while j < chars.len() && is_ident_char(chars[j].1) {
            j += 1;
        }
        j
    };
    let at = |j: usize| chars.get(j).map_or(s.len(), |(b, _)| *b);
    while i < chars.len() {
        let c = chars[i].1;
        let mut push = |kind: TokKind, spaced: bool| out.push(Tok { kind, spaced });
        match c {
            c if is_space(c) => {
                spaced = true;
                i += 1;
                continue;
            }
            '|' => {
                push(TokKind::Pipe, spaced);
                i += 1;
            }
            '(' => {
                push(TokKind::LParen, spaced);
                i += 1;
            }
            ')' => {
                push(TokKind::RParen, spaced);
                i += 1;
            }
            ',' => {
                push(TokKind::Comma, spaced);
                i += 1;
            }
            ':' if chars.get(i + 1).map(|c| c.1) == Some('=') => {
                push(TokKind::Declare, spaced);
                i += 2;
            }
            '=' => {
                push(TokKind::Assign, spaced);
                i += 1;
            }
            '.' if chars.get(i + 1).is_some_and(|c| c.1.is_ascii_digit()) => {
                let j = number_end(&chars, i);
                push(number(name, line, &s[at(i)..at(j)])?, spaced);
                i = j;
            }
            '.' => {
                let j = word_end(i + 1);
                if j == i + 1 {
                    push(TokKind::Dot, spaced);
                    i += 1;
                } else {
                    push(TokKind::Field(s[at(i + 1)..at(j)].to_owned()), spaced);
                    i = j;
                }
            }
            '$' => {
                let j = word_end(i + 1);
                push(TokKind::Var(s[at(i)..at(j)].to_owned()), spaced);
                i = j;
            }
            '"' | '`' | '\'' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j].1 != c {
                    if chars[j].1 == '\\' && c != '`' {
                        j += 1;
                    }
                    j += 1;
                }
                let lit = &s[at(i)..at(j + 1).min(s.len())];
                let kind = match c {
                    '`' => TokKind::Str(lit[1..lit.len() - 1].to_owned()),
                    '"' => TokKind::Str(
                        unquote(lit).ok_or_else(|| err(name, line, format!("bad string {lit}")))?,
                    ),
                    _ => {
                        let text = unquote(&format!("\"{}\"", &lit[1..lit.len() - 1]))
                            .filter(|t| t.chars().count() == 1)
                            .ok_or_else(|| {
                                err(name, line, format!("bad character constant {lit}"))
                            })?;
                        TokKind::Char(text.chars().next().map_or(0, |c| c as i64))
                    }
                };
                push(kind, spaced);
                i = j + 1;
            }
            c if c.is_ascii_digit() || ((c == '-' || c == '+') && next_is_digit(&chars, i)) => {
                let j = number_end(&chars, i);
                push(number(name, line, &s[at(i)..at(j)])?, spaced);
                i = j;
            }
            c if is_ident_char(c) => {
                let j = word_end(i);
                push(TokKind::Ident(s[at(i)..at(j)].to_owned()), spaced);
                i = j;
            }
            c => {
                return Err(err(
                    name,
                    line,
                    format!("unrecognized character in action: {c:?}"),
                ));
            }
        }
        spaced = false;
    }
    Ok(out)
}

fn next_is_digit(chars: &[(usize, char)], i: usize) -> bool {
    chars
        .get(i + 1)
        .is_some_and(|c| c.1.is_ascii_digit() || c.1 == '.')
}

fn number_end(chars: &[(usize, char)], from: usize) -> usize {
    let mut j = from + 1;
    while j < chars.len() {
        let c = chars[j].1;
        let exponent_sign =
            matches!(c, '+' | '-') && matches!(chars[j - 1].1, 'e' | 'E' | 'p' | 'P');
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || exponent_sign {
            j += 1;
        } else {
            break;
        }
    }
    j
}

/// A number literal as Go reads one: integers in bases 10, 16 (`0x`), 8 (`0o`, `0`) and 2
/// (`0b`) with `_` separators, or a float.
fn number(name: &str, line: usize, text: &str) -> Result<TokKind, TemplateError> {
    let bad = || err(name, line, format!("bad number syntax: {text:?}"));
    let clean = text.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = digits.to_ascii_lowercase();
    let radix = |p: &str| lower.strip_prefix(p);
    let int = if let Some(h) = radix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = radix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = radix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    if let Some(n) = int {
        return Ok(TokKind::Int(if negative { -n } else { n }));
    }
    let f: f64 = lower.parse().map_err(|_| bad())?;
    Ok(TokKind::Float(if negative { -f } else { f }))
}

/// What closed a body: the line and the word (`end`, `else ...`).
type Closer = Option<(usize, String)>;

struct Parser<'a> {
    name: &'a str,
    items: Vec<Item>,
    pos: usize,
    defines: BTreeMap<String, Body>,
}

impl Parser<'_> {
    fn error(&self, line: usize, msg: impl Into<String>) -> TemplateError {
        err(self.name, line, msg)
    }

    /// Parses nodes until `end` or `else` (answered, with the rest of an `else` action
    /// left in `self.pending`) or the end of the source.
    fn body(&mut self, depth: usize) -> Result<(Body, Closer), TemplateError> {
        let mut body = Vec::new();
        while self.pos < self.items.len() {
            let item = std::mem::replace(&mut self.items[self.pos], Item::Text(String::new()));
            self.pos += 1;
            let (line, tokens) = match item {
                Item::Text(t) => {
                    body.push(Node::Text(t));
                    continue;
                }
                Item::Action { line, tokens } => (line, tokens),
            };
            let keyword = match tokens.first().map(|t| &t.kind) {
                Some(TokKind::Ident(w)) => w.as_str(),
                None => return Err(self.error(line, "missing value for command")),
                _ => "",
            };
            let rest = &tokens[1.min(tokens.len())..];
            match keyword {
                "end" | "else" => {
                    if depth == 0 {
                        return Err(self.error(line, format!("unexpected {{{{{keyword}}}}}")));
                    }
                    if keyword == "end" && !rest.is_empty() {
                        return Err(self.error(line, "unexpected words after end"));
                    }
                    let closer = if keyword == "else" {
                        // `else if ...` / `else with ...`: the words are kept for the caller.
                        self.items.insert(
                            self.pos,
                            Item::Action {
                                line,
                                tokens: rest.to_vec(),
                            },
                        );
                        "else"
                    } else {
                        "end"
                    };
                    return Ok((body, Some((line, closer.to_owned()))));
                }
                "if" | "range" | "with" => {
                    body.push(self.branch(keyword, line, rest, depth)?);
                }
                "define" | "block" => {
                    let (name, pipe) = self.template_words(keyword, line, rest)?;
                    let (inner, closer) = self.body(depth + 1)?;
                    if closer.as_ref().map(|(_, w)| w.as_str()) != Some("end") {
                        return Err(self.error(line, format!("unexpected EOF in {keyword}")));
                    }
                    if keyword == "define" && pipe.is_some() {
                        return Err(self.error(line, "define takes only a name"));
                    }
                    if keyword == "block" {
                        body.push(Node::Template {
                            line,
                            name: name.clone(),
                            pipe,
                        });
                    }
                    self.defines.insert(name, inner);
                }
                "template" => {
                    let (name, pipe) = self.template_words(keyword, line, rest)?;
                    body.push(Node::Template { line, name, pipe });
                }
                "break" | "continue" if rest.is_empty() => body.push(if keyword == "break" {
                    Node::Break(line)
                } else {
                    Node::Continue(line)
                }),
                _ => body.push(Node::Action(self.pipe(line, &tokens, true)?)),
            }
        }
        Ok((body, None))
    }

    fn branch(
        &mut self,
        keyword: &str,
        line: usize,
        words: &[Tok],
        depth: usize,
    ) -> Result<Node, TemplateError> {
        let pipe = self.pipe(line, words, true)?;
        if pipe.cmds.is_empty() {
            return Err(self.error(line, format!("missing value for {keyword}")));
        }
        let (then, closer) = self.body(depth + 1)?;
        let otherwise = match closer {
            None => return Err(self.error(line, format!("unexpected EOF in {keyword}"))),
            Some((_, w)) if w == "end" => Vec::new(),
            Some((else_line, _)) => {
                // The `else` action's remaining words were put back as the next item.
                let item = self
                    .items
                    .get_mut(self.pos)
                    .map(|i| std::mem::replace(i, Item::Text(String::new())));
                let Some(Item::Action { tokens, .. }) = item else {
                    return Err(self.error(else_line, "malformed else"));
                };
                let chained = match tokens.first().map(|t| &t.kind) {
                    Some(TokKind::Ident(w)) if w == "if" || w == "with" => Some(w.clone()),
                    None => None,
                    _ => return Err(self.error(else_line, "unexpected words after else")),
                };
                self.pos += 1;
                match chained {
                    // `{{else if x}}` is an `if` inside the else branch ending at the
                    // same `end`.
                    Some(w) => vec![self.branch(&w, else_line, &tokens[1..], depth)?],
                    None => {
                        let (otherwise, closer) = self.body(depth + 1)?;
                        if closer.as_ref().map(|(_, w)| w.as_str()) != Some("end") {
                            return Err(self.error(line, format!("expected end for {keyword}")));
                        }
                        otherwise
                    }
                }
            }
        };
        let branch = Branch {
            pipe,
            then,
            otherwise,
        };
        Ok(match keyword {
            "if" => Node::If(branch),
            "range" => Node::Range(branch),
            _ => Node::With(branch),
        })
    }

    /// `"name"` and an optional pipeline, after `template`, `define` or `block`.
    fn template_words(
        &self,
        keyword: &str,
        line: usize,
        words: &[Tok],
    ) -> Result<(String, Option<Pipe>), TemplateError> {
        let Some(TokKind::Str(name)) = words.first().map(|t| &t.kind) else {
            return Err(self.error(line, format!("missing name in {keyword}")));
        };
        let pipe = if words.len() > 1 {
            Some(self.pipe(line, &words[1..], false)?)
        } else {
            None
        };
        Ok((name.clone(), pipe))
    }

    /// A pipeline, with its leading variable declaration when `decl` allows one.
    fn pipe(&self, line: usize, words: &[Tok], decl: bool) -> Result<Pipe, TemplateError> {
        let mut vars = Vec::new();
        let mut assign = false;
        let mut words = words;
        if decl
            && let Some(split) = words
                .iter()
                .position(|t| matches!(t.kind, TokKind::Declare | TokKind::Assign))
        {
            let head = &words[..split];
            let names: Vec<&Tok> = head.iter().filter(|t| t.kind != TokKind::Comma).collect();
            let all_vars = names.iter().all(|t| matches!(t.kind, TokKind::Var(_)));
            if all_vars && !names.is_empty() && names.len() <= 2 {
                vars = names
                    .iter()
                    .filter_map(|t| match &t.kind {
                        TokKind::Var(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                assign = words[split].kind == TokKind::Assign;
                words = &words[split + 1..];
            }
        }
        let mut cmds = Vec::new();
        let mut pos = 0;
        while pos < words.len() {
            let (cmd, next) = self.cmd(line, words, pos)?;
            cmds.push(cmd);
            pos = next;
            if pos < words.len() {
                if words[pos].kind != TokKind::Pipe {
                    return Err(self.error(line, "unexpected token in pipeline"));
                }
                pos += 1;
                if pos == words.len() {
                    return Err(self.error(line, "missing command after |"));
                }
            }
        }
        if !vars.is_empty() && cmds.is_empty() {
            return Err(self.error(line, "missing value for declaration"));
        }
        Ok(Pipe {
            line,
            vars,
            assign,
            cmds,
        })
    }

    /// One command, from `pos` to the next `|` (or `)`).
    fn cmd(
        &self,
        line: usize,
        words: &[Tok],
        mut pos: usize,
    ) -> Result<(Cmd, usize), TemplateError> {
        let mut args = Vec::new();
        while pos < words.len() && !matches!(words[pos].kind, TokKind::Pipe | TokKind::RParen) {
            let (term, next) = self.term(line, words, pos)?;
            args.push(term);
            pos = next;
        }
        if args.is_empty() {
            return Err(self.error(line, "empty command"));
        }
        Ok((Cmd { args }, pos))
    }

    fn term(&self, line: usize, words: &[Tok], pos: usize) -> Result<(Term, usize), TemplateError> {
        let mut next = pos + 1;
        let mut term = match &words[pos].kind {
            TokKind::Dot => Term::Dot,
            TokKind::Field(f) => Term::Field(vec![f.clone()]),
            TokKind::Var(v) => Term::Var(v.clone(), Vec::new()),
            TokKind::Str(s) => Term::Str(s.clone()),
            TokKind::Int(n) | TokKind::Char(n) => Term::Int(*n),
            TokKind::Float(f) => Term::Float(*f),
            TokKind::Ident(w) => match w.as_str() {
                "true" => Term::Bool(true),
                "false" => Term::Bool(false),
                "nil" => Term::Nil,
                _ => Term::Ident(w.clone()),
            },
            TokKind::LParen => {
                let close = matching_paren(words, pos)
                    .ok_or_else(|| self.error(line, "unclosed left paren"))?;
                let inner = self.pipe(line, &words[pos + 1..close], false)?;
                if inner.cmds.is_empty() {
                    return Err(self.error(line, "missing value in parenthesis"));
                }
                next = close + 1;
                Term::Paren(Box::new(inner), Vec::new())
            }
            other => return Err(self.error(line, format!("unexpected {other:?} in operand"))),
        };
        // `.A.B`, `$x.A`, `(pipe).A`: fields written without space continue the operand.
        while let Some(Tok {
            kind: TokKind::Field(f),
            spaced: false,
        }) = words.get(next)
        {
            match &mut term {
                Term::Field(chain) | Term::Var(_, chain) | Term::Paren(_, chain) => {
                    chain.push(f.clone())
                }
                _ => return Err(self.error(line, format!("unexpected .{f} after operand"))),
            }
            next += 1;
        }
        Ok((term, next))
    }
}

fn matching_paren(words: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, w) in words.iter().enumerate().skip(open) {
        match w.kind {
            TokKind::LParen => depth += 1,
            TokKind::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}
