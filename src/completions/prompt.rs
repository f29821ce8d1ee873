//! What becomes of the platform's system message: the agent's `platform_prompt`.

/// How the agent's prompt and the platform's system text combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlatformPrompt {
    /// The agent's prompt, then the platform's text (the default: the platform's
    /// instructions for its own tools still reach the model).
    #[default]
    Append,
    /// The agent's prompt only.
    Keep,
    /// The platform's text only (the agent's prompt when the platform sent none).
    Replace,
}

impl PlatformPrompt {
    /// `append`, `keep` or `replace`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "append" => Some(Self::Append),
            "keep" => Some(Self::Keep),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }

    /// Its name, as the settings write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Append => "append",
            Self::Keep => "keep",
            Self::Replace => "replace",
        }
    }

    /// The system prompt the model gets from the agent's (`ours`, rendered) and the
    /// platform's (`theirs`, as sent: never rendered as a template).
    pub fn combine(self, ours: &str, theirs: &str) -> String {
        let theirs = theirs.trim();
        match self {
            _ if theirs.is_empty() => ours.to_string(),
            Self::Keep => ours.to_string(),
            Self::Replace => theirs.to_string(),
            Self::Append if ours.trim().is_empty() => theirs.to_string(),
            Self::Append => format!("{}\n\n{theirs}", ours.trim_end()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PlatformPrompt;

    #[test]
    fn prompts_combine_as_the_setting_says() {
        let ours = "You are Harbor Books' agent.";
        let theirs = "Use transferCall for sales.";
        assert_eq!(
            PlatformPrompt::Append.combine(ours, theirs),
            "You are Harbor Books' agent.\n\nUse transferCall for sales."
        );
        assert_eq!(PlatformPrompt::Keep.combine(ours, theirs), ours);
        assert_eq!(PlatformPrompt::Replace.combine(ours, theirs), theirs);
        assert_eq!(PlatformPrompt::Replace.combine(ours, "  "), ours);
        assert_eq!(PlatformPrompt::Append.combine("", theirs), theirs);
        assert_eq!(
            PlatformPrompt::parse(" Replace "),
            Some(PlatformPrompt::Replace)
        );
        assert_eq!(PlatformPrompt::parse("merge"), None);
    }
}
