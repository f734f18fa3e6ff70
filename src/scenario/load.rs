//! Loading a suite: read `fixtures.yaml` and every case file, check everything, report every
//! problem with its location.
//!
//! Nothing stops at the first problem: every file is read, and within a file that parses every
//! case is checked and built. (A file that does not parse yields one error, serde's first; the
//! YAML after it cannot be read reliably.) Nothing panics on any input.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::contract::{Platform, Role};
use crate::input;
use crate::spec::Level;
use crate::suite::{ExtraCases, SuiteIdentity};

use super::error::SourceFile;
use super::error::{from_yaml, FileKind, LoadError, LoadErrors};
use super::lint::{
    check_ids_and_requirements, severity_override, short_fixture_secrets, short_secrets, CaseRef,
};
use super::model::{Case, CaseFile, Fixtures};
use super::resolve::{
    build_steps, check_structure, negative_leeway, BuildError, BuiltStep, FieldError, DEFAULT_NOW,
    DEFAULT_WORKSPACE,
};
use super::source::case_path;
use super::source::{parse_options, FieldPath, Loc};

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
    /// The suite's version and digest, and the extra cases beside it.
    pub identity: SuiteIdentity,
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

/// Where a suite is read from: the suite the harness carries, or a cases directory (`--cases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteSource {
    /// The suite compiled into the harness (the files of `cases/`, embedded at build time).
    Embedded,
    /// A directory holding `fixtures.yaml` and the area folders.
    Dir(PathBuf),
}

impl SuiteSource {
    /// Load and check the suite (see `load_suite`).
    #[doc(hidden)]
    pub fn load(&self) -> Result<Suite, LoadErrors> {
        Suite::load_with(self, &[])
    }
}

impl From<&Path> for SuiteSource {
    fn from(dir: &Path) -> Self {
        SuiteSource::Dir(dir.to_path_buf())
    }
}

impl From<PathBuf> for SuiteSource {
    fn from(dir: PathBuf) -> Self {
        SuiteSource::Dir(dir)
    }
}

impl From<&PathBuf> for SuiteSource {
    fn from(dir: &PathBuf) -> Self {
        SuiteSource::Dir(dir.clone())
    }
}

impl From<&str> for SuiteSource {
    fn from(dir: &str) -> Self {
        SuiteSource::Dir(PathBuf::from(dir))
    }
}

impl From<String> for SuiteSource {
    fn from(dir: String) -> Self {
        SuiteSource::Dir(PathBuf::from(dir))
    }
}

impl Suite {
    /// The suite the harness carries, checked as [`load_suite`] checks a directory. Its files
    /// are named `cases/<area>/<file>.yaml` in messages, as in the harness's repository.
    pub fn embedded() -> Result<Suite, LoadErrors> {
        Suite::load_with(&SuiteSource::Embedded, &[])
    }

    /// The suite under `dir` (see [`load_suite`]).
    pub fn load(dir: &Path) -> Result<Suite, LoadErrors> {
        Suite::load_with(&SuiteSource::Dir(dir.to_path_buf()), &[])
    }

    /// The suite of `base`, with the case files of each `extra` directory beside it: the same
    /// format and checks, the base suite's fixtures (an extra directory holds area folders of
    /// case files, and no `fixtures.yaml`), ids unique across all of them.
    pub fn load_with(base: &SuiteSource, extra: &[PathBuf]) -> Result<Suite, LoadErrors> {
        let base = match base {
            SuiteSource::Embedded => Root {
                tree: Tree::Embedded,
                label: PathBuf::from(EMBEDDED_LABEL),
                source: "embedded".into(),
            },
            SuiteSource::Dir(dir) => Root {
                tree: Tree::Dir(dir),
                label: dir_label(dir),
                source: dir.display().to_string(),
            },
        };
        let extras = extra
            .iter()
            .map(|dir| {
                // Named as given; `./cases` when that would read like the suite's own files.
                let mut label = dir.clone();
                if label == base.label {
                    label = Path::new(".").join(label);
                }
                Root {
                    tree: Tree::Dir(dir),
                    label,
                    source: dir.display().to_string(),
                }
            })
            .collect::<Vec<_>>();
        load_roots(&base, &extras)
    }
}

