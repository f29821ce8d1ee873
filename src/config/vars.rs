//! [`Vars`]: the environment as the configuration read it, kept for what start-up loads
//! later (`${VAR}` in tool, MCP server and agent files, and the settings an agent file
//! leaves out). The only way past `config/` to a variable's value.

use std::fmt;
use std::sync::Arc;

/// How a variable is looked up by name.
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// A variable's value by name: set and not blank, or `None`.
#[derive(Clone)]
pub struct Vars(Arc<Lookup>);

impl Vars {
    /// Variables read through `lookup`; blank values count as unset.
    pub(super) fn new<F>(lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        Self(Arc::new(move |name: &str| {
            lookup(name).filter(|v| !v.trim().is_empty())
        }))
    }

    /// The value of `name`, if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets; none is ever shown.
        f.write_str("Vars(..)")
    }
}
