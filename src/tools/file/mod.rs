//! Loading and checking tool files: one `*.toml` per tool, the file stem being its name.
//! Every problem is a [`ToolFileError`] naming the file and the field, and stops start-up.
//! No error message ever holds a resolved `${VAR}` value.

mod parse;
mod schema;
mod secrets;
pub(super) mod url;

use std::fmt;
use std::path::{Path, PathBuf};

use super::tool::Tool;
use crate::template::TemplateError;

pub(in crate::tools) use parse::parse_tool;

/// Why a tool file could not be loaded. `Display` is `{file}: {field}: {problem}`, or
/// `{file}: {problem}` when the problem is the whole file's.
#[derive(Debug)]
pub struct ToolFileError {
    /// The file (or the folder, when it cannot be read).
    pub file: PathBuf,
    /// The field at fault, like `headers.Authorization`; empty for whole-file problems.
    pub field: String,
    /// What is wrong, with no secret in it.
    pub problem: String,
}

impl fmt::Display for ToolFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.problem)
        } else {
            write!(
                f,
                "{}: {}: {}",
                self.file.display(),
                self.field,
                self.problem
            )
        }
    }
}

impl std::error::Error for ToolFileError {}

/// Builds a [`ToolFileError`].
fn error(file: &Path, field: impl Into<String>, problem: impl Into<String>) -> ToolFileError {
    ToolFileError {
        file: file.to_path_buf(),
        field: field.into(),
        problem: problem.into(),
    }
}

/// A template's compile error as a tool file's problem: `line N: message` (the file and
/// field are said by the [`ToolFileError`]).
fn template_problem(e: &TemplateError) -> String {
    format!("line {}: {}", e.line, e.message)
}

/// Loads every `*.toml` file in `dir`, in name order; a missing folder holds no tools.
pub(super) fn load_dir(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Tool>, ToolFileError> {
    let files = crate::toml_file::toml_files(dir)
        .map_err(|e| error(dir, "", format!("cannot read the folder: {e}")))?;
    files.iter().map(|path| load_file(path, env)).collect()
}

/// Loads one tool file; its stem is the tool's name.
fn load_file(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Tool, ToolFileError> {
    let name = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .ok_or_else(|| error(path, "", "the file name is not valid UTF-8"))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(path, "", format!("cannot read the file: {e}")))?;
    parse_tool(path, name, &text, env)
}

#[cfg(test)]
mod tests;
