//! The calls pages, compiled into the binary: one HTML page (`/calls` lists the calls,
//! `/calls/<id>` shows one), its script and its style sheet, and the security headers
//! every calls response carries. The page has no inline script or style, so its
//! Content-Security-Policy allows only this server's own files.

/// The page: the same document for the list and for one call; its script decides.
pub const PAGE: &str = include_str!("../../static/calls.html");

/// The page's script (`GET /calls/app.js`).
pub const SCRIPT: &str = include_str!("../../static/calls.js");

/// The page's style sheet (`GET /calls/app.css`).
pub const STYLE: &str = include_str!("../../static/calls.css");

/// The Content-Security-Policy of the calls pages and the calls API: nothing but this
/// server's own script, style sheet and API; no framing, no `<base>`, no inline code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Headers on every response of `/calls*` and `/api/calls*`, errors included.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
];

/// The small page answered instead of the calls page when the calls are off: `reason`
/// (server text, escaped all the same) and how to turn them on.
pub fn off_page(reason: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Calls are off</title></head><body>\
         <h1>The calls pages are off</h1><p>{}</p>\
         <p>To turn them on, set <code>ADMIN_TOKEN</code> (16 or more characters) and keep \
         a call store: <code>CALL_STORE_URL</code> (default \
         <code>sqlite://data/calls.db</code>; <code>off</code> keeps no calls). Then open \
         <code>/calls</code> and enter the token as the password (any user name).</p>\
         </body></html>\n",
        escape_html(reason)
    )
}

/// The text of the answer to a missing or wrong token (the browser shows its login
/// prompt first; this is what a cancelled prompt leaves on screen).
pub const LOCKED_TEXT: &str =
    "The calls are protected: enter ADMIN_TOKEN as the password (any user name).\n";

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let lower = PAGE.to_ascii_lowercase();
        for (i, _) in lower.match_indices("<script") {
            let tag_end = lower[i..].find('>').map_or(lower.len(), |e| i + e);
            assert!(lower[i..tag_end].contains("src="), "inline script at {i}");
        }
        assert!(!lower.contains("<style"), "inline style element");
        assert!(!lower.contains(" style="), "inline style attribute");
        assert!(!lower.contains("onclick=") && !lower.contains("onload="));
    }

    #[test]
    fn the_script_never_inserts_markup() {
        assert!(!SCRIPT.contains("innerHTML"));
        assert!(!SCRIPT.contains("outerHTML"));
        assert!(!SCRIPT.contains("insertAdjacentHTML"));
        assert!(!SCRIPT.contains("document.write"));
    }

    #[test]
    fn the_off_page_escapes_its_reason() {
        let page = off_page("no <b>store</b> & \"x\"");
        assert!(page.contains("no &lt;b&gt;store&lt;/b&gt; &amp; &quot;x&quot;"));
        assert!(page.contains("ADMIN_TOKEN") && page.contains("CALL_STORE_URL"));
    }
}
