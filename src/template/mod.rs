//! Prompt templates rendered per turn from the caller's context.
//!
//! The system prompt file and a few phrases may be written as Jinja templates, e.g.
//! `You are talking to {{ metadata.name | default("a guest") }}. It is {{ now }}.`
//! A [`Template`] is compiled once at start-up (a syntax error stops the server with the
//! template's name and line) and rendered for every turn with a [`CallContext`] and the
//! clock of a [`Now`]. Rendering never fails: a prompt is always produced.
//!
//! Variables a template may use: `metadata` (object), `from_phone_number` and
//! `to_phone_number` (strings, undefined when unknown), `conversation_id`, `agent`,
//! `client` (object) and `now` (the current moment in words, see [`Now::words`]).
//! Undefined values, and attributes of undefined values, render as nothing. Nothing is
//! HTML-escaped: these are prompts, not pages.

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

mod context;
mod now;
mod syntax;

pub use context::CallContext;
pub use now::Now;
pub use syntax::TemplateError;

use context::variables;
use syntax::{describe, strip_template_syntax, uses_template_syntax};

/// A named template, compiled at start-up.
///
/// A text without template syntax (`{{`, `{%` or `{#`) is kept as plain text and renders as
/// itself without touching the engine.
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    source: String,
    /// The engine holding the compiled template (under `name`); `None` for plain text.
    engine: Option<Arc<Environment<'static>>>,
}

impl Template {
    /// Compiles `source`; `name` is what errors call it (a file path like
    /// "prompts/system.md" or a variable like "WELCOME_MESSAGE").
    ///
    /// Err: a [`TemplateError`] whose Display is "{name}: line {line}: {message}", for a
    /// syntax error, or for an unknown filter, test or function that a trial render with
    /// [`CallContext::sample`] reaches.
    pub fn new(name: &str, source: &str) -> Result<Template, TemplateError> {
        Template::compile(name, source, Printing::Text)
    }

    /// Compiles `source` as a URL (or a piece of one), like [`Template::new`] except that
    /// every value a `{{ … }}` prints is percent-encoded as a path segment (all but
    /// `A-Z a-z 0-9 - . _ ~` is encoded), so a caller's value cannot add a path segment, a
    /// query or a fragment; a value that is `.` or `..` (which would move up the path) is a
    /// render error. A value passed through `| safe` is printed as it is.
    pub fn for_url(name: &str, source: &str) -> Result<Template, TemplateError> {
        Template::compile(name, source, Printing::UrlSegment)
    }

    fn compile(name: &str, source: &str, output: Printing) -> Result<Template, TemplateError> {
        if !uses_template_syntax(source) {
            return Ok(Template::plain_named(name, source));
        }
        let mut env = Environment::new();
        // Lenient: `metadata.a.b` on a missing `a` renders as nothing rather than failing.
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        // Prompts, not HTML: never escape, whatever the name ends with (.html, .md, ...).
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // A file's final newline is part of the text, as it is for a plain template.
        let mut syntax = SyntaxConfig::builder();
        syntax.keep_trailing_newline(true);
        // Building fails only for custom delimiters, and these are the default ones.
        if let Ok(syntax) = syntax.build() {
            env.set_syntax(syntax);
        }
        if output == Printing::UrlSegment {
            env.set_formatter(url_segment_formatter);
        }
        env.add_template_owned(name.to_string(), source.to_string())
            .map_err(|error| TemplateError {
                name: name.to_string(),
                line: error.line().unwrap_or(1),
                message: describe(&error),
            })?;
        let template = Template {
            name: name.to_string(),
            source: source.to_string(),
            engine: Some(Arc::new(env)),
        };
        template.check_names()?;
        Ok(template)
    }

    /// The engine looks filters, tests and functions up only when it renders, so a typo like
    /// `{{ name | uper }}` parses. A trial render with [`CallContext::sample`] finds those
    /// in the parts the sample reaches and turns them into a compile error; other runtime
    /// errors depend on the caller's values and are left to [`Template::render`].
    fn check_names(&self) -> Result<(), TemplateError> {
        let Err(error) = self.render_with(variables(&CallContext::sample("default"), "now")) else {
            return Ok(());
        };
        match error.kind() {
            ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction => {
                Err(TemplateError {
                    name: self.name.clone(),
                    line: error.line().unwrap_or(1),
                    message: describe(&error),
                })
            }
            _ => Ok(()),
        }
    }

    /// A plain text that is not a template (never fails, renders as itself).
    pub fn plain(text: &str) -> Template {
        Template::plain_named("plain text", text)
    }

    fn plain_named(name: &str, text: &str) -> Template {
        Template {
            name: name.to_string(),
            source: text.to_string(),
            engine: None,
        }
    }

    /// What errors and logs call this template.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the text uses template syntax at all.
    pub fn is_dynamic(&self) -> bool {
        self.engine.is_some()
    }

    /// Renders with `context` and `now`. Never fails.
    ///
    /// Undefined values render as nothing. When rendering hits a runtime error (say, `+` on
    /// a number and a string), the error's kind and line are logged with `tracing::warn!`
    /// (the template's name, never a variable's value) and the template is rendered again
    /// with no variables at all, so its fixed text still reaches the model; if that fails
    /// too, the result is the source with every `{{ … }}`, `{% … %}` and `{# … #}` span
    /// removed.
    pub fn render(&self, context: &CallContext, now: &Now) -> String {
        if self.engine.is_none() {
            return self.source.clone();
        }
        let words = now.words();
        let variables = variables(context, &words);
        match self.render_with(variables) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(
                    template = %self.name,
                    kind = %error.kind(),
                    line = error.line(),
                    "template failed to render; rendering it without variables"
                );
                self.render_with(Value::from(()))
                    .unwrap_or_else(|_| strip_template_syntax(&self.source))
            }
        }
    }

    /// Renders with `context` and `now`, or `None` when rendering hits a runtime error (its
    /// kind and line are logged with `tracing::warn!`, never a value). For texts where a
    /// fallback would do harm, like a URL: better no request than one to the wrong place.
    pub fn render_strict(&self, context: &CallContext, now: &Now) -> Option<String> {
        if self.engine.is_none() {
            return Some(self.source.clone());
        }
        let words = now.words();
        match self.render_with(variables(context, &words)) {
            Ok(text) => Some(text),
            Err(error) => {
                tracing::warn!(
                    template = %self.name,
                    kind = %error.kind(),
                    line = error.line(),
                    "template failed to render"
                );
                None
            }
        }
    }
}

/// How a template prints the values of `{{ … }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printing {
    /// As text, unescaped.
    Text,
    /// Percent-encoded as a URL path segment.
    UrlSegment,
}

/// What a URL template's `{{ … }}` keeps unencoded: RFC 3986's unreserved characters.
const URL_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Prints a value of a URL template: percent-encoded, unless marked safe.
fn url_segment_formatter(
    out: &mut minijinja::Output<'_>,
    _state: &mut minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = value.to_string();
    if value.is_safe() {
        return Ok(out.write_str(&text)?);
    }
    if text == "." || text == ".." {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "a value in a URL cannot be \".\" or \"..\"",
        ));
    }
    for piece in percent_encoding::utf8_percent_encode(&text, URL_SEGMENT) {
        out.write_str(piece)?;
    }
    Ok(())
}

impl Template {
    /// Renders with `variables`; plain text renders as itself.
    fn render_with(&self, variables: Value) -> Result<String, minijinja::Error> {
        match &self.engine {
            Some(engine) => engine.get_template(&self.name)?.render(variables),
            None => Ok(self.source.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
