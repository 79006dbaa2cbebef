//! Template sets: one namespace of named templates (Go's `*template.Template` with its
//! associated templates), parsed once from strings, files or globs, executed many times.

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::ast::Tree;
use crate::builtins::Builtin;
use crate::error::{Error, ParseError};
use crate::escape::{self, Context, Plan};
use crate::exec::{MissingKey, Nesting, State};
use crate::func::FuncMap;
use crate::parse::{ParseOptions, parse};
use crate::value::Value;

/// How output is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `text/template`: values print as they are.
    #[default]
    Text,
    /// `html/template`: values are escaped for the HTML context they appear in.
    Html,
}

/// Parsed ad-hoc texts (see [`TemplateSet::render_text`]) kept at most this many.
const ADHOC_CACHE: usize = 1024;

type PlanKey = (String, Context);

/// Parsed ad-hoc texts: the main tree first, then its definitions.
type AdHocCache = Mutex<HashMap<String, Arc<Vec<Arc<Tree>>>>>;

/// A namespace of templates sharing functions and options.
#[derive(Clone)]
pub struct TemplateSet {
    name: String,
    trees: HashMap<String, Arc<Tree>>,
    funcs: Arc<FuncMap>,
    missing_key: MissingKey,
    mode: Mode,
    delims: (String, String),
    plans: Arc<Mutex<HashMap<PlanKey, Arc<Plan>>>>,
    adhoc: Arc<AdHocCache>,
}

impl Default for TemplateSet {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.trees.keys().collect();
        names.sort();
        f.debug_struct("TemplateSet")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("templates", &names)
            .finish()
    }
}

impl TemplateSet {
    /// An empty `text/template` set.
    pub fn new() -> Self {
        TemplateSet {
            name: String::new(),
            trees: HashMap::new(),
            funcs: Arc::new(FuncMap::new()),
            missing_key: MissingKey::Invalid,
            mode: Mode::Text,
            delims: (String::new(), String::new()),
            plans: Arc::default(),
            adhoc: Arc::default(),
        }
    }

    /// An empty `html/template` set.
    pub fn new_html() -> Self {
        Self::new().with_mode(Mode::Html)
    }

