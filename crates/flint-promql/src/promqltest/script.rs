//! Reading a test script into commands.

use flint_model::Regex;

use super::series::{SeriesDesc, parse_series};
use crate::parser::parse_duration;

/// One command of a script.
#[derive(Debug)]
pub enum Command {
    /// `load <step>` or `load_with_nhcb <step>`.
    Load {
        /// Line of the header (1-based).
        line: usize,
        /// Interval between positions (ms).
        step: i64,
        /// Whether classic histograms are also converted to native ones.
        nhcb: bool,
        /// The series lines.
        series: Vec<SeriesDesc>,
    },
    /// `clear`.
    Clear,
    /// `eval …`.
    Eval(Box<Eval>),
}

/// When an evaluation runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EvalKind {
    /// An instant query at this time (ms).
    Instant(i64),
    /// A range query.
    Range {
        /// Start (ms).
        start: i64,
        /// End (ms).
        end: i64,
        /// Step (ms).
        step: i64,
    },
}

/// Text an error or annotation must match.
#[derive(Debug, Clone)]
pub enum TextMatch {
    /// Exactly this text.
    Exact(String),
    /// This regexp, anywhere in the text.
    Regex(Regex),
}

impl TextMatch {
    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match self {
            TextMatch::Exact(t) => t == s,
            TextMatch::Regex(r) => r.is_match(s),
        }
    }
}

/// The `expect` lines of an evaluation.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// `expect fail [msg:|regex:]`.
    pub fail: Option<Option<TextMatch>>,
    /// `expect warn …` lines.
    pub warn: Vec<Option<TextMatch>>,
    /// `expect info …` lines.
    pub info: Vec<Option<TextMatch>>,
    /// `expect no_warn`.
    pub no_warn: bool,
    /// `expect no_info`.
    pub no_info: bool,
    /// `expect ordered`.
    pub ordered: bool,
    /// `expect string "…"`.
    pub string: Option<String>,
    /// `expect range vector from … to … step …`.
    pub range_vector: Option<(i64, i64, i64)>,
}

/// What the result must be.
#[derive(Debug, Clone)]
pub enum Expected {
    /// These series (possibly none).
    Series(Vec<SeriesDesc>),
    /// A scalar.
    Scalar(f64),
}

/// One `eval`.
#[derive(Debug)]
pub struct Eval {
    /// Line of the header (1-based).
    pub line: usize,
    /// The query.
    pub expr: String,
    /// When it runs.
    pub kind: EvalKind,
    /// The `expect` lines.
    pub expect: Expectations,
    /// The expected result.
    pub expected: Expected,
}

/// A script error with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// Line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses a time: a duration, optionally negative, or `0`.
pub(crate) fn parse_time(s: &str) -> Result<i64, String> {
    match s.strip_prefix('-') {
        Some(r) => parse_duration(r).map(|v| -v),
        None => parse_duration(s),
    }
}

/// Parses a whole script.
pub fn parse_script(text: &str) -> Result<Vec<Command>, ScriptError> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let blank = |l: &str| l.is_empty() || l.starts_with('#');
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if blank(lines[i]) {
            i += 1;
            continue;
        }
        let header = lines[i];
        let line = i + 1;
        let mut body = Vec::new();
        i += 1;
        // `clear` has no body: the next line starts a new command.
        while header != "clear" && i < lines.len() && !blank(lines[i]) {
            body.push((i + 1, lines[i]));
            i += 1;
        }
        let err = |message: String| ScriptError { line, message };
        let word = header.split_whitespace().next().unwrap_or("");
        match word {
            "clear" => out.push(Command::Clear),
            "load" | "load_with_nhcb" => {
                let step_text = header[word.len()..].trim();
                let step = parse_duration(step_text).map_err(err)?;
                let mut series = Vec::new();
                for (n, l) in body {
                    series
                        .push(parse_series(l).map_err(|message| ScriptError { line: n, message })?);
                }
                out.push(Command::Load {
                    line,
                    step,
                    nhcb: word == "load_with_nhcb",
                    series,
                });
            }
            w if w.starts_with("eval") => {
                out.push(Command::Eval(Box::new(parse_eval(line, header, &body)?)))
            }
            other => return Err(err(format!("invalid command {other:?}"))),
        }
    }
    Ok(out)
}

