//! Loading a suite: read `fixtures.yaml` and every case file, check everything, report every
//! problem with its location.
//!
//! Nothing stops at the first problem: every file is read, and within a file that parses every
//! case is checked and built. (A file that does not parse yields one error, serde's first; the
//! YAML after it cannot be read reliably.) Nothing panics on any input.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::contract::{Platform, Role};
use crate::input;
use crate::spec::Level;

use super::error::{from_yaml, FileKind, LoadError, LoadErrors};
use super::lint::{check_ids_and_requirements, short_fixture_secrets, short_secrets, CaseRef};
use super::model::{Case, CaseFile, Fixtures};
use super::resolve::{
    build_steps, check_structure, negative_leeway, BuildError, BuiltStep, Problem, DEFAULT_NOW,
    DEFAULT_WORKSPACE,
};
use super::source::{parse_options, FieldPath, Loc, Node};

/// The fixtures file, directly in the cases directory.
pub const FIXTURES_FILE: &str = "fixtures.yaml";

/// Every case of a cases directory, checked and ready to build.
#[derive(Debug, Clone)]
pub struct Suite {
    /// In file path order, then in file order.
    pub cases: Vec<LoadedCase>,
    pub fixtures: Arc<Fixtures>,
    /// How the cases directory is named in messages (its last component, e.g. `cases`).
    pub dir: PathBuf,
}

impl Suite {
    pub fn case(&self, id: &str) -> Option<&LoadedCase> {
        self.cases.iter().find(|case| case.id == id)
    }
}

/// One case, checked: its metadata, and what it needs to build its messages.
#[derive(Clone)]
pub struct LoadedCase {
    pub id: String,
    /// The first directory under the cases directory (`cases/jwt/alg.yaml` → `jwt`).
    pub area: String,
    pub title: String,
    pub requirements: Vec<String>,
    pub level: Level,
    pub tags: Vec<String>,
    pub note: Option<String>,
    /// `<cases dir name>/<path>`, e.g. `cases/jwt/alg.yaml`.
    pub file: PathBuf,
    /// Where the case starts (its first key), 1-based.
    pub line: usize,
    pub column: usize,
    /// Which role the case tests: `verifier` (request cases) or `signer` (sign cases).
    pub role: Role,
    /// The case cannot run against an implementation that reads its own clock: a time in it is
    /// within 5 seconds of an instant where the verdict flips (`now`, or `now ± leeway`), or a
    /// step at `after_seconds` other than 0 uses times.
    pub needs_exact_instant: bool,
    /// The case's own instant, Unix seconds (default 2026-01-01T00:00:00Z).
    pub now: i64,
    /// The fixture workspace it starts from.
    pub workspace: String,
    /// How many messages it sends.
    pub step_count: usize,
    /// The case as written.
    pub source: Case,
    fixtures: Arc<Fixtures>,
    origin: Arc<SourceFile>,
    index: usize,
}

impl fmt::Debug for LoadedCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedCase")
            .field("id", &self.id)
            .field("file", &self.file)
            .field("line", &self.line)
            .field("role", &self.role)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl LoadedCase {
    /// Build the case's messages and expectations with the case starting at `now` (each step at
    /// `now + after_seconds`): `self.now` for an implementation that takes the injected clock, the
    /// real time for one that reads its own.
    pub fn build(&self, now: i64) -> Result<Vec<BuiltStep>, BuildError> {
        let built = build_steps(&self.source, &self.fixtures, now);
        match built.problems.into_iter().next() {
            Some(problem) => Err(problem.into_build_error(&self.id)),
            None => Ok(built.steps),
        }
    }

    /// `file:line:column` of the case.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.line, self.column)
    }

    pub(crate) fn case_ref(&self) -> CaseRef {
        CaseRef {
            id: self.id.clone(),
            requirements: self.requirements.clone(),
            origin: Arc::clone(&self.origin),
            index: self.index,
        }
    }
}

