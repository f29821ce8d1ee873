//! The W3C Trace Context `traceparent` header: `00-<trace id>-<parent id>-<flags>`.

use opentelemetry::trace::{SpanContext, SpanId, TraceId};

/// The span context a `traceparent` names, when it is well formed: version `00` with
/// exactly four fields (a later version may add fields after the flags), lowercase hex of
/// the right lengths, neither id all zeros. Anything else is ignored, as the standard
/// says, and the turn starts a trace of its own.
pub fn parse_traceparent(header: &str) -> Option<SpanContext> {
    let header = header.trim();
    if header.len() > 512 {
        return None;
    }
    let mut parts = header.split('-');
    let version = parts.next()?;
    let (trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?);
    let extra = parts.next().is_some();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !hex(version, 2) || version == "ff" || (version == "00" && extra) {
        return None;
    }
    if !hex(trace, 32) || !hex(span, 16) || !hex(flags, 2) {
        return None;
    }
    let trace = TraceId::from_hex(trace).ok()?;
    let span = SpanId::from_hex(span).ok()?;
    if trace == TraceId::INVALID || span == SpanId::INVALID {
        return None;
    }
    let sampled = u8::from_str_radix(flags, 16).ok()? & 1 == 1;
    Some(super::span_context(trace, span, sampled))
}

/// `context` as a `traceparent` header value.
pub fn format_traceparent(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_header_round_trips() {
        let context = parse_traceparent(VALID).expect("valid");
        assert!(context.is_sampled());
        assert!(context.is_remote());
        assert_eq!(
            context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(format_traceparent(&context), VALID);
        let unsampled =
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
                .expect("valid");
        assert!(!unsampled.is_sampled());
    }

    #[test]
    fn a_later_version_may_carry_more_fields() {
        assert!(parse_traceparent(&format!("{}-extra", VALID.replacen("00", "01", 1))).is_some());
        assert!(parse_traceparent(&format!("{VALID}-extra")).is_none());
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for bad in [
            "",
            "00",
            "garbage",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad:?} was accepted");
        }
    }
}