/// How the embedded suite's directory is named in messages and case locations.
const EMBEDDED_LABEL: &str = "cases";

/// Load, check and build every case under `cases_dir`: `fixtures.yaml` and every other
/// `**/*.yaml`, in sorted path order. Either every case is sound, or every problem is reported.
///
/// Checked: YAML syntax and the case format (unknown fields, types), one body per case, coherent
/// expectations and levels, fixture workspaces, keys and secret references, time expressions,
/// every template and tamper op (each case is built once at its own `now`), ids unique across
/// files, requirement ids known to [`crate::spec`], no secret an implementation is handed under 32
/// bytes outside a short-key case (`short_secrets`). Not checked here: coverage of the spec (see
/// [`coverage_gaps`](super::coverage_gaps)).
pub fn load_suite(cases_dir: &Path) -> Result<Suite, LoadErrors> {
    Suite::load(cases_dir)
}

/// Where the files of one tree of cases are read.
enum Tree<'a> {
    Dir(&'a Path),
    Embedded,
}

impl Tree<'_> {
    fn list(&self) -> std::io::Result<Listing> {
        match self {
            Tree::Dir(dir) => list_files(dir),
            Tree::Embedded => {
                let mut files: Vec<PathBuf> = crate::suite::embedded_files()
                    .filter(|(path, _)| crate::suite::is_suite_file(path))
                    .map(|(path, _)| PathBuf::from(path))
                    .collect();
                files.sort();
                Ok(Listing {
                    files,
                    problems: Vec::new(),
                })
            }
        }
    }

    fn read(&self, relative: &Path) -> std::io::Result<Cow<'static, [u8]>> {
        match self {
            Tree::Dir(dir) => {
                input::read_bytes(&dir.join(relative), input::FILE_LIMIT).map(Cow::Owned)
            }
            Tree::Embedded => crate::suite::embedded_file(&slashed(relative))
                .map(Cow::Borrowed)
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }
}

/// A relative path written with `/`, as the digest and the embedded table name files.
fn slashed(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// One tree of cases being loaded: where, how it is named in messages, and where it came from.
struct Root<'a> {
    tree: Tree<'a>,
    label: PathBuf,
    source: String,
}

