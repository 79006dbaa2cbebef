//! Differential test: every case in `tests/golang/cases.txt` runs through Go's own
//! `text/template` / `html/template` (a small harness built with the local Go toolchain) and
//! through flint-template; outputs and error messages must agree.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flint_template::{MissingKey, Mode, TemplateSet, alertmanager};
use serde_json::{Value as J, json};

use crate::data::decode;

/// One case of the cases file.
#[derive(Debug, Default, Clone)]
pub struct Case {
    pub name: String,
    pub text: String,
    pub files: Vec<(String, String)>,
    pub exec: String,
    pub data: J,
    pub html: bool,
    pub missing: String,
    pub funcs: String,
    /// A feature newer than the Go on this machine (`newer` in the header): Go must reject
    /// it, and flint must produce `want`.
    pub newer: bool,
    pub want: String,
    /// Go 1.19 cannot range over an integer; such a case is skipped when Go fails there.
    pub int_range: bool,
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses the cases format: `=== name [html] [missingkey=…] [funcs=am] [exec=…]`, the text,
/// then optional `--- file NAME` sections and a `--- data` section with typed JSON.
pub fn parse_cases(src: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for block in src.split("\n=== ").map(|b| b.trim_start_matches("=== ")) {
        if block.trim().is_empty() || block.starts_with('#') {
            continue;
        }
        let (header, body) = block.split_once('\n').unwrap_or((block, ""));
        let mut c = Case::default();
        for (i, word) in header.split_whitespace().enumerate() {
            match word.split_once('=') {
                _ if i == 0 => c.name = word.to_string(),
                Some(("missingkey", v)) => c.missing = v.to_string(),
                Some(("funcs", v)) => c.funcs = v.to_string(),
                Some(("exec", v)) => c.exec = v.to_string(),
                _ if word == "html" => c.html = true,
                _ if word == "newer" => c.newer = true,
                _ => panic!("bad case header {header:?}"),
            }
        }
        let mut sections = body.split("\n--- ");
        c.text = sections.next().unwrap_or("").to_string();
        for s in sections {
            let (h, t) = s.split_once('\n').unwrap_or((s, ""));
            if let Some(name) = h.strip_prefix("file ") {
                c.files.push((name.to_string(), t.to_string()));
            } else if h == "data" {
                c.data = serde_json::from_str(t.trim())
                    .unwrap_or_else(|e| panic!("{}: bad data: {e}", c.name));
            } else if h == "want" {
                c.want = t.to_string();
            } else if h == "text" {
                // Lets a case end its text with significant trailing newlines.
                c.text.push_str(t);
            }
        }
        cases.push(c);
    }
    cases
}

/// Runs a case through flint-template: (output, error).
pub fn run_ours(c: &Case) -> (String, String) {
    let mut set = TemplateSet::new().named(c.name.clone());
    if c.html {
        set = set.with_mode(Mode::Html);
    }
    if c.funcs == "am" {
        set = set.with_funcs(&alertmanager::funcs());
    }
    set = set.with_missing_key(match c.missing.as_str() {
        "zero" => MissingKey::Zero,
        "error" => MissingKey::Error,
        _ => MissingKey::Invalid,
    });
    for (name, text) in &c.files {
        if let Err(e) = set.parse(name, text) {
            return (String::new(), e.to_string());
        }
    }
    if let Err(e) = set.parse(&c.name, &c.text) {
        return (String::new(), e.to_string());
    }
    let exec = if c.exec.is_empty() { &c.name } else { &c.exec };
    let mut out = String::new();
    match set.execute(exec, &decode(&c.data), &mut out) {
        Ok(()) => (out, String::new()),
        Err(e) => (out, e.to_string()),
    }
}

fn build_harness(go: &Path) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go-harness");
    std::fs::create_dir_all(&dir).ok()?;
    let bin = dir.join("harness");
    let status = Command::new(go)
        .arg("build")
        .arg("-o")
        .arg(&bin)
        .arg(manifest().join("tests/golang/harness.go"))
        .current_dir(&dir)
        .env("GOCACHE", dir.join("cache"))
        .env("GOPATH", dir.join("gopath"))
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .status()
        .ok()?;
    assert!(status.success(), "building the Go harness failed");
    Some(bin)
}

