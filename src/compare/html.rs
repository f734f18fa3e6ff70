//! `compare.html`: one self-contained page, no network (the Content-Security-Policy of
//! `report.html`).

use std::fmt::Write as _;

use super::Comparison;
use crate::report::escape::html_escape as esc;

/// The page.
pub fn render(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>Messenger conformance: {} implementations</title>\n</head>\n<body>\n<pre>{}</pre>\n</body>\n</html>\n",
        comparison.implementations.len(),
        esc(&super::render::terminal(comparison))
    );
    out
}