pub(crate) fn case_path(index: usize) -> FieldPath {
    FieldPath::root().key("cases").index(index)
}

/// A file's text and node locations, kept for errors found after parsing.
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub node: Option<Node>,
}

impl SourceFile {
    fn new(path: PathBuf, text: String) -> SourceFile {
        let node = Node::parse(&text);
        SourceFile { path, text, node }
    }

    pub(crate) fn locate(&self, path: &FieldPath) -> Loc {
        self.node
            .as_ref()
            .map_or(Loc::NONE, |node| node.locate(path))
    }

    pub(crate) fn error(
        &self,
        path: &FieldPath,
        message: String,
        hint: Option<String>,
    ) -> LoadError {
        LoadError::new(self.path.clone(), message)
            .hint(hint)
            .at(&self.text, self.locate(path))
    }

    fn problem(&self, prefix: &FieldPath, problem: Problem) -> LoadError {
        self.error(&problem.at.under(prefix), problem.message, problem.hint)
    }
}

/// Load, check and build every case under `cases_dir`: `fixtures.yaml` and every other
/// `**/*.yaml`, in sorted path order. Either every case is sound, or every problem is reported.
///
/// Checked: YAML syntax and the case format (unknown fields, types), one body per case, coherent
/// expectations and levels, fixture workspaces, keys and secret references, time expressions,
/// every template and tamper op (each case is built once at its own `now`), ids unique across
/// files, requirement ids known to [`crate::spec`], no secret an implementation is handed under 32
/// bytes outside a short-key case ([`short_secrets`]). Not checked here: coverage of the spec (see
/// [`coverage_gaps`](super::coverage_gaps)).
pub fn load_suite(cases_dir: &Path) -> Result<Suite, LoadErrors> {
    let dir = dir_label(cases_dir);
    let mut errors = Vec::new();
    let files = match list_files(cases_dir) {
        Ok(Listing { files, problems }) => {
            errors.extend(problems.into_iter().map(|(relative, message)| {
                LoadError::new(dir.join(relative), message)
                    .hint(Some("fix the link, or remove it".into()))
            }));
            files
        }
        Err(error) => {
            let error = LoadError::new(
                dir.join(""),
                format!(
                    "cannot read the cases directory {}: {error}",
                    cases_dir.display()
                ),
            )
            .hint(Some(
                "pass the directory that holds fixtures.yaml and the area folders".into(),
            ));
            return Err(LoadErrors {
                errors: vec![error],
            });
        }
    };

    let fixtures = load_fixtures(cases_dir, &dir, &mut errors).map(Arc::new);

    let mut cases = Vec::new();
    let mut parsed = Vec::new();
    for relative in files
        .iter()
        .filter(|f| f.as_path() != Path::new(FIXTURES_FILE))
    {
        let shown = dir.join(relative);
        if relative.extension().is_some_and(|e| e == "yml") {
            errors.push(
                LoadError::new(
                    shown,
                    "case files end in `.yaml`; this one would be skipped",
                )
                .hint(Some("rename it to .yaml".into())),
            );
            continue;
        }
        let area = match relative.parent().and_then(|p| p.components().next()) {
            Some(area) => area.as_os_str().to_string_lossy().into_owned(),
            None => {
                errors.push(
                    LoadError::new(shown, "a case file lives in an area folder").hint(Some(
                        format!("move it to {}/<area>/{}", dir.display(), relative.display()),
                    )),
                );
                continue;
            }
        };
        let Some((source, file)) = read_yaml::<CaseFile>(
            &cases_dir.join(relative),
            &shown,
            FileKind::Cases,
            &mut errors,
        ) else {
            continue;
        };
        let source = Arc::new(source);
        parsed.extend(file.cases.iter().enumerate().map(|(index, case)| CaseRef {
            id: case.id.clone(),
            requirements: case.requirements.clone(),
            origin: Arc::clone(&source),
            index,
        }));
        load_cases(
            file,
            &source,
            &area,
            fixtures.as_ref(),
            &mut cases,
            &mut errors,
        );
    }

    // Every parsed case takes part, also those with other problems.
    errors.extend(check_ids_and_requirements(&parsed));
    if !errors.is_empty() {
        // Fixtures first, then by file and position; problems of the suite as a whole last.
        let fixtures_file = dir.join(FIXTURES_FILE);
        errors.sort_by(|a, b| {
            let key = |e: &LoadError| {
                (
                    e.file != fixtures_file,
                    e.line == 0 && e.file == dir.join(""),
                    e.file.clone(),
                    e.line,
                    e.column,
                )
            };
            key(a).cmp(&key(b))
        });
        return Err(LoadErrors { errors });
    }
    let fixtures = fixtures.expect("fixtures loaded when there are no errors");
    Ok(Suite {
        cases,
        fixtures,
        dir,
    })
}

