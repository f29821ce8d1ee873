//! Deleting what a call left, wherever it is: its record and turns in the call store
//! (analysis and summary are columns of the call, so they go with it), and its
//! conversation in the session store (the history the model reads and the page's client
//! variables). The conversation goes first: a failure there leaves the record in place,
//! so the request can simply be made again.

use serde::Serialize;

use super::record::CallKey;
use super::store::{phone_digits, CallStore, CallStoreError};
use crate::session::{SessionStore, StoreError};

/// Fewest digits a caller's number must have to be erased by: a short one would match
/// too many callers.
pub const MIN_PHONE_DIGITS: usize = 7;

/// What an erasure removed.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Calls deleted from the call store.
    pub calls: usize,
    /// Conversations removed from the session store.
    pub conversations: usize,
    /// Which calls were deleted (for the writer to forget them too).
    #[serde(skip)]
    pub deleted: Vec<CallKey>,
}

/// Why an erasure stopped; what was removed before stays removed.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    /// The number has too few digits to name one caller.
    #[error("`{0}` is not a whole phone number (at least {MIN_PHONE_DIGITS} digits)")]
    Phone(String),
    /// The call store failed.
    #[error("the call store: {0}")]
    Calls(#[from] CallStoreError),
    /// The session store failed.
    #[error("the session store: {0}")]
    Sessions(#[from] StoreError),
}

/// Where a call's conversation is kept in the session store.
pub type SessionKey<'a> = &'a (dyn Fn(&CallKey) -> String + Sync);

/// Deletes one call: its conversation (when `sessions` is given), then its record.
pub async fn erase_call(
    calls: &CallStore,
    sessions: Option<&dyn SessionStore>,
    session_key: SessionKey<'_>,
    call: &CallKey,
) -> Result<Erased, EraseError> {
    let mut erased = Erased::default();
    if let Some(sessions) = sessions {
        erased.conversations += usize::from(sessions.forget(&session_key(call)).await?);
    }
    if calls.delete(call).await? {
        erased.calls += 1;
        erased.deleted.push(call.clone());
    }
    Ok(erased)
}

/// Deletes every call from or to `phone` (a data-subject request), and their
/// conversations.
pub async fn erase_caller(
    calls: &CallStore,
    sessions: Option<&dyn SessionStore>,
    session_key: SessionKey<'_>,
    phone: &str,
) -> Result<Erased, EraseError> {
    let digits = phone_digits(phone);
    if digits.len() < MIN_PHONE_DIGITS {
        return Err(EraseError::Phone(phone.to_string()));
    }
    let mut erased = Erased::default();
    for call in calls.calls_of_phone(&digits).await? {
        let one = erase_call(calls, sessions, session_key, &call).await?;
        erased.calls += one.calls;
        erased.conversations += one.conversations;
        erased.deleted.extend(one.deleted);
    }
    Ok(erased)
}

/// Forgets the conversations of calls already deleted (retention); returns how many were
/// still there. One that cannot be forgotten now expires with the session store's idle
/// time.
pub async fn forget_conversations(
    sessions: &dyn SessionStore,
    session_key: SessionKey<'_>,
    deleted: &[CallKey],
) -> Result<usize, StoreError> {
    let mut forgotten = 0;
    for call in deleted {
        forgotten += usize::from(sessions.forget(&session_key(call)).await?);
    }
    Ok(forgotten)
}

#[cfg(test)]
mod tests {
    use super::forget_conversations;
    use crate::records::CallKey;
    use crate::session::{conversation_key, ChatMessage, MemoryStore, SessionStore};

    #[tokio::test]
    async fn retention_forgets_the_deleted_calls_conversations_only() {
        let limits = crate::session::HistoryLimits {
            max_messages: 10,
            max_chars: 1000,
        };
        let store = MemoryStore::new(limits, 100);
        for id in ["old", "new"] {
            store
                .begin_turn(&format!("sales/{id}"), ChatMessage::user("hi", "t1"), None)
                .await
                .expect("stored");
        }
        let deleted = [CallKey {
            agent: "sales".into(),
            conversation_id: "old".into(),
        }];
        let key = |call: &CallKey| conversation_key(true, &call.agent, &call.conversation_id);
        let forgotten = forget_conversations(&store, &key, &deleted).await;
        assert_eq!(forgotten.expect("forgets"), 1);
        assert!(store.history("sales/old").await.expect("reads").is_empty());
        assert_eq!(store.history("sales/new").await.expect("reads").len(), 1);
    }
}
