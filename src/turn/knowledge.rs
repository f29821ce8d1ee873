//! Prefetch from the knowledge base: before the model is asked, the caller's words are
//! searched (and, at half weight, their previous turn's), and the best passages go at the
//! end of the system prompt as reference notes, with an instruction not to read them out.
//! No extra model round trip. The passages used are sent to the page as
//! `{"knowledge": [{"file", "heading", "score"}]}`, logged with the turn, kept in its
//! record and noted on its span. In tool mode the model is offered `search_knowledge`
//! instead, and its answer (the passages with their file, heading and score) is the
//! tool's result, kept in the record like any tool call's.

use serde_json::json;

use super::knowledge_tool::{rounded, used};
use super::record::UserMessage;
use super::settings::Texts;
use super::{Agent, Caller, TurnEvent};
use crate::knowledge::Hit;
use crate::trace::{KeyValue, Span};

/// The heading the notes go under in the system prompt.
pub const NOTES_HEADING: &str = "## Reference notes";

/// What the model is told about the notes.
const NOTES_INSTRUCTION: &str = "These notes come from the business's own documents and \
may answer the caller. Use them only if they do, and say it briefly in your own words: \
never read them out, list them, or mention notes or documents.";

impl Agent {
    /// Searches for `latest` (and `previous`, the caller's turn before), and when
    /// passages are found adds them to `texts.system` and tells the page; the files used
    /// are kept on `turn` for the log.
    pub(super) async fn prefetch(
        &self,
        texts: &mut Texts,
        turn: &mut UserMessage,
        previous: Option<&str>,
        caller: &Caller,
        span: &Span,
    ) {
        let Some(using) = self
            .settings
            .knowledge
            .as_ref()
            .filter(|k| k.mode == crate::config::KnowledgeMode::Prefetch)
        else {
            return;
        };
        let started = std::time::Instant::now();
        let knowledge = using.shelf.current();
        let meaning = using.meaning(&knowledge, &turn.text).await;
        let hits = knowledge.search_meaning(
            &turn.text,
            previous,
            meaning.as_deref(),
            using.min_similarity(),
            using.top_k,
        );
        span.event(
            "knowledge_search",
            vec![
                KeyValue::new("voicebridge.knowledge.hits", hits.len() as i64),
                KeyValue::new("voicebridge.knowledge.by_meaning", meaning.is_some()),
                KeyValue::new(
                    "voicebridge.knowledge.us",
                    started.elapsed().as_micros() as i64,
                ),
                // `file › heading (score)`, best first.
                KeyValue::new(
                    "voicebridge.knowledge.passages",
                    hits.iter()
                        .map(|hit| format!("{} ({:.2})", hit.passage.label(), hit.score))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ],
        );
        if hits.is_empty() {
            return;
        }
        texts.system.push_str(&notes(&hits));
        caller.send(TurnEvent::Data(json!({ "knowledge": used(&hits) })));
        turn.knowledge = hits
            .iter()
            .map(|hit| crate::records::KnowledgeRecord {
                file: hit.passage.file.clone(),
                heading: hit.passage.heading.clone(),
                score: rounded(hit.score),
            })
            .collect();
    }
}

/// The notes section for `hits`, to end the system prompt with.
fn notes(hits: &[Hit<'_>]) -> String {
    let mut out = format!("\n\n{NOTES_HEADING}\n{NOTES_INSTRUCTION}\n");
    for (n, hit) in hits.iter().enumerate() {
        out.push_str(&format!(
            "\n[{}] {}\n{}\n",
            n + 1,
            hit.passage.label(),
            hit.passage.text
        ));
    }
    out
}
