//! Resume tokens (pure): `/authorize` continues a conversation only for a browser that
//! holds the token this server issued with it, never for a bare conversation id. A token is
//! an HMAC-SHA256 of the agent and conversation ids under a key derived from
//! `LAYERCODE_API_KEY`, so every machine of a deployment agrees and no setting is added.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// Separates this use of the API key from any other HMAC made with it.
const KEY_LABEL: &[u8] = b"voicebridge resume token v1";

/// Issues and checks resume tokens; its key never shows in `Debug` output.
#[derive(Clone)]
pub struct ResumeTokens {
    key: [u8; 32],
}

impl std::fmt::Debug for ResumeTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResumeTokens([redacted])")
    }
}

impl ResumeTokens {
    /// Tokens keyed by `api_key` (Layercode's): rotating the key ends every token.
    pub fn new(api_key: &Secret) -> Self {
        let mut mac = hmac_with(api_key.expose().as_bytes());
        mac.update(KEY_LABEL);
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// The token that lets a browser resume `conversation_id` with `agent_id`.
    pub fn issue(&self, agent_id: &str, conversation_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(agent_id, conversation_id).finalize().into_bytes())
    }

    /// True when `token` was issued for this agent and conversation (compared in
    /// constant time).
    pub fn verify(&self, agent_id: &str, conversation_id: &str, token: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(token.trim()) else {
            return false;
        };
        self.mac(agent_id, conversation_id)
            .verify_slice(&tag)
            .is_ok()
    }

    fn mac(&self, agent_id: &str, conversation_id: &str) -> Hmac<Sha256> {
        let mut mac = hmac_with(&self.key);
        // Lengths first, so no two pairs of ids read as the same bytes.
        for part in [agent_id, conversation_id] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }
}

fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_resumes_only_its_own_conversation_with_its_own_agent_and_key() {
        let tokens = ResumeTokens::new(&Secret::new("lc_key"));
        let token = tokens.issue("ag_1", "conv_9");
        assert!(tokens.verify("ag_1", "conv_9", &token));
        assert!(!tokens.verify("ag_1", "conv_8", &token));
        assert!(!tokens.verify("ag_2", "conv_9", &token));
        assert!(!tokens.verify("ag_1c", "onv_9", &tokens.issue("ag_1", "conv_9")));
        let other_key = ResumeTokens::new(&Secret::new("lc_other"));
        assert!(!other_key.verify("ag_1", "conv_9", &token));
        for forged in ["", "conv_9", "not base64!", &token[..token.len() - 2]] {
            assert!(!tokens.verify("ag_1", "conv_9", forged), "{forged}");
        }
        assert!(!format!("{tokens:?}").contains("lc_key"));
    }
}