/// Runs cases through the Go harness: (output, error) per case.
pub fn run_go(cases: &[Case]) -> Option<Vec<(String, String)>> {
    static HARNESS: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    // Built once even when several tests ask at the same time.
    let bin = HARNESS
        .get_or_init(|| build_harness(&flint_testkit::find_program("go")?))
        .clone()?;
    let input: Vec<J> = cases
        .iter()
        .map(|c| {
            json!({
                "name": c.name, "text": c.text, "exec": c.exec, "data": c.data, "html": c.html,
                "missingkey": c.missing, "funcs": c.funcs,
                "files": c.files.iter().map(|(n, t)| json!({"name": n, "text": t})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(serde_json::to_string(&input).ok()?.as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(out.status.success(), "the Go harness failed");
    let results: Vec<J> = serde_json::from_slice(&out.stdout).ok()?;
    Some(
        results
            .iter()
            .map(|r| {
                (
                    r["out"].as_str().unwrap_or("").to_string(),
                    r["err"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
    )
}

/// Go type names of the harness's stand-ins, as Alertmanager names its own types.
fn normalize(s: &str) -> String {
    s.replace("main.alert", "template.Alert")
        .replace("main.kv", "template.KV")
        .replace("main.pairs", "template.Pairs")
        .replace("main.pair", "template.Pair")
        .replace("*main.data", "*template.Data")
}

/// Compares flint's results with Go's and lists every difference.
pub fn compare(cases: &[Case], go: &[(String, String)]) -> Vec<String> {
    let mut failures = Vec::new();
    for (c, (gout, gerr)) in cases.iter().zip(go) {
        let (gout, gerr) = (&normalize(gout), &normalize(gerr));
        let (out, err) = run_ours(c);
        let over = gerr
            .rsplit_once("range can't iterate over ")
            .map(|(_, n)| n);
        if c.int_range && over.is_some_and(|n| n.parse::<i64>().is_ok()) {
            continue;
        }
        if c.newer {
            if gerr.is_empty() || !err.is_empty() || out != c.want {
                failures.push(format!(
                    "case {} (newer than this Go):\n  go:    err={gerr:?}\n  flint: out={out:?} err={err:?} want={:?}",
                    c.name, c.want
                ));
            }
            continue;
        }
        let same = if gerr.is_empty() {
            err.is_empty() && out == *gout
        } else {
            err == *gerr
        };
        if !same {
            failures.push(format!(
                "case {}:\n  go:    out={gout:?} err={gerr:?}\n  flint: out={out:?} err={err:?}",
                c.name
            ));
        }
    }
    failures
}

#[test]
fn matches_go() {
    let src =
        std::fs::read_to_string(manifest().join("tests/golang/cases.txt")).unwrap_or_default();
    let cases = parse_cases(&src);
    assert!(cases.len() > 50, "too few cases: {}", cases.len());
    assert_agree_with_go(&cases);
}

/// Runs the cases through Go and flint and fails listing every difference.
fn assert_agree_with_go(cases: &[Case]) {
    let Some(go) = run_go(cases) else {
        return;
    };
    let failures = compare(cases, &go);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("{} cases agree with Go {}", cases.len(), go_version());
}

fn go_version() -> String {
    Command::new("go")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Every default Alertmanager template of Flint, in text and HTML mode, against Go executing
/// the same template file.
#[test]
fn default_templates_match_go() {
    let variants: J = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("tests/golden/alertmanager_data.json"))
            .unwrap_or_default(),
    )
    .unwrap_or(J::Null);
    let tmpl = alertmanager::DEFAULT_TEMPLATES;
    let names: Vec<String> = tmpl
        .split("define \"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect();
    let mut cases = Vec::new();
    for (variant, data) in variants.as_object().into_iter().flatten() {
        for name in &names {
            for html in [false, true] {
                let arg = if name.contains("alert_list")
                    || name == "pagerduty.default.instances"
                    || name == "__flint_priority"
                {
                    ".Alerts"
                } else if name == "__flint_email_alert" {
                    "(index .Alerts 0)"
                } else {
                    "."
                };
                cases.push(Case {
                    name: format!("{variant}.{name}.{}", if html { "html" } else { "text" }),
                    text: format!("{{{{ template \"{name}\" {arg} }}}}"),
                    files: vec![("default.tmpl".to_string(), tmpl.to_string())],
                    data: json!({ "am": data }),
                    html,
                    missing: "zero".into(),
                    funcs: "am".into(),
                    ..Case::default()
                });
            }
        }
    }
    assert_agree_with_go(&cases);
}

/// Go's float and integer formatting over many values: every verb and precision templates use.
#[test]
fn number_formatting_matches_go() {
    let mut values: Vec<f64> = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        0.1,
        0.125,
        2.5,
        1e21,
        1e20,
        1e-5,
        1e-4,
        123456789.0,
        1234567.0,
        0.000123456,
        99999.95,
        999999.5,
        1.0000001,
        3.0e-300,
        1.7976931348623157e308,
        5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        100.0,
        1e6,
        12345.678,
        -0.0000001234,
    ];
    // A fixed pseudo-random spread of magnitudes and digits.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..120 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mantissa = (x % 1_000_000_007) as f64 / 1_000_003.0;
        let exp = ((x >> 40) % 40) as i32 - 20;
        let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
        values.push(sign * mantissa * 10f64.powi(exp));
    }
    let verbs = "%v|%g|%.4g|%.3g|%e|%.2e|%f|%.2f|%.0f|%8.3f|%-9.1e|%+g|%G|%E|%#g";
    let cases: Vec<Case> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let enc = if v.is_nan() {
                json!("NaN")
            } else if v.is_infinite() {
                json!(if *v > 0.0 { "+Inf" } else { "-Inf" })
            } else {
                json!(v)
            };
            Case {
                name: format!("float{i}"),
                text: format!("{{{{ printf \"{verbs}\" . . . . . . . . . . . . . . . }}}}|{{{{ . }}}}"),
                data: json!({ "f": enc }),
                ..Case::default()
            }
        })
        .chain([-1i64, 0, 7, 255, -4096, i64::MAX, i64::MIN].iter().map(|i| Case {
            name: format!("int{i}"),
            text: "{{ printf \"%d|%5d|%-5d|%05d|%x|%X|%#x|%o|%#o|%O|%b|%+d|% d|%.3d|%8.3d|%v\" . . . . . . . . . . . . . . . . }}".into(),
            data: json!({ "i": i }),
            ..Case::default()
        }))
        .collect();
    if let Ok(n) = std::env::var("FLINT_SHOW_CASE") {
        let c = cases.iter().find(|c| c.name == n);
        eprintln!("{:?}", c.map(|c| &c.text));
    }
    assert_agree_with_go(&cases);
}

/// Quoting, padding and the escaping functions over strings with awkward characters, in text
/// and HTML mode.
#[test]
fn string_handling_matches_go() {
    let alphabet: Vec<char> =
        "aZ9 _-.~/?#&=+%<>'\"`\\\t\n\u{7}\u{7f}é日本\u{a0}\u{2028}😀:;@!$*(),[]"
            .chars()
            .collect();
    let mut x: u64 = 0xD1B5_4A32_D192_ED03;
    let mut strings = vec![String::new()];
    for _ in 0..80 {
        let mut s = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for k in 0..(x % 12) {
            s.push(alphabet[((x >> (k * 5)) % alphabet.len() as u64) as usize]);
        }
        strings.push(s);
    }
    let text = "{{ printf \"%s|%q|%+q|%#q|%x|% X|%8s|%-6.3s|%v\" . . . . . . . . . }}|{{ html . }}|{{ js . }}|{{ urlquery . }}|{{ len . }}|{{ . }}";
    let html = "<p title=\"{{ . }}\">{{ . }}</p><a href=\"/x?q={{ . }}\">{{ . | urlquery }}</a><a href={{ . }}>";
    let cases: Vec<Case> = strings
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            [(text, false), (html, true)].map(|(t, h)| Case {
                name: format!("str{i}{}", if h { "h" } else { "t" }),
                text: t.to_string(),
                data: json!({ "s": s }),
                html: h,
                ..Case::default()
            })
        })
        .collect();
    if let Ok(n) = std::env::var("FLINT_SHOW_CASE") {
        let c = cases.iter().find(|c| c.name == n);
        eprintln!("{:?}", c.map(|c| &c.text));
    }
    assert_agree_with_go(&cases);
}

/// Random token soups: mostly parse errors, whose messages must be Go's, and some templates
/// that run.
#[test]
fn token_soup_matches_go() {
    const PIECES: &[&str] = &[
        "{{",
        "}}",
        "{{- ",
        " -}}",
        " ",
        "\n",
        ".",
        ".a",
        ".b.c",
        "$",
        "$x",
        "$x := ",
        " = ",
        " | ",
        "(",
        ")",
        "\"s\"",
        "`r`",
        "'c'",
        "1",
        "-2.5",
        "nil",
        "true",
        "if ",
        "else ",
        "end",
        "range ",
        "with ",
        "define \"d\"",
        "template \"d\"",
        "break",
        "continue",
        "printf ",
        "\"%v\" ",
        "len ",
        "index ",
        "eq ",
        "and ",
        "or ",
        "not ",
        "x",
        ",",
        "/* c */",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut cases = Vec::new();
    for i in 0..1500 {
        let mut text = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = 2 + (x % 10) as usize;
        let mut y = x;
        for _ in 0..n {
            y = y
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(PIECES[((y >> 33) % PIECES.len() as u64) as usize]);
        }
        cases.push(Case {
            name: format!("soup{i}"),
            text,
            data: json!({"m": {"a": {"ls": ["p", "q"]}, "b": {"m": {"c": {"i": 3}}}}}),
            ..Case::default()
        });
    }
    assert_agree_with_go(&cases);
}

/// A small random generator of well-formed templates: nested `if`/`with`/`range`/`else`,
/// variables, pipelines and builtins over fixed data.
struct Gen {
    x: u64,
    vars: Vec<String>,
    in_range: usize,
}

impl Gen {
    fn next(&mut self, n: usize) -> usize {
        self.x ^= self.x << 13;
        self.x ^= self.x >> 7;
        self.x ^= self.x << 17;
        (self.x % n as u64) as usize
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.next(items.len())]
    }

    fn operand(&mut self) -> String {
        if !self.vars.is_empty() && self.next(4) == 0 {
            let i = self.next(self.vars.len());
            return self.vars[i].clone();
        }
        self.pick(&[
            ".", ".a", ".b", ".b.c", ".n", ".s", "$", "\"s\"", "1", "0", "2.5", "true", "\"\"",
            ".a.x", "$.b",
        ])
        .to_string()
    }

    fn pipeline(&mut self) -> String {
        let op = self.operand();
        match self.next(12) {
            0 => format!("len {op}"),
            1 => format!("index {op} {}", self.pick(&["0", "1", "\"c\""])),
            2 => format!("printf \"%v-%d\" {op} {}", self.operand()),
            3 => format!("eq {op} {}", self.operand()),
            4 => format!("lt {op} {}", self.operand()),
            5 => format!("and {op} {}", self.operand()),
            6 => format!("or {op} {}", self.operand()),
            7 => format!("not {op}"),
            8 => format!("{op} | print {}", self.operand()),
            9 => format!("slice {op} {}", self.pick(&["0", "1"])),
            10 => format!("({}) | printf \"%q\"", self.pipeline()),
            _ => op,
        }
    }

    fn list(&mut self, depth: usize) -> String {
        let mut out = String::new();
        for _ in 0..1 + self.next(3) {
            out.push_str(&self.item(depth));
        }
        out
    }

    fn item(&mut self, depth: usize) -> String {
        let k = if depth > 2 {
            self.next(3)
        } else {
            self.next(10)
        };
        match k {
            0 => self.pick(&["x", " ", "\n", "-"]).to_string(),
            8 if !self.vars.is_empty() => {
                let i = self.next(self.vars.len());
                let v = self.vars[i].clone();
                format!("{{{{ {v} = {} }}}}{{{{ {v} }}}}", self.pipeline())
            }
            9 if self.in_range > 0 => {
                let kw = self.pick(&["break", "continue"]);
                format!("{{{{ if {} }}}}{{{{ {kw} }}}}{{{{ end }}}}", self.operand())
            }
            1 => format!("{{{{ {} }}}}", self.pipeline()),
            2 => {
                let v = format!("$v{}", self.vars.len());
                let s = format!("{{{{ {v} := {} }}}}", self.pipeline());
                self.vars.push(v);
                s
            }
            3..=5 => {
                let kw = ["if", "with", "range"][k - 3];
                let mark = self.vars.len();
                let head = if kw == "range" && self.next(2) == 0 {
                    let (i, e) = (format!("$i{mark}"), format!("$e{mark}"));
                    self.vars.push(i.clone());
                    self.vars.push(e.clone());
                    format!("{i}, {e} := {}", self.pipeline())
                } else {
                    self.pipeline()
                };
                self.in_range += usize::from(kw == "range");
                let body = self.list(depth + 1);
                self.in_range -= usize::from(kw == "range");
                let els = if self.next(2) == 0 {
                    format!("{{{{ else }}}}{}", self.list(depth + 1))
                } else {
                    String::new()
                };
                self.vars.truncate(mark);
                let trim = if self.next(3) == 0 { "-" } else { "" };
                format!("{{{{{trim} {kw} {head} }}}}{body}{els}{{{{ end {trim}}}}}")
            }
            6 => format!("{{{{ template \"t\" {} }}}}", self.operand()),
            _ => format!("{{{{/* c */}}}}{}", self.pick(&["y", "\n"])),
        }
    }
}

#[test]
fn generated_templates_match_go() {
    let mut g = Gen {
        x: 0x5DEE_CE66_D1CE_4E5D,
        vars: Vec::new(),
        in_range: 0,
    };
    let data = json!({"m": {"a": {"ls": ["p", "q", ""]}, "b": {"m": {"c": {"i": 3}, "z": {"b": false}}},
        "n": {"f": 1.5}, "s": {"s": "str"}}});
    let cases: Vec<Case> = (0..3000)
        .map(|i| {
            g.vars.clear();
            g.in_range = 0;
            Case {
                name: format!("gen{i}"),
                text: g.list(0),
                files: vec![("t".into(), "[{{ . }}]".into())],
                data: data.clone(),
                html: i % 5 == 0,
                int_range: true,
                ..Case::default()
            }
        })
        .collect();
    if let Ok(n) = std::env::var("FLINT_SHOW_CASE") {
        let c = cases.iter().find(|c| c.name == n);
        eprintln!("{:?}", c.map(|c| &c.text));
    }
    assert_agree_with_go(&cases);
}