    /// Names the set (Go's `template.New(name)`): the name used in "no template associated with
    /// template" errors and by [`TemplateSet::parse_root`].
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets text or HTML mode.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self.invalidate();
        self
    }

    /// Adds functions (they must be present before parsing templates that call them).
    pub fn with_funcs(mut self, funcs: &FuncMap) -> Self {
        self.add_funcs(funcs);
        self
    }

    /// Adds functions in place.
    pub fn add_funcs(&mut self, funcs: &FuncMap) {
        let mut f = (*self.funcs).clone();
        f.extend(funcs);
        self.funcs = Arc::new(f);
        self.invalidate();
    }

    /// Uses a shared function map as the set's functions (no copy; for many small sets with
    /// the same functions, such as one per alerting rule annotation). Replaces functions added
    /// before.
    pub fn with_shared_funcs(mut self, funcs: Arc<FuncMap>) -> Self {
        self.funcs = funcs;
        self.invalidate();
        self
    }

    /// Sets what missing map keys yield.
    pub fn with_missing_key(mut self, mk: MissingKey) -> Self {
        self.missing_key = mk;
        self
    }

    /// Go's `Option("missingkey=…")`.
    pub fn option(&mut self, opt: &str) -> Result<(), Error> {
        self.missing_key = match opt {
            "missingkey=invalid" | "missingkey=default" => MissingKey::Invalid,
            "missingkey=zero" => MissingKey::Zero,
            "missingkey=error" => MissingKey::Error,
            _ => {
                return Err(Error::Parse(ParseError {
                    name: self.name.clone(),
                    line: 0,
                    column: 0,
                    message: format!("unrecognized option: {opt}"),
                }));
            }
        };
        Ok(())
    }

    /// Sets the action delimiters (default `{{` and `}}`).
    pub fn with_delims(mut self, left: &str, right: &str) -> Self {
        self.delims = (left.to_string(), right.to_string());
        self
    }

    /// The output mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub(crate) fn missing_key(&self) -> MissingKey {
        self.missing_key
    }

    pub(crate) fn funcs(&self) -> &FuncMap {
        &self.funcs
    }

    pub(crate) fn tree(&self, name: &str) -> Option<&Tree> {
        self.trees.get(name).map(AsRef::as_ref)
    }

    fn invalidate(&mut self) {
        self.plans = Arc::default();
        self.adhoc = Arc::default();
    }

    fn parse_trees(&self, name: &str, text: &str) -> Result<Vec<Tree>, ParseError> {
        let funcs = &self.funcs;
        let has = |f: &str| funcs.contains(f) || Builtin::lookup(f).is_some();
        let opts = ParseOptions {
            left_delim: &self.delims.0,
            right_delim: &self.delims.1,
            keep_comments: false,
            has_function: &has,
        };
        parse(name, text, &opts)
    }

    fn add_trees(&mut self, trees: Vec<Tree>) {
        for t in trees {
            if let Some(old) = self.trees.get(&t.name)
                && t.is_empty()
                && !old.is_empty()
            {
                // Go never replaces a template with an empty one.
                continue;
            }
            self.trees.insert(t.name.clone(), Arc::new(t));
        }
        self.invalidate();
    }

    /// Parses `text` as template `name`; its `{{define}}`s join the set (Go's
    /// `t.New(name).Parse(text)`). A later definition of a name replaces an earlier one.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let trees = self.parse_trees(name, text)?;
        self.add_trees(trees);
        Ok(())
    }

    /// Parses `text` as the set's own template (named by [`TemplateSet::named`]).
    pub fn parse_root(&mut self, text: &str) -> Result<(), Error> {
        let name = self.name.clone();
        self.parse(&name, text)
    }

    /// Parses files; each becomes a template named by its base name (Go's `ParseFiles`).
    pub fn parse_files<P: AsRef<Path>>(&mut self, paths: &[P]) -> Result<(), Error> {
        for p in paths {
            let p = p.as_ref();
            let text = std::fs::read_to_string(p).map_err(|e| Error::Io {
                path: p.display().to_string(),
                message: io_message(&e),
            })?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.parse(&name, &text)?;
        }
        Ok(())
    }

    /// Parses the files matching a glob (Go's `ParseGlob`); no match is an error, as in Go.
    pub fn parse_glob(&mut self, pattern: &str) -> Result<(), Error> {
        let paths = glob_paths(pattern)?;
        if paths.is_empty() {
            return Err(Error::NoMatch(pattern.to_string()));
        }
        self.parse_files(&paths)
    }

    /// Like [`TemplateSet::parse_glob`] but a pattern matching nothing is fine (what
    /// Alertmanager does for its `templates:` globs).
    pub fn parse_glob_allow_empty(&mut self, pattern: &str) -> Result<usize, Error> {
        let paths = glob_paths(pattern)?;
        self.parse_files(&paths)?;
        Ok(paths.len())
    }

    /// Whether a template of this name exists.
    pub fn has_template(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The template names, sorted.
    pub fn template_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.trees.keys().cloned().collect();
        v.sort();
        v
    }

    /// Go's `DefinedTemplates`: `; defined templates are: "a", "b"` (sorted here).
    pub fn defined_templates(&self) -> String {
        let names = self.template_names();
        if names.is_empty() {
            return String::new();
        }
        let quoted: Vec<String> = names.iter().map(|n| crate::gofmt::quote(n)).collect();
        format!("; defined templates are: {}", quoted.join(", "))
    }

    /// Executes template `name` with `data`, appending to `out`.
    pub fn execute(&self, name: &str, data: &Value, out: &mut String) -> Result<(), Error> {
        self.execute_nested(name, data, None, Nesting::root(), out)
    }

    /// Executes template `name` with `data` and an environment that functions can read
    /// through [`crate::Ctx::env`] (Prometheus's `query` reads its query engine there).
    pub fn execute_with(
        &self,
        name: &str,
        data: &Value,
        env: &dyn Any,
        out: &mut String,
    ) -> Result<(), Error> {
        self.execute_nested(name, data, Some(env), Nesting::root(), out)
    }

    /// Executes template `name` and returns the output.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, Error> {
        let mut out = String::new();
        self.execute(name, data, &mut out)?;
        Ok(out)
    }

    pub(crate) fn execute_nested(
        &self,
        name: &str,
        data: &Value,
        env: Option<&dyn Any>,
        depth: Nesting,
        out: &mut String,
    ) -> Result<(), Error> {
        let Some(tree) = self.trees.get(name) else {
            return Err(Error::NoTemplate {
                name: name.to_string(),
                set: self.name.clone(),
            });
        };
        self.run_tree(tree, data, env, depth, out)
    }

    fn run_tree(
        &self,
        tree: &Tree,
        data: &Value,
        env: Option<&dyn Any>,
        depth: Nesting,
        out: &mut String,
    ) -> Result<(), Error> {
        let plan = match self.mode {
            Mode::Text => None,
            Mode::Html => {
                let plan = self.html_plan_for(tree, Context::default())?;
                if plan.end.state != escape::Context::default().state {
                    return Err(Error::Html(format!(
                        "html/template:{}: ends in a non-text context: {}",
                        tree.name, plan.end
                    )));
                }
                Some(plan)
            }
        };
        let mut st = State {
            set: self,
            tree,
            at: None,
            vars: Vec::with_capacity(8),
            dot_iface: false,
            depth,
            env,
            out,
            plan,
        };
        st.run(data).map_err(|e| Error::Exec(*e))
    }

    /// Alertmanager's `ExecuteTextString`: executes ad-hoc template text (which may call the
    /// set's templates) with `data`; empty text yields empty output. Parsed texts are cached,
    /// so rendering the same text again does not parse it again.
    pub fn render_text(&self, text: &str, data: &Value) -> Result<String, Error> {
        if text.is_empty() {
            return Ok(String::new());
        }
        let trees = self.adhoc_trees(text)?;
        let mut out = String::new();
        if trees.len() == 1 {
            self.run_tree(&trees[0], data, None, Nesting::root(), &mut out)?;
        } else {
            // The text defines templates: they live in a copy of the set, as in Go.
            let mut copy = self.clone();
            copy.plans = Arc::default();
            for t in trees.iter().skip(1) {
                copy.trees.insert(t.name.clone(), t.clone());
            }
            copy.run_tree(&trees[0], data, None, Nesting::root(), &mut out)?;
        }
        Ok(out)
    }

    fn adhoc_trees(&self, text: &str) -> Result<Arc<Vec<Arc<Tree>>>, Error> {
        if let Ok(cache) = self.adhoc.lock()
            && let Some(t) = cache.get(text)
        {
            return Ok(t.clone());
        }
        let trees: Vec<Arc<Tree>> = self
            .parse_trees("", text)?
            .into_iter()
            .map(Arc::new)
            .collect();
        let trees = Arc::new(trees);
        if let Ok(mut cache) = self.adhoc.lock() {
            if cache.len() >= ADHOC_CACHE {
                cache.clear();
            }
            cache.insert(text.to_string(), trees.clone());
        }
        Ok(trees)
    }

    /// The escaping plan of template `name` started in `c` (HTML mode).
    pub(crate) fn html_plan(&self, name: &str, c: Context) -> Option<Arc<Plan>> {
        let tree = self.trees.get(name)?;
        self.html_plan_for(tree, c).ok()
    }

    fn html_plan_for(&self, tree: &Tree, c: Context) -> Result<Arc<Plan>, Error> {
        let key = (tree.name.clone(), c);
        if let Ok(plans) = self.plans.lock()
            && let Some(p) = plans.get(&key)
        {
            return Ok(p.clone());
        }
        let callees = PlanCallees {
            set: self,
            stack: Mutex::new(vec![key.clone()]),
        };
        let plan = escape::analyze(tree, c, &callees).map_err(Error::Html)?;
        let plan = Arc::new(plan);
        if let Ok(mut plans) = self.plans.lock() {
            plans.insert(key, plan.clone());
        }
        Ok(plan)
    }
}