/// The base suite (with the fixtures) and the extra trees beside it, loaded as one suite.
fn load_roots(base: &Root, extras: &[Root]) -> Result<Suite, LoadErrors> {
    let dir = base.label.clone();
    let mut errors = Vec::new();
    let mut listings = Vec::new();
    for (index, root) in std::iter::once(base).chain(extras).enumerate() {
        match root.tree.list() {
            Ok(Listing { files, problems }) => {
                errors.extend(problems.into_iter().map(|(relative, message)| {
                    LoadError::new(root.label.join(relative), message)
                        .hint(Some("fix the link, or remove it".into()))
                }));
                listings.push(files);
            }
            Err(error) => {
                let (what, hint) = if index == 0 {
                    (
                        "the cases directory",
                        "pass the directory that holds fixtures.yaml and the area folders",
                    )
                } else {
                    (
                        "the extra cases directory",
                        "pass a directory that holds area folders of case files",
                    )
                };
                errors.push(
                    LoadError::new(
                        root.label.join(""),
                        format!("cannot read {what} {}: {error}", root.source),
                    )
                    .hint(Some(hint.into())),
                );
                if index == 0 {
                    return Err(LoadErrors { errors });
                }
                listings.push(Vec::new());
            }
        }
    }

    // What each tree's digest is computed over: the files read, by relative path.
    let mut read: Vec<Vec<(String, Cow<'static, [u8]>)>> = vec![Vec::new(); listings.len()];
    let fixtures = load_fixtures(base, &mut read[0], &mut errors).map(Arc::new);

    let mut cases = Vec::new();
    let mut counts = vec![0; listings.len()];
    let mut parsed = Vec::new();
    for (index, (root, files)) in std::iter::once(base)
        .chain(extras)
        .zip(&listings)
        .enumerate()
    {
        for relative in files {
            let shown = root.label.join(relative);
            if relative.as_path() == Path::new(FIXTURES_FILE) {
                if index > 0 {
                    errors.push(
                        LoadError::new(
                            shown,
                            format!(
                                "extra cases run with the suite's fixtures ({}); this file would be ignored",
                                dir.join(FIXTURES_FILE).display()
                            ),
                        )
                        .hint(Some(
                            "use the suite's workspaces and keys and remove this file, or export the suite                              (`messenger-conformance suite export DIR`), add your workspaces and cases to it                              and run it with --cases DIR"
                                .into(),
                        )),
                    );
                }
                continue;
            }
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
                            format!(
                                "move it to {}/<area>/{}",
                                root.label.display(),
                                relative.display()
                            ),
                        )),
                    );
                    continue;
                }
            };
            let Some(bytes) = read_file(&root.tree, relative, &shown, FileKind::Cases, &mut errors)
            else {
                continue;
            };
            let parsed_file = parse_yaml::<CaseFile>(&bytes, &shown, FileKind::Cases, &mut errors);
            read[index].push((slashed(relative), bytes));
            let Some((source, file)) = parsed_file else {
                continue;
            };
            let source = Arc::new(source);
            parsed.extend(file.cases.iter().enumerate().map(|(index, case)| CaseRef {
                id: case.id.clone(),
                requirements: case.requirements.clone(),
                origin: Arc::clone(&source),
                index,
            }));
            let before = cases.len();
            load_cases(
                file,
                &source,
                &area,
                fixtures.as_ref(),
                &mut cases,
                &mut errors,
            );
            counts[index] += cases.len() - before;
        }
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
    let digest_of = |files: &[(String, Cow<'static, [u8]>)]| {
        crate::suite::digest(
            files
                .iter()
                .map(|(path, bytes)| (path.clone(), bytes.as_ref())),
        )
    };
    let mut identity = SuiteIdentity::new(base.source.clone(), digest_of(&read[0]), counts[0]);
    identity.extra = extras
        .iter()
        .enumerate()
        .map(|(i, root)| ExtraCases {
            dir: root.source.clone(),
            digest: digest_of(&read[i + 1]),
            cases: counts[i + 1],
        })
        .collect();
    Ok(Suite {
        cases,
        fixtures,
        dir,
        identity,
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

/// Read one file of a tree; on failure, record the error and return `None`.
fn read_file(
    tree: &Tree,
    relative: &Path,
    shown: &Path,
    kind: FileKind,
    errors: &mut Vec<LoadError>,
) -> Option<Cow<'static, [u8]>> {
    match tree.read(relative) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            let mut load_error = LoadError::new(shown, format!("cannot read the file: {error}"));
            if kind == FileKind::Fixtures && error.kind() == std::io::ErrorKind::NotFound {
                load_error = load_error.hint(Some(
                    "every cases directory has a fixtures.yaml with the workspaces cases run against".into(),
                ));
            }
            errors.push(load_error);
            None
        }
    }
}

/// Parse one file's bytes; on failure, record the error and return `None`.
fn parse_yaml<T: DeserializeOwned>(
    bytes: &[u8],
    shown: &Path,
    kind: FileKind,
    errors: &mut Vec<LoadError>,
) -> Option<(SourceFile, T)> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            errors.push(not_utf8(shown, bytes, &error));
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

