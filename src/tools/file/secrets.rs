//! Which `${VAR}` values of a tool file are secrets: redacted from whatever the endpoint
//! answers, in every form the request encodes them in.

use crate::secret::{Secret, MIN_SECRET_LEN};
use crate::toml_file::in_query_or_user_info;
use crate::tools::tool::Method;
use crate::tools::SEGMENT;

/// Where a tool file used a `${VAR}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Url,
    Header,
    Static,
}

/// The `${VAR}` values to redact from what an endpoint sends back: those sent in a header,
/// in the URL's query or user info, or whose variable's name says it is a secret
/// ([`SECRET_NAME_PARTS`]), or a `[static]` value a GET or DELETE sends in its query — not
/// a base URL, a path segment or a plain static id in a JSON body, which an answer may
/// rightly repeat. Only values of [`MIN_SECRET_LEN`] bytes or more, longest first (so a
/// value that contains another is redacted whole), each once, with the forms the request
/// encodes them in (query and path) when they differ.
pub(super) fn secrets(
    url_template: &str,
    method: Method,
    used: Vec<(Place, String, String)>,
) -> Vec<Secret> {
    // What the request encodes a value as: a query value (form encoding: unreserved
    // `* - . _` kept, a space as `+`), a path segment.
    const FORM: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'*')
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    let mut values: Vec<String> = Vec::new();
    for (place, var, value) in used {
        let secret = secret_name(&var)
            || place == Place::Header
            || (place == Place::Url && in_query_or_user_info(url_template, &var))
            // A GET or DELETE sends `[static]` values in the query.
            || (place == Place::Static && !method.has_body());
        if !secret || value.len() < MIN_SECRET_LEN {
            continue;
        }
        let form = percent_encoding::utf8_percent_encode(&value, FORM)
            .to_string()
            .replace("%20", "+");
        let segment = percent_encoding::utf8_percent_encode(&value, SEGMENT);
        for encoded in [form, segment.to_string()] {
            if encoded != value {
                values.push(encoded);
            }
        }
        values.push(value);
    }
    values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    values.dedup();
    values.into_iter().map(Secret::new).collect()
}

/// Parts of a variable's name that mark its value as a secret (case-insensitive).
const SECRET_NAME_PARTS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "AUTH",
    "CREDENTIAL",
    "SIGNATURE",
    "PRIVATE",
    "SESSION",
    "COOKIE",
];

fn secret_name(var: &str) -> bool {
    let upper = var.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}
