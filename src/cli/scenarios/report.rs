//! The results as text for a person, JSON for a program and JUnit XML for CI.

use std::io::Write;

use super::outcome::{Check, ScenarioResult};

/// Writes the text report: a block per scenario, then `N passed, M failed`.
pub fn text<W: Write>(results: &[ScenarioResult], out: &mut W) -> std::io::Result<()> {
    for result in results {
        let mark = if result.passed { "✓" } else { "✗" };
        writeln!(out, "{mark} {} ({})", result.description, result.file)?;
        for check in &result.checks {
            write_check(check, out)?;
        }
        for turn in &result.turns {
            match &turn.user {
                Some(user) => writeln!(out, "  you> {user}")?,
                None => writeln!(out, "  (welcome)")?,
            }
            let heard = if turn.heard.is_empty() {
                "(nothing)".to_string()
            } else {
                turn.heard.join(" ")
            };
            writeln!(out, "  agent> {heard}")?;
            for check in &turn.checks {
                write_check(check, out)?;
            }
            let first = turn
                .first_audio_ms
                .map_or("no audio".to_string(), |ms| format!("first audio {ms} ms"));
            writeln!(out, "    ({first}, total {} ms)", turn.total_ms)?;
        }
        writeln!(out)?;
    }
    let (passed, failed) = counts(results);
    writeln!(out, "{passed} passed, {failed} failed")
}

fn write_check<W: Write>(check: &Check, out: &mut W) -> std::io::Result<()> {
    match (&check.why, check.passed) {
        (_, true) => writeln!(out, "    ✓ {}", check.label),
        (Some(why), false) => writeln!(out, "    ✗ {}: {why}", check.label),
        (None, false) => writeln!(out, "    ✗ {}", check.label),
    }
}

/// How many scenarios passed and failed.
pub fn counts(results: &[ScenarioResult]) -> (usize, usize) {
    let passed = results.iter().filter(|r| r.passed).count();
    (passed, results.len() - passed)
}

/// The results as a JSON array.
pub fn json(results: &[ScenarioResult]) -> String {
    serde_json::to_string_pretty(results).unwrap_or_else(|_| "[]".into())
}

/// The results as JUnit XML: one testsuite, one testcase per scenario.
pub fn junit(results: &[ScenarioResult]) -> String {
    let (_, failed) = counts(results);
    let seconds =
        |r: &ScenarioResult| r.turns.iter().map(|t| t.total_ms).sum::<u64>() as f64 / 1000.0;
    let total: f64 = results.iter().map(seconds).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuite name=\"voicebridge scenarios\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" time=\"{total:.3}\">\n",
        results.len()
    ));
    for result in results {
        xml.push_str(&format!(
            "  <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
            escape(&result.description),
            escape(&result.file),
            seconds(result)
        ));
        let failures = result.failures();
        if result.passed {
            xml.push_str("/>\n");
            continue;
        }
        let message = failures.first().cloned().unwrap_or_default();
        xml.push_str(&format!(
            ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
            escape(&message),
            escape(&failures.join("\n"))
        ));
    }
    xml.push_str("</testsuite>\n");
    xml
}

/// Escapes text for an XML attribute or element; characters XML 1.0 forbids are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_special_characters_are_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }

    #[test]
    fn junit_counts_and_failures() {
        let ok = ScenarioResult {
            file: "a.toml".into(),
            description: "works".into(),
            passed: true,
            checks: vec![],
            turns: vec![],
        };
        let bad = ScenarioResult {
            file: "b.toml".into(),
            description: "fails <badly>".into(),
            passed: false,
            checks: vec![Check {
                label: "said \"x\"".into(),
                passed: false,
                why: Some("not in \"y\"".into()),
            }],
            turns: vec![],
        };
        let xml = junit(&[ok, bad]);
        assert!(
            xml.contains("<testsuite name=\"voicebridge scenarios\" tests=\"2\" failures=\"1\""),
            "{xml}"
        );
        assert!(xml.contains("name=\"fails &lt;badly&gt;\""), "{xml}");
        assert!(
            xml.contains("<failure message=\"said &quot;x&quot;: not in &quot;y&quot;\">"),
            "{xml}"
        );
        assert_eq!(xml.matches("<testcase ").count(), 2);
    }
}
