//! Reading one variable: the error that names it and the parsers every area shares
//! (numbers, positive numbers, milliseconds, booleans).

use std::time::Duration;

/// How the areas read a variable: its value if set and not blank.
pub(super) type Get<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// Why the configuration was rejected; every message names the variable.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    pub(super) fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
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
