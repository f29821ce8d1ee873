//! The optional access token protecting the page and `/authorize` (pure): accepted as the
//! password of HTTP Basic authentication (any user name), so a browser asks for it once,
//! or as a Bearer token.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// True when the `Authorization` header carries `token`.
pub fn is_granted(authorization: Option<&str>, token: &str) -> bool {
    let Some(value) = authorization else {
        return false;
    };
    let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
    let presented = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let Ok(decoded) = STANDARD.decode(credentials.trim()) else {
            return false;
        };
        let text = String::from_utf8_lossy(&decoded).to_string();
        match text.split_once(':') {
            Some((_, password)) => password.to_string(),
            None => return false,
        }
    } else {
        return false;
    };
    crate::secret::constant_time_eq(presented.as_bytes(), token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_credentials_are_accepted() {
        // "anyone:correct horse" in base64.
        assert!(is_granted(
            Some("Basic YW55b25lOmNvcnJlY3QgaG9yc2U="),
            "correct horse"
        ));
        assert!(is_granted(Some("Bearer correct horse"), "correct horse"));
        assert!(is_granted(Some("bearer  correct horse"), "correct horse"));
    }

    #[test]
    fn anything_else_is_refused() {
        for header in [
            None,
            Some(""),
            Some("Bearer wrong"),
            Some("Basic !!!"),
            Some("Basic YW55b25l"),
            Some("Token correct horse"),
        ] {
            assert!(!is_granted(header, "correct horse"), "{header:?}");
        }
    }
}
