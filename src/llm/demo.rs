//! The built-in demo model (`LLM_MODEL=demo`), for trying voicebridge without a key: it
//! makes no network call and answers every turn with the same clearly labelled reply,
//! which repeats what the user said. The reply streams a few words at a time with short
//! pauses, as a real model's would, through the same decoding as a server's stream, so
//! the sentence chunking and the spoken forms (a number, an amount, a date) show. It is
//! a demo, not a model: it understands nothing.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;

use super::stream::ReplyStream;
use super::wire::Prompt;
use crate::session::Role;

/// How long the demo "thinks" before its first words.
const FIRST_TOKEN_DELAY: Duration = Duration::from_millis(200);

/// The pause between two pieces of the reply.
const PIECE_DELAY: Duration = Duration::from_millis(60);

/// Words per streamed piece.
const WORDS_PER_PIECE: usize = 3;

/// The most characters of the user's words repeated back.
const MAX_ECHO_CHARS: usize = 120;

/// The reply to `prompt`: a label, the user's last message repeated, a sample with a
/// number, an amount and a date, and how to talk to a real model.
pub fn reply_text(prompt: &Prompt<'_>) -> String {
    let said = prompt
        .history
        .iter()
        .rev()
        .find(|message| message.role == Role::User)
        .map(|message| echo(&message.content))
        .filter(|echo| !echo.is_empty());
    let echo = match said {
        Some(echo) => format!("You said: {echo}"),
        None => "You said nothing yet.".to_string(),
    };
    format!(
        "This is the demo model, not a real one. {echo} \
         It only repeats you, then reads a sample so you can hear how numbers are spoken: \
         your order of 3 items comes to $42.50 and arrives on March 14. \
         To talk to a real model, set an API key and a model name, as the README shows."
    )
}

/// `text` on one line, cut to [`MAX_ECHO_CHARS`], ending like a sentence.
fn echo(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut echo: String = words.join(" ");
    if echo.chars().count() > MAX_ECHO_CHARS {
        echo = echo.chars().take(MAX_ECHO_CHARS).collect::<String>();
        echo = format!("{}…", echo.trim_end());
    }
    if !echo.is_empty() && !echo.ends_with(['.', '!', '?', '…']) {
        echo.push('.');
    }
    echo
}

/// The reply in pieces of [`WORDS_PER_PIECE`] words, each with its trailing space.
pub fn pieces(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    words
        .chunks(WORDS_PER_PIECE)
        .map(|chunk| chunk.concat())
        .collect()
}

/// The demo's reply to `prompt` as a stream like a server's: one chat-completions chunk
/// per piece after a pause, then a chunk saying why it stopped, then `[DONE]`.
pub fn stream(prompt: &Prompt<'_>) -> ReplyStream {
    let mut events: Vec<(Duration, String)> = pieces(&reply_text(prompt))
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let delay = if i == 0 {
                FIRST_TOKEN_DELAY
            } else {
                PIECE_DELAY
            };
            let chunk = json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
            (delay, chunk.to_string())
        })
        .collect();
    let last = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    events.push((Duration::ZERO, last.to_string()));
    events.push((Duration::ZERO, "[DONE]".to_string()));
    let body = futures_util::stream::iter(events).then(|(delay, data)| async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok::<_, Infallible>(Bytes::from(format!("data: {data}\n\n")))
    });
    ReplyStream::new(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ChatMessage;

    async fn streamed(history: &[ChatMessage]) -> (Vec<String>, Option<String>) {
        let mut stream = stream(&Prompt::new("system", history));
        let mut texts = Vec::new();
        while let Some(chunk) = stream.next().await {
            texts.extend(chunk.expect("no error").text);
        }
        (texts, stream.finish_reason().map(str::to_string))
    }

    #[tokio::test(start_paused = true)]
    async fn the_reply_streams_a_few_words_at_a_time_and_finishes_properly() {
        let history = [ChatMessage::user("What can you do?", "t1")];
        let started = tokio::time::Instant::now();
        let (texts, finish) = streamed(&history).await;
        assert_eq!(finish.as_deref(), Some("stop"));
        assert!(texts.len() > 10, "{texts:?}");
        assert!(texts
            .iter()
            .all(|t| t.split_whitespace().count() <= WORDS_PER_PIECE));
        let whole = texts.concat();
        assert_eq!(whole, reply_text(&Prompt::new("system", &history)));
        assert!(whole.starts_with("This is the demo model, not a real one. "));
        assert!(whole.contains("You said: What can you do?"), "{whole}");
        assert!(whole.contains("$42.50"), "{whole}");
        // Paused time: the pauses are real to the turn, not to the test.
        let expected = FIRST_TOKEN_DELAY + PIECE_DELAY * (texts.len() as u32 - 1);
        assert_eq!(started.elapsed(), expected);
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_user_message_is_repeated_on_one_line_and_cut_when_long() {
        let history = [
            ChatMessage::user("first", "t1"),
            ChatMessage::assistant("reply", "t1"),
            ChatMessage::user("  two\nlines  ", "t2"),
        ];
        let (texts, _) = streamed(&history).await;
        assert!(texts.concat().contains("You said: two lines. It only"));
        let long = "word ".repeat(100);
        let text = reply_text(&Prompt::new("s", &[ChatMessage::user(long, "t")]));
        assert!(text.contains("word word…"), "{text}");
        assert!(text.len() < 500, "{text}");
        let text = reply_text(&Prompt::new("s", &[]));
        assert!(text.contains("You said nothing yet."), "{text}");
    }
}
