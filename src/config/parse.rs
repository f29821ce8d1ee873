//! Reading one variable: the error that names it and the parsers every area shares
//! (numbers, positive numbers, milliseconds, booleans).

use std::time::Duration;

/// How the areas read a variable: its value if set and not blank.
pub(super) type Get<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// Why the configuration was rejected; every message names the variable. Reading the
/// environment collects every problem it finds: the first is `variable` and `problem`,
/// the others are in `also`, and the message puts each on its own line.
#[derive(Debug, PartialEq)]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
    /// Further problems found in the same reading, in the order they were found.
    pub also: Vec<ConfigError>,
}

impl ConfigError {
    pub(super) fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
            also: Vec::new(),
        }
    }

    /// Every problem, the first one first, each with its own variable and no `also`.
    pub fn all(&self) -> Vec<(&'static str, &str)> {
        std::iter::once((self.variable, self.problem.as_str()))
            .chain(self.also.iter().flat_map(ConfigError::all))
            .collect()
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self
            .all()
            .into_iter()
            .map(|(variable, problem)| format!("{variable}: {problem}"))
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

/// The problems found so far while reading the settings, so that one run reports them all.
#[derive(Default)]
pub(super) struct Problems(std::cell::RefCell<Vec<ConfigError>>);

impl Problems {
    /// The value, or `None` with its error kept.
    pub(super) fn take<T>(&self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|e| self.0.borrow_mut().push(e)).ok()
    }

    /// The value, or `T::default()` with its error kept: for an area that reads on after
    /// a bad value, and is refused by [`Problems::finish`] in the end.
    pub(super) fn value<T: Default>(&self, result: Result<T, ConfigError>) -> T {
        self.take(result).unwrap_or_default()
    }

    /// `Err` listing every problem kept, `Ok` when there is none.
    pub(super) fn finish(self) -> Result<(), ConfigError> {
        self.into_error().map_or(Ok(()), Err)
    }

    /// Keeps `error`.
    pub(super) fn push(&self, error: ConfigError) {
        self.0.borrow_mut().push(error);
    }

    /// Whether a problem was found.
    pub(super) fn any(&self) -> bool {
        !self.0.borrow().is_empty()
    }

    /// One error listing every problem kept; `None` when there is none.
    pub(super) fn into_error(self) -> Option<ConfigError> {
        let mut all = self.0.into_inner().into_iter();
        let mut first = all.next()?;
        first.also.extend(all);
        Some(first)
    }
}

/// `raw` parsed as a `T`, or an error naming `variable` and quoting the value.
pub(super) fn parse_value<T: std::str::FromStr>(
    variable: &'static str,
    raw: &str,
) -> Result<T, ConfigError> {
    raw.trim()
        .parse()
        .map_err(|_| ConfigError::new(variable, format!("`{raw}` is not a valid value")))
}

/// `raw` parsed as a `T`, or `default` when the variable is unset.
pub(super) fn parse_or<T: std::str::FromStr>(
    variable: &'static str,
    raw: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    raw.map_or(Ok(default), |v| parse_value(variable, &v))
}

/// Like [`parse_or`], and the value must be above zero.
pub(super) fn positive<T>(
    variable: &'static str,
    raw: Option<String>,
    default: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    let value = parse_or(variable, raw, default)?;
    if value <= T::default() {
        return Err(ConfigError::new(variable, "must be at least 1"));
    }
    Ok(value)
}

/// A whole number of milliseconds, at least 1, or `default_ms` when unset.
pub(super) fn millis(
    variable: &'static str,
    raw: Option<String>,
    default_ms: u64,
) -> Result<Duration, ConfigError> {
    let ms: u64 = parse_or(variable, raw, default_ms)?;
    if ms == 0 {
        return Err(ConfigError::new(
            variable,
            "must be at least 1 (milliseconds)",
        ));
    }
    Ok(Duration::from_millis(ms))
}

/// `true`/`1`/`yes` or `false`/`0`/`no` (any case); unset is `false`.
pub(super) fn parse_bool(variable: &'static str, raw: Option<String>) -> Result<bool, ConfigError> {
    match raw
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(ConfigError::new(
            variable,
            format!("`{other}` is not `true` or `false`"),
        )),
    }
}

/// A lookup over `pairs` (the first value of a name), for the areas' unit tests.
#[cfg(test)]
pub(super) fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}