fn load_fixtures(
    base: &Root,
    read: &mut Vec<(String, Cow<'static, [u8]>)>,
    errors: &mut Vec<LoadError>,
) -> Option<Fixtures> {
    let shown = base.label.join(FIXTURES_FILE);
    let relative = Path::new(FIXTURES_FILE);
    let bytes = read_file(&base.tree, relative, &shown, FileKind::Fixtures, errors)?;
    let parsed = parse_yaml::<Fixtures>(&bytes, &shown, FileKind::Fixtures, errors);
    read.push((FIXTURES_FILE.to_string(), bytes));
    let (source, fixtures) = parsed?;
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
fn check_fixtures(fixtures: &Fixtures) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let root = FieldPath::root();
    if !fixtures.workspaces.contains_key(DEFAULT_WORKSPACE) {
        problems.push(
            FieldError::new(
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
                FieldError::new(
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
                FieldError::new(
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
                FieldError::new(
                    &at.key("platforms"),
                    format!("workspace `{name}` has no {} settings", missing.join(", ")),
                )
                .hint("configure web, ios and android in every workspace"),
            );
        }
        let mut seen = Vec::new();
        for (i, key) in workspace.jwt_keys.iter().enumerate() {
            if seen.contains(&key.id.as_str()) {
                problems.push(FieldError::new(
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
            problems.push(FieldError::new(
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
        problems.extend(severity_override(&case));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_suite_is_the_checkout_suite() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let embedded = Suite::embedded().unwrap_or_else(|e| panic!("{e}"));
        let loaded = Suite::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let located = |suite: &Suite| -> Vec<(String, String)> {
            suite
                .cases
                .iter()
                .map(|c| (c.id.clone(), c.location()))
                .collect()
        };
        // Same cases, same order, and the same `cases/<area>/<file>:line:column` locations.
        assert_eq!(located(&embedded), located(&loaded));
        assert!(embedded.cases[0].location().starts_with("cases/"));
        assert_eq!(embedded.identity.digest, loaded.identity.digest);
        assert_eq!(embedded.identity.digest, crate::suite::embedded_digest());
        assert_eq!(
            embedded.identity.version.as_deref(),
            Some(crate::suite::VERSION)
        );
        assert_eq!(
            loaded.identity.version.as_deref(),
            Some(crate::suite::VERSION)
        );
        assert_eq!(embedded.identity.source, "embedded");
        assert_eq!(embedded.identity.cases, embedded.cases.len());
        assert!(embedded.identity.extra.is_empty());
    }

    #[test]
    fn extra_cases_are_counted_and_digested_on_their_own() {
        let dir = std::env::temp_dir().join(format!("mc-extra-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("team")).unwrap();
        let case = "cases:\n  - id: TEAM-1\n    title: t\n    requirements: [JWT-ALG]\n    level: must\n    request:\n      platform: web\n      jwt:\n        claims: {user_id: u-1, exp: now+1h}\n        sign: {key: k-web}\n    expect: {outcome: accepted, verified: true, identity: {user_id: u-1}}\n";
        std::fs::write(dir.join("team/a.yaml"), case).unwrap();
        let suite = Suite::load_with(&SuiteSource::Embedded, std::slice::from_ref(&dir))
            .unwrap_or_else(|e| panic!("{e}"));
        let plain = Suite::embedded().unwrap();
        assert_eq!(suite.cases.len(), plain.cases.len() + 1);
        assert_eq!(suite.identity.digest, plain.identity.digest);
        assert_eq!(suite.identity.cases, plain.cases.len());
        let extra = &suite.identity.extra[0];
        assert_eq!(extra.cases, 1);
        assert_eq!(
            extra.digest,
            crate::suite::digest([("team/a.yaml".to_string(), case.as_bytes())])
        );
        let last = suite.cases.last().unwrap();
        assert_eq!(last.area, "team");
        assert_eq!(last.file, dir.join("team/a.yaml"));
        // An extra directory that cannot be read is an error of its own; the suite still loads.
        let missing = dir.join("nope");
        let errors = Suite::load_with(&SuiteSource::Embedded, &[missing]).unwrap_err();
        assert_eq!(errors.errors.len(), 1, "{errors}");
        assert!(
            errors
                .to_string()
                .contains("cannot read the extra cases directory"),
            "{errors}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
