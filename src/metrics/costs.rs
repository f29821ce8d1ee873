//! What turns cost (`voicebridge_cost_usd_total{agent,model}`, priced models only) and how
//! much of their prompts the providers served from their caches
//! (`voicebridge_prompt_tokens_total` and `voicebridge_prompt_tokens_cached_total` by agent:
//! the cache hit rate is the second over the first).

use prometheus::{CounterVec, IntCounterVec, Opts, Registry};

/// The cost and prompt-cache counters.
#[derive(Clone)]
pub struct CostMetrics {
    cost_usd: CounterVec,
    prompt_tokens: IntCounterVec,
    prompt_tokens_cached: IntCounterVec,
}

impl CostMetrics {
    pub(super) fn new(registry: &Registry) -> Self {
        let cost_usd = CounterVec::new(
            Opts::new(
                "voicebridge_cost_usd_total",
                "What the model's tokens cost in USD, by agent and model (priced models only; PRICES_FILE).",
            ),
            &["agent", "model"],
        )
        .unwrap_or_else(|e| unreachable!("static counter options are valid: {e}"));
        let _ = registry.register(Box::new(cost_usd.clone()));
        let counter = |name: &str, help: &str| {
            let counter = IntCounterVec::new(Opts::new(name, help), &["agent"])
                .unwrap_or_else(|e| unreachable!("static counter options are valid: {e}"));
            let _ = registry.register(Box::new(counter.clone()));
            counter
        };
        Self {
            cost_usd,
            prompt_tokens: counter(
                "voicebridge_prompt_tokens_total",
                "Prompt tokens the providers reported, by agent.",
            ),
            prompt_tokens_cached: counter(
                "voicebridge_prompt_tokens_cached_total",
                "Of the prompt tokens, those the providers served from their prompt caches, by agent (the cache hit rate is this over voicebridge_prompt_tokens_total).",
            ),
        }
    }

    /// A turn of `agent` sent `prompt` prompt tokens, `cached` of them served from the
    /// provider's cache.
    pub fn prompt_tokens(&self, agent: &str, prompt: u64, cached: u64) {
        self.prompt_tokens
            .with_label_values(&[agent])
            .inc_by(prompt);
        self.prompt_tokens_cached
            .with_label_values(&[agent])
            .inc_by(cached.min(prompt));
    }

    /// A turn of `agent` cost `usd` in `model`'s tokens.
    pub fn cost(&self, agent: &str, model: &str, usd: f64) {
        if usd.is_finite() && usd > 0.0 {
            self.cost_usd.with_label_values(&[agent, model]).inc_by(usd);
        }
    }
}