fn parse_eval(line: usize, header: &str, body: &[(usize, &str)]) -> Result<Eval, ScriptError> {
    let err = |message: String| ScriptError { line, message };
    let (word, rest) = header
        .split_once(char::is_whitespace)
        .ok_or_else(|| err("empty eval".into()))?;
    let mut expect = Expectations::default();
    match word {
        "eval" => {}
        "eval_fail" => expect.fail = Some(None),
        "eval_warn" => expect.warn.push(None),
        "eval_info" => expect.info.push(None),
        "eval_ordered" => expect.ordered = true,
        other => return Err(err(format!("invalid eval command {other:?}"))),
    }
    let rest = rest.trim_start();
    let (kind, expr) = if let Some(r) = rest.strip_prefix("instant at ") {
        let (t, expr) = r
            .split_once(char::is_whitespace)
            .ok_or_else(|| err("missing query".into()))?;
        (EvalKind::Instant(parse_time(t).map_err(err)?), expr)
    } else if let Some(r) = rest.strip_prefix("range from ") {
        let parts: Vec<&str> = r.splitn(6, char::is_whitespace).collect();
        if parts.len() < 6 || parts[1] != "to" || parts[3] != "step" {
            return Err(err("invalid range eval".into()));
        }
        let start = parse_time(parts[0]).map_err(err)?;
        let end = parse_time(parts[2]).map_err(err)?;
        let step = parse_duration(parts[4]).map_err(err)?;
        if end < start {
            return Err(err("end timestamp must not be before start time".into()));
        }
        (EvalKind::Range { start, end, step }, parts[5])
    } else {
        return Err(err(format!("invalid eval {rest:?}")));
    };
    let mut series = Vec::new();
    let mut scalar = None;
    for &(n, l) in body {
        let lerr = |message: String| ScriptError { line: n, message };
        if let Some(e) = l.strip_prefix("expect ") {
            parse_expect(e.trim(), &mut expect).map_err(lerr)?;
            continue;
        }
        if let Ok(v) = super::series::parse_values(l)
            && let [super::series::SeqValue::Float(f)] = v.as_slice()
            && !l.starts_with('{')
            && l.split_whitespace().count() == 1
        {
            scalar = Some(*f);
            break;
        }
        series.push(parse_series(l).map_err(lerr)?);
    }
    Ok(Eval {
        line,
        expr: expr.trim().to_owned(),
        kind,
        expect,
        expected: match scalar {
            Some(v) => Expected::Scalar(v),
            None => Expected::Series(series),
        },
    })
}

fn text_match(s: &str) -> Result<Option<TextMatch>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(m) = s.strip_prefix("msg:") {
        return Ok(Some(TextMatch::Exact(m.trim().to_owned())));
    }
    if let Some(r) = s.strip_prefix("regex:") {
        let re = Regex::new(r.trim()).map_err(|e| e.to_string())?;
        return Ok(Some(TextMatch::Regex(re)));
    }
    Err(format!("invalid expectation {s:?}"))
}

fn parse_expect(e: &str, x: &mut Expectations) -> Result<(), String> {
    let (word, rest) = e.split_once(char::is_whitespace).unwrap_or((e, ""));
    match word {
        "fail" => x.fail = Some(text_match(rest)?),
        "warn" => x.warn.push(text_match(rest)?),
        "info" => x.info.push(text_match(rest)?),
        "no_warn" => x.no_warn = true,
        "no_info" => x.no_info = true,
        "ordered" => x.ordered = true,
        "string" => {
            let r = rest.trim();
            let v = crate::parser::unquote(r).map_err(|e| format!("invalid string {r:?}: {e}"))?;
            x.string = Some(String::from_utf8_lossy(&v).into_owned());
        }
        "range" => {
            let p: Vec<&str> = rest.split_whitespace().collect();
            if p.len() != 7 || p[0] != "vector" || p[1] != "from" || p[3] != "to" || p[5] != "step"
            {
                return Err(format!("invalid expectation {e:?}"));
            }
            x.range_vector = Some((parse_time(p[2])?, parse_time(p[4])?, parse_duration(p[6])?));
        }
        other => return Err(format!("invalid expectation {other:?}")),
    }
    Ok(())
}