/// End contexts of callees during an analysis, guarding against recursion.
struct PlanCallees<'a> {
    set: &'a TemplateSet,
    stack: Mutex<Vec<PlanKey>>,
}

impl escape::Callees for PlanCallees<'_> {
    fn end_context(&self, name: &str, c: Context) -> Result<Option<Context>, String> {
        let key = (name.to_string(), c);
        let Some(tree) = self.set.trees.get(name) else {
            return Ok(None);
        };
        if let Ok(plans) = self.set.plans.lock()
            && let Some(p) = plans.get(&key)
        {
            return Ok(Some(p.end));
        }
        {
            let Ok(mut stack) = self.stack.lock() else {
                return Ok(Some(c));
            };
            if stack.contains(&key) {
                // A recursive call: assume it leaves the context as it found it.
                return Ok(Some(c));
            }
            stack.push(key.clone());
        }
        let plan = escape::analyze(tree, c, self);
        if let Ok(mut stack) = self.stack.lock() {
            stack.pop();
        }
        let plan = Arc::new(plan?);
        let end = plan.end;
        if let Ok(mut plans) = self.set.plans.lock() {
            plans.insert(key, plan);
        }
        Ok(Some(end))
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn glob_paths(pattern: &str) -> Result<Vec<std::path::PathBuf>, Error> {
    let paths = glob::glob(pattern).map_err(|e| Error::BadPattern(e.msg.to_string()))?;
    let mut out: Vec<std::path::PathBuf> = paths.filter_map(Result::ok).collect();
    out.sort();
    Ok(out)
}