/// The name the cases directory goes by in messages: its last component.
fn dir_label(cases_dir: &Path) -> PathBuf {
    let name = cases_dir.file_name().map(PathBuf::from).or_else(|| {
        cases_dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(PathBuf::from))
    });
    name.unwrap_or_else(|| PathBuf::from("cases"))
}

/// What [`list_files`] found: paths relative to the cases directory.
struct Listing {
    files: Vec<PathBuf>,
    /// Entries that cannot be walked, each with why.
    problems: Vec<(PathBuf, String)>,
}

/// Every `.yaml` and `.yml` file under `dir`, as paths relative to it, sorted, and the entries
/// that cannot be walked (a symlink that leads nowhere, or back into a folder that holds it),
/// each with why. Hidden files and folders are skipped. Symlinks are followed: an area folder
/// (or a case file) that is a symlink is read like any other, never dropped.
fn list_files(dir: &Path) -> std::io::Result<Listing> {
    struct Walk<'a> {
        root: &'a Path,
        /// The folders being walked, canonical: a symlink to one of them would never end.
        ancestors: Vec<PathBuf>,
        files: Vec<PathBuf>,
        problems: Vec<(PathBuf, String)>,
    }
    impl Walk<'_> {
        fn walk(&mut self, dir: &Path) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let relative = path.strip_prefix(self.root).unwrap_or(&path).to_path_buf();
                let mut file_type = entry.file_type()?;
                if file_type.is_symlink() {
                    match std::fs::metadata(&path) {
                        Ok(target) => file_type = target.file_type(),
                        Err(error) => {
                            self.problems.push((
                                relative,
                                format!("a symlink that cannot be followed ({error}): the cases behind it would be left out"),
                            ));
                            continue;
                        }
                    }
                }
                if file_type.is_dir() {
                    let canonical = path.canonicalize()?;
                    if self.ancestors.contains(&canonical) {
                        self.problems.push((
                            relative,
                            "a symlink to a folder that contains it: walking it would never end"
                                .into(),
                        ));
                        continue;
                    }
                    self.ancestors.push(canonical);
                    self.walk(&path)?;
                    self.ancestors.pop();
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    self.files.push(relative);
                }
            }
            Ok(())
        }
    }
    let mut walk = Walk {
        root: dir,
        ancestors: vec![dir.canonicalize()?],
        files: Vec::new(),
        problems: Vec::new(),
    };
    walk.walk(dir)?;
    walk.files.sort();
    Ok(Listing {
        files: walk.files,
        problems: walk.problems,
    })
}

