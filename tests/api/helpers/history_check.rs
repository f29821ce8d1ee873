//! What a stored history must hold of every turn whose `response.end` the caller received
//! (issue 24, "nothing the caller heard is ever lost"), checked conversation by
//! conversation and reported all together, so a failure says how many turns were lost and
//! which:
//!
//! - exactly one user entry for the turn (its own `turn_id`, or listed in another user
//!   entry's `merged_turns`) and exactly one assistant entry with its `turn_id`;
//! - those turns' entries in the order the turns were sent, each question before its reply;
//! - user and assistant entries alternating: never two of the same role in a row.

use voicebridge::session::{ChatMessage, Role};

/// The findings over every conversation checked.
#[derive(Default)]
pub struct HeardReport {
    /// Turns sent.
    pub sent: usize,
    /// Turns whose `response.end` the caller received.
    pub ended: usize,
    /// `conversation/turn` of ended turns without their question or their reply.
    pub lost: Vec<String>,
    /// Every other broken rule, one line each.
    pub broken: Vec<String>,
}

impl HeardReport {
    /// Checks one conversation's stored `history` against its `sent` turns and those of
    /// them that `ended`, both in the order they were sent.
    pub fn check(
        &mut self,
        conversation: &str,
        history: &[ChatMessage],
        sent: &[String],
        ended: &[String],
    ) {
        self.sent += sent.len();
        self.ended += ended.len();
        let mut previous: Option<(&str, usize)> = None;
        for turn in ended {
            let questions = positions(history, |m| {
                m.role == Role::User
                    && (m.turn_id.as_deref() == Some(turn.as_str())
                        || m.merged_turns.contains(turn))
            });
            let replies = positions(history, |m| {
                m.role == Role::Assistant && m.turn_id.as_deref() == Some(turn.as_str())
            });
            if questions.is_empty() || replies.is_empty() {
                self.lost.push(format!(
                    "{conversation}/{turn} (questions {}, replies {})",
                    questions.len(),
                    replies.len()
                ));
            }
            if questions.len() > 1 || replies.len() > 1 {
                self.broken.push(format!(
                    "{conversation}/{turn}: {} questions and {} replies stored",
                    questions.len(),
                    replies.len()
                ));
            }
            if let (Some(&question), Some(&reply)) = (questions.first(), replies.first()) {
                if question > reply {
                    self.broken.push(format!(
                        "{conversation}/{turn}: its reply before its question"
                    ));
                }
                if let Some((earlier, at)) = previous.filter(|(_, at)| *at > reply) {
                    self.broken.push(format!(
                        "{conversation}: {turn} stored at {reply}, before {earlier} (at {at}) \
                         sent earlier"
                    ));
                }
                previous = Some((turn.as_str(), reply));
            }
        }
        let spoken: Vec<&ChatMessage> = history
            .iter()
            .filter(|m| matches!(m.role, Role::User | Role::Assistant))
            .collect();
        for pair in spoken.windows(2) {
            if pair[0].role == pair[1].role {
                self.broken.push(format!(
                    "{conversation}: two {:?} entries in a row (turns {:?} and {:?})",
                    pair[0].role, pair[0].turn_id, pair[1].turn_id
                ));
            }
        }
    }

    /// Whether every rule held.
    pub fn is_clean(&self) -> bool {
        self.lost.is_empty() && self.broken.is_empty()
    }

    /// Prints the summary (shown when the test fails) and fails on any finding.
    pub fn assert_nothing_lost(&self, test: &str) {
        let summary = format!(
            "{test}: {} turns sent, {} ended (response.end received), {} of those missing \
             from the stored history, {} other broken rules\nmissing: {:?}\nbroken: {:?}",
            self.sent,
            self.ended,
            self.lost.len(),
            self.broken.len(),
            self.lost,
            self.broken
        );
        eprintln!("{summary}");
        assert!(self.ended > 0, "no turn ended at all: {summary}");
        assert!(self.is_clean(), "{summary}");
    }
}

fn positions(history: &[ChatMessage], wanted: impl Fn(&ChatMessage) -> bool) -> Vec<usize> {
    history
        .iter()
        .enumerate()
        .filter(|(_, m)| wanted(m))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_reply_without_its_question_is_lost_and_two_replies_in_a_row_are_broken() {
    let history = [
        ChatMessage::user("q1", "t1"),
        ChatMessage::assistant("a1", "t1"),
        ChatMessage::assistant("a2", "t2"),
    ];
    let turns = ["t1".to_string(), "t2".to_string(), "t3".to_string()];
    let mut report = HeardReport::default();
    report.check("c", &history, &turns, &turns[..2]);
    assert_eq!(report.lost, ["c/t2 (questions 0, replies 1)"]);
    assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
}

#[test]
fn a_merged_question_counts_and_turns_out_of_order_are_broken() {
    let mut merged = ChatMessage::user("q1 q2", "t2");
    merged.merged_turns = vec!["t1".into()];
    let history = [
        merged,
        ChatMessage::assistant("a2", "t2"),
        ChatMessage::user("q3", "t3"),
        ChatMessage::assistant("a3", "t3"),
    ];
    let sent: Vec<String> = ["t1", "t3", "t2"].map(String::from).to_vec();
    let mut report = HeardReport::default();
    report.check("c", &history, &sent, &sent[1..]);
    assert!(report.lost.is_empty(), "{:?}", report.lost);
    assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
}
