//! Writing a comparison's files into a report directory.

use std::io;
use std::path::{Path, PathBuf};

use super::{render, Comparison};

/// Write `compare.jsonl`, `compare.json`, `compare.md`, `compare.html` and `badges/NAME.json`
/// into `dir`. Returns the paths written.
pub fn write_all(dir: &Path, comparison: &Comparison) -> io::Result<Vec<PathBuf>> {
    crate::output::check_own_dir(dir)?;
    std::fs::create_dir_all(dir)?;
    let files = [
        ("compare.jsonl", render::jsonl(comparison)),
        ("compare.json", render::json(comparison)),
        ("compare.md", render::markdown(comparison)),
        ("compare.html", super::html::render(comparison)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        crate::output::write_atomically(&path, text.as_bytes())?;
        written.push(path);
    }
    let badges = dir.join("badges");
    std::fs::create_dir_all(&badges)?;
    for implementation in &comparison.implementations {
        let path = badges.join(format!("{}.json", implementation.name));
        let mut text = serde_json::to_string_pretty(&render::badge(comparison, implementation))
            .unwrap_or_default();
        text.push('\n');
        crate::output::write_atomically(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
