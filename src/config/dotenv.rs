//! `.env`: variables for local development, read before the settings. The file is looked
//! for in the working directory and then its parents (as `dotenvy` does); a missing file
//! is normal (production sets the environment). Variables already set in the environment
//! win over the file's. A line that does not parse stops start-up naming the file, line
//! and column, without quoting the line (it may hold a key).

use std::path::{Path, PathBuf};

/// The `.env` file that applies: in the working directory or the nearest parent.
fn find_dotenv() -> Option<PathBuf> {
    let dir = std::env::current_dir().ok()?;
    dir.ancestors()
        .map(|d| d.join(".env"))
        .find(|path| path.is_file())
}

/// Sets the variables of the nearest `.env` that the environment does not already set.
/// `Ok(None)` when there is no `.env`; `Err` names the file and the line at fault.
pub fn load_dotenv() -> Result<Option<PathBuf>, String> {
    let Some(path) = find_dotenv() else {
        return Ok(None);
    };
    match dotenvy::from_path(&path) {
        Ok(()) => Ok(Some(path)),
        Err(dotenvy::Error::LineParse(fragment, index)) => {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            Err(line_problem(&path, &text, &fragment, index))
        }
        Err(dotenvy::Error::Io(e)) => Err(format!("{}: cannot read the file: {e}", path.display())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Where in `text` the parser stopped: `fragment` is the line (or the value of the line)
/// it could not parse and `index` the character at fault in it.
pub(super) fn line_problem(path: &Path, text: &str, fragment: &str, index: usize) -> String {
    const RULE: &str = "cannot parse this line: each line is NAME=value or a # comment, \
                        and a value with spaces needs quotes";
    let Some(start) = text.find(fragment) else {
        return format!("{}: {RULE}", path.display());
    };
    let offset = start
        + fragment
            .char_indices()
            .nth(index)
            .map_or(fragment.len(), |(i, _)| i);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}: line {line}, column {column}: {RULE}", path.display())
}
