//! Layercode webhook signatures: `layercode-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`
//! over `t + "." + raw body`. Pure: the caller passes the current time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Largest accepted distance between the signed timestamp and now, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was rejected. Every variant becomes a `401`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// No `layercode-signature` header.
    #[error("missing layercode-signature header")]
    Missing,
    /// The header is not `t=<digits>,v1=<64 hex digits>`.
    #[error("malformed layercode-signature header")]
    Malformed,
    /// The timestamp is more than five minutes away from now.
    #[error("signature timestamp is outside the allowed five minutes")]
    Stale,
    /// No `v1` value matches the body.
    #[error("signature does not match the request body")]
    Mismatch,
}

/// Checks `header` against `body` signed with `secret`, at time `now` (unix seconds).
///
/// Stricter than Layercode's own SDK: exactly one `t`, every part must be well formed,
/// the digest compare is constant time, and any of several `v1` values may match
/// (so a secret rotation that sends two signatures works).
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let parsed = fresh_header(header, now)?;
    let mac = signed_mac(secret, parsed.t, body);
    let matches = parsed
        .v1
        .iter()
        .any(|digest| mac.clone().verify_slice(digest).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Everything [`verify`] checks that does not need the body: the header is present, well
/// formed, and its timestamp fresh. Enough to refuse a request before reading its body.
pub fn precheck(header: Option<&str>, now: i64) -> Result<(), SignatureError> {
    fresh_header(header, now).map(|_| ())
}

fn fresh_header(header: Option<&str>, now: i64) -> Result<ParsedHeader<'_>, SignatureError> {
    let parsed = parse_header(header.ok_or(SignatureError::Missing)?)?;
    let t: i64 = parsed.t.parse().map_err(|_| SignatureError::Malformed)?;
    if now.abs_diff(t) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(parsed)
}

/// Computes the header value Layercode would send for `body` at time `t`.
/// Used by tests and by clients that sign webhooks (e.g. a terminal chat).
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let digest = signed_mac(secret, &t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(digest))
}

fn signed_mac(secret: &[u8], t: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

struct ParsedHeader<'a> {
    t: &'a str,
    v1: Vec<[u8; 32]>,
}

fn parse_header(header: &str) -> Result<ParsedHeader<'_>, SignatureError> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                let valid = !value.is_empty()
                    && value.len() <= 12
                    && value.bytes().all(|b| b.is_ascii_digit());
                if t.is_some() || !valid {
                    return Err(SignatureError::Malformed);
                }
                t = Some(value);
            }
            "v1" => {
                let mut digest = [0u8; 32];
                hex::decode_to_slice(value, &mut digest).map_err(|_| SignatureError::Malformed)?;
                v1.push(digest);
            }
            // Future schemes (v2=…) are ignored rather than rejected.
            _ => {}
        }
    }
    match t {
        Some(t) if !v1.is_empty() => Ok(ParsedHeader { t, v1 }),
        _ => Err(SignatureError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"type":"message","turn_id":"t1"}"#;
    const T: i64 = 1_700_000_000;
    const SPEC_VECTOR: &str = "34929825a1e453ab84f2b9cfafb8717761a80679185be18b1714c9b17911b6f3";

    #[test]
    fn matches_the_specification_test_vector() {
        assert_eq!(sign(SECRET, T, BODY), format!("t={T},v1={SPEC_VECTOR}"));
        let header = format!("t={T},v1={SPEC_VECTOR}");
        assert_eq!(verify(SECRET, Some(&header), BODY, T), Ok(()));
    }

    #[test]
    fn uppercase_hex_and_spaces_after_commas_are_accepted() {
        let header = format!("t={T}, v1={}", SPEC_VECTOR.to_uppercase());
        assert_eq!(verify(SECRET, Some(&header), BODY, T), Ok(()));
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let other = "00".repeat(32);
        let header = format!("t={T},v1={other},v1={SPEC_VECTOR}");
        assert_eq!(verify(SECRET, Some(&header), BODY, T), Ok(()));
    }

    #[test]
    fn rejections_are_classified() {
        let good = format!("t={T},v1={SPEC_VECTOR}");
        let cases: Vec<(Option<String>, &[u8], i64, SignatureError)> = vec![
            (None, BODY, T, SignatureError::Missing),
            (Some(String::new()), BODY, T, SignatureError::Malformed),
            (Some("garbage".into()), BODY, T, SignatureError::Malformed),
            (
                Some(format!("v1={SPEC_VECTOR}")),
                BODY,
                T,
                SignatureError::Malformed,
            ),
            (Some(format!("t={T}")), BODY, T, SignatureError::Malformed),
            (
                Some(format!("t=abc,v1={SPEC_VECTOR}")),
                BODY,
                T,
                SignatureError::Malformed,
            ),
            (
                Some(format!("t=-5,v1={SPEC_VECTOR}")),
                BODY,
                T,
                SignatureError::Malformed,
            ),
            (
                Some(format!("t={T},t={T},v1={SPEC_VECTOR}")),
                BODY,
                T,
                SignatureError::Malformed,
            ),
            (
                Some(format!("t={T},v1=xyz")),
                BODY,
                T,
                SignatureError::Malformed,
            ),
            (
                Some(format!("t={T},v1={}", &SPEC_VECTOR[..62])),
                BODY,
                T,
                SignatureError::Malformed,
            ),
            (Some(good.clone()), BODY, T + 301, SignatureError::Stale),
            (Some(good.clone()), BODY, T - 301, SignatureError::Stale),
            (
                Some(good.clone()),
                br#"{"type":"message","turn_id":"t2"}"#,
                T,
                SignatureError::Mismatch,
            ),
            (
                Some(good.replace("349", "348")),
                BODY,
                T,
                SignatureError::Mismatch,
            ),
        ];
        for (header, body, now, expected) in cases {
            // All but a mismatch are found without the body.
            let without_body = match &expected {
                SignatureError::Mismatch => Ok(()),
                other => Err(other.clone()),
            };
            assert_eq!(precheck(header.as_deref(), now), without_body, "{header:?}");
            assert_eq!(
                verify(SECRET, header.as_deref(), body, now),
                Err(expected),
                "{header:?}"
            );
        }
    }

    #[test]
    fn exactly_five_minutes_is_still_fresh() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(verify(SECRET, Some(&header), BODY, T + 300), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), BODY, T - 300), Ok(()));
    }

    #[test]
    fn wrong_secret_is_a_mismatch() {
        let header = sign(b"whsec_other", T, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, T),
            Err(SignatureError::Mismatch)
        );
    }
}
