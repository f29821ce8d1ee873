//! Prices and what a turn or a call cost (pure, no I/O). A price file (`PRICES_FILE`,
//! TOML) lists per model, by the name sent to the provider, the USD price of a million
//! input, cached input and output tokens, and optionally per-minute prices of the voice
//! platform, speech-to-text and text-to-speech, applied to a session's duration:
//!
//! ```toml
//! dated = "2026-06-21"
//! [models."gpt-4o-mini"]
//! input = 0.15
//! cached_input = 0.075
//! output = 0.60
//! [minutes]
//! platform = 0.06
//! ```
//!
//! A model without a price costs `None`, never a guess. Cached input tokens (the
//! provider's `prompt_tokens_details.cached_tokens`) are priced at `cached_input`, or at
//! `input` when the file gives no cached price.

use std::collections::HashMap;

/// One model's prices, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub input: f64,
    #[serde(default)]
    pub cached_input: Option<f64>,
    pub output: f64,
}

/// Per-minute prices, in USD, of what the voice platform does around the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinutePrices {
    #[serde(default)]
    pub platform: f64,
    #[serde(default)]
    pub speech_to_text: f64,
    #[serde(default)]
    pub text_to_speech: f64,
}

impl MinutePrices {
    /// The sum per minute.
    pub fn per_minute(&self) -> f64 {
        self.platform + self.speech_to_text + self.text_to_speech
    }
}

/// A price file, read.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// When the prices were copied from the providers' pages.
    #[serde(default)]
    pub dated: Option<String>,
    #[serde(default)]
    pub models: HashMap<String, ModelPrice>,
    /// `None` when the file has no `[minutes]`: sessions then cost nothing beyond tokens.
    #[serde(default)]
    pub minutes: Option<MinutePrices>,
}

/// Tokens a turn used, as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub prompt: u64,
    /// Of `prompt`, those served from the provider's cache.
    pub cached: u64,
    pub completion: u64,
}

impl Prices {
    /// A price file's text, checked: every price a finite number of 0 or more.
    pub fn parse(text: &str) -> Result<Self, String> {
        let prices: Prices = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let bad = |x: f64| !x.is_finite() || x < 0.0;
        for (name, price) in &prices.models {
            let all = [Some(price.input), price.cached_input, Some(price.output)];
            if all.into_iter().flatten().any(bad) {
                return Err(format!(
                    "models.{name:?}: a price must be a number of 0 or more"
                ));
            }
        }
        if let Some(minutes) = prices.minutes {
            let all = [
                minutes.platform,
                minutes.speech_to_text,
                minutes.text_to_speech,
            ];
            if all.into_iter().any(bad) {
                return Err("minutes: a price must be a number of 0 or more".into());
            }
        }
        Ok(prices)
    }

    /// The price of `model`, when the file has one.
    pub fn model(&self, model: &str) -> Option<&ModelPrice> {
        self.models.get(model)
    }

    /// What `tokens` of `model` cost in USD; `None` when the model has no price.
    pub fn cost(&self, model: &str, tokens: Tokens) -> Option<f64> {
        let price = self.model(model)?;
        let cached = tokens.cached.min(tokens.prompt);
        let fresh = tokens.prompt - cached;
        let micro = fresh as f64 * price.input
            + cached as f64 * price.cached_input.unwrap_or(price.input)
            + tokens.completion as f64 * price.output;
        Some(micro / 1_000_000.0)
    }

    /// What a session of `duration_ms` cost on the voice side; `None` without `[minutes]`.
    pub fn session_cost(&self, duration_ms: u64) -> Option<f64> {
        let minutes = self.minutes?;
        Some(duration_ms as f64 / 60_000.0 * minutes.per_minute())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
dated = "2026-06-21"
[models."gpt-4o-mini"]
input = 0.15
cached_input = 0.075
output = 0.60
[models.plain]
input = 1.0
output = 2.0
[minutes]
platform = 0.06
text_to_speech = 0.04
"#;

    #[test]
    fn a_turn_costs_its_fresh_cached_and_output_tokens_and_an_unpriced_model_nothing_known() {
        let prices = Prices::parse(FILE).expect("valid");
        assert_eq!(prices.dated.as_deref(), Some("2026-06-21"));
        let tokens = Tokens {
            prompt: 1_000,
            cached: 400,
            completion: 100,
        };
        // 600 × 0.15 + 400 × 0.075 + 100 × 0.60 = 90 + 30 + 60 micro-dollars.
        let cost = prices.cost("gpt-4o-mini", tokens).expect("priced");
        assert!((cost - 0.000_18).abs() < 1e-12, "{cost}");
        // No cached price: cached tokens at the input price.
        let plain = prices.cost("plain", tokens).expect("priced");
        assert!((plain - 0.001_2).abs() < 1e-12, "{plain}");
        assert_eq!(prices.cost("unknown-model", tokens), None);
        // More cached than prompt tokens (a provider's slip) never goes negative.
        let odd = Tokens {
            prompt: 10,
            cached: 50,
            completion: 0,
        };
        assert!(prices.cost("plain", odd).expect("priced") >= 0.0);
        // 90 s at 0.06 + 0.04 a minute.
        let session = prices.session_cost(90_000).expect("per-minute prices");
        assert!((session - 0.15).abs() < 1e-12, "{session}");
        assert_eq!(Prices::default().session_cost(90_000), None);
    }

    #[test]
    fn a_bad_file_says_where() {
        assert!(Prices::parse("[models.x]\ninput = 1\n")
            .expect_err("no output")
            .contains("output"));
        assert_eq!(
            Prices::parse("[models.x]\ninput = -1\noutput = 1\n").expect_err("negative"),
            "models.\"x\": a price must be a number of 0 or more"
        );
        assert!(Prices::parse("[modles.x]\n")
            .expect_err("typo")
            .contains("modles"));
        assert_eq!(
            Prices::parse("[minutes]\nplatform = nan\n").expect_err("nan"),
            "minutes: a price must be a number of 0 or more"
        );
    }
}