/// Read and parse one file; on failure, record the error and return `None`.
fn read_yaml<T: DeserializeOwned>(
    path: &Path,
    shown: &Path,
    kind: FileKind,
    errors: &mut Vec<LoadError>,
) -> Option<(SourceFile, T)> {
    let bytes = match input::read_bytes(path, input::FILE_LIMIT) {
        Ok(bytes) => bytes,
        Err(error) => {
            let mut load_error = LoadError::new(shown, format!("cannot read the file: {error}"));
            if kind == FileKind::Fixtures && error.kind() == std::io::ErrorKind::NotFound {
                load_error = load_error.hint(Some(
                    "every cases directory has a fixtures.yaml with the workspaces cases run against".into(),
                ));
            }
            errors.push(load_error);
            return None;
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(error) => {
            errors.push(not_utf8(shown, &bytes, &error));
            return None;
        }
    };
    match serde_saphyr::from_str_with_options::<T>(text, parse_options()) {
        Ok(value) => Some((
            SourceFile::new(shown.to_path_buf(), text.to_string()),
            value,
        )),
        Err(error) => {
            errors.push(from_yaml(shown, Some(text), &error, kind));
            None
        }
    }
}

/// A file that is not UTF-8: where the first bad byte is, shown in the text around it.
fn not_utf8(shown: &Path, bytes: &[u8], error: &std::str::Utf8Error) -> LoadError {
    let (line, column) = input::utf8_error_position(bytes, error);
    let bad = bytes[error.valid_up_to()];
    LoadError::new(
        shown,
        format!("the file is not UTF-8: byte 0x{bad:02x} cannot start a character here"),
    )
    .hint(Some("save the file as UTF-8".into()))
    .at(
        &String::from_utf8_lossy(bytes),
        Loc {
            line,
            column,
            len: 1,
        },
    )
}

fn load_fixtures(cases_dir: &Path, dir: &Path, errors: &mut Vec<LoadError>) -> Option<Fixtures> {
    let shown = dir.join(FIXTURES_FILE);
    let (source, fixtures) = read_yaml::<Fixtures>(
        &cases_dir.join(FIXTURES_FILE),
        &shown,
        FileKind::Fixtures,
        errors,
    )?;
    // Fixtures that parse are used even with problems, so that cases are still checked.
    let problems = check_fixtures(&fixtures);
    errors.extend(
        problems
            .into_iter()
            .map(|p| source.problem(&FieldPath::root(), p)),
    );
    Some(fixtures)
}

/// What the format cannot say: names match keys, every platform is configured, a key id means
/// one secret everywhere.
fn check_fixtures(fixtures: &Fixtures) -> Vec<Problem> {
    let mut problems = Vec::new();
    let root = FieldPath::root();
    if !fixtures.workspaces.contains_key(DEFAULT_WORKSPACE) {
        problems.push(
            Problem::new(
                &root.key("workspaces"),
                format!("no `{DEFAULT_WORKSPACE}` workspace"),
            )
            .hint("cases without `workspace:` run against `production`; define it"),
        );
    }
    // Every key, wherever it is listed, with the path of its first listing.
    let listed = fixtures
        .workspaces
        .iter()
        .flat_map(|(name, ws)| {
            let at = root.key("workspaces").key(name).key("jwt_keys");
            ws.jwt_keys
                .iter()
                .enumerate()
                .map(move |(i, key)| (key, at.index(i)))
        })
        .chain(
            fixtures
                .keys
                .iter()
                .enumerate()
                .map(|(i, key)| (key, root.key("keys").index(i))),
        );
    let mut first: BTreeMap<&str, (&str, FieldPath)> = BTreeMap::new();
    for (key, at) in listed {
        match first.get(key.id.as_str()) {
            Some((secret, original)) if *secret != key.secret => problems.push(
                Problem::new(
                    &at.key("secret"),
                    format!("key `{}` has another secret at {original}", key.id),
                )
                .hint("a key id names one secret everywhere; give this key another id"),
            ),
            Some(_) => {}
            None => {
                first.insert(&key.id, (&key.secret, at));
            }
        }
    }
    for (name, workspace) in &fixtures.workspaces {
        let at = root.key("workspaces").key(name);
        if &workspace.name != name {
            problems.push(
                Problem::new(
                    &at.key("name"),
                    format!("workspace `{name}` is named `{}`", workspace.name),
                )
                .hint(format!(
                    "a fixture workspace's `name` is its key: `name: {name}`"
                )),
            );
        }
        if workspace.jwt_leeway_seconds < 0 {
            problems.push(negative_leeway(
                &at.key("jwt_leeway_seconds"),
                workspace.jwt_leeway_seconds,
            ));
        }
        let missing: Vec<&str> = Platform::ALL
            .iter()
            .filter(|p| workspace.platform(**p).is_none())
            .map(|p| p.as_str())
            .collect();
        if !missing.is_empty() {
            problems.push(
                Problem::new(
                    &at.key("platforms"),
                    format!("workspace `{name}` has no {} settings", missing.join(", ")),
                )
                .hint("configure web, ios and android in every workspace"),
            );
        }
        let mut seen = Vec::new();
        for (i, key) in workspace.jwt_keys.iter().enumerate() {
            if seen.contains(&key.id.as_str()) {
                problems.push(Problem::new(
                    &at.key("jwt_keys").index(i).key("id"),
                    format!("key `{}` is listed twice", key.id),
                ));
            }
            seen.push(&key.id);
        }
    }
    for (i, key) in fixtures.keys.iter().enumerate() {
        let at = root.key("keys").index(i);
        if fixtures.keys[..i].iter().any(|k| k.id == key.id) {
            problems.push(Problem::new(
                &at.key("id"),
                format!("key `{}` is listed twice", key.id),
            ));
        }
    }
    problems.extend(short_fixture_secrets(fixtures));
    problems
}

fn load_cases(
    file: CaseFile,
    source: &Arc<SourceFile>,
    area: &str,
    fixtures: Option<&Arc<Fixtures>>,
    cases: &mut Vec<LoadedCase>,
    errors: &mut Vec<LoadError>,
) {
    if file.cases.is_empty() {
        errors.push(source.error(
            &FieldPath::root().key("cases"),
            "the file has no cases".into(),
            Some("add a case, or delete the file".into()),
        ));
    }
    for (index, case) in file.cases.into_iter().enumerate() {
        let prefix = case_path(index);
        let (role, mut problems) = check_structure(&case);
        problems.extend(short_secrets(&case));
        let mut failed = !problems.is_empty();
        errors.extend(problems.into_iter().map(|p| source.problem(&prefix, p)));
        let now = case.now.unwrap_or(DEFAULT_NOW);
        let mut needs_exact_instant = false;
        let mut step_count = 0;
        match (fixtures, failed) {
            (Some(fixtures), false) => {
                let built = build_steps(&case, fixtures, now);
                failed |= !built.problems.is_empty();
                errors.extend(
                    built
                        .problems
                        .into_iter()
                        .map(|p| source.problem(&prefix, p)),
                );
                needs_exact_instant = built.needs_exact_instant;
                step_count = built.steps.len();
            }
            // Without fixtures (they failed to load) the case cannot be built, and the error
            // is already reported against fixtures.yaml.
            _ => failed = true,
        }
        let (Some(role), false, Some(fixtures)) = (role, failed, fixtures) else {
            continue;
        };
        let loc = source.locate(&prefix);
        cases.push(LoadedCase {
            id: case.id.clone(),
            area: area.to_string(),
            title: case.title.clone(),
            requirements: case.requirements.clone(),
            level: case.level,
            tags: case.tags.clone(),
            note: case.note.clone(),
            file: source.path.clone(),
            line: loc.line,
            column: loc.column,
            role,
            needs_exact_instant,
            now,
            workspace: case
                .workspace
                .clone()
                .unwrap_or_else(|| DEFAULT_WORKSPACE.to_string()),
            step_count,
            source: case,
            fixtures: Arc::clone(fixtures),
            origin: Arc::clone(source),
            index,
        });
    }
}
