//! Assembling streamed tool calls (pure). A call arrives in fragments: the first carries its
//! `index`, `id` and `function.name`, later ones append to `function.arguments`. Servers
//! differ (a whole call in one fragment, no `index`, the same `index` reused for a second
//! call with a new `id`), and each shape must come out as the calls the model meant.

use super::wire::ToolCallDelta;
use crate::session::ToolCall;

/// Collects one reply's tool-call fragments.
#[derive(Debug, Default)]
pub struct ToolCallAssembler {
    calls: Vec<Partial>,
}

#[derive(Debug, Default)]
struct Partial {
    index: Option<u32>,
    id: String,
    name: String,
    arguments: String,
}

impl ToolCallAssembler {
    /// Adds one fragment.
    pub fn push(&mut self, delta: ToolCallDelta) {
        let id = delta.id.filter(|id| !id.is_empty());
        let (name, arguments) = delta
            .function
            .map(|f| (f.name, f.arguments))
            .unwrap_or_default();
        let position = match delta.index {
            Some(index) => self.calls.iter().rposition(|c| c.index == Some(index)),
            None => self.calls.len().checked_sub(1),
        };
        let named = name.as_deref().is_some_and(|n| !n.is_empty());
        let continues = position.filter(|p| {
            let call = &self.calls[*p];
            // A fragment with a new id starts a new call even where the index says
            // otherwise; without an index, so does a fragment naming a tool.
            let new_id = id
                .as_ref()
                .is_some_and(|id| !call.id.is_empty() && call.id != *id);
            // A name on a call that has one starts another call: without an index
            // always, with one when the name differs (a repeated name is the same call).
            let new_name = named
                && !call.name.is_empty()
                && (delta.index.is_none() || name.as_deref() != Some(call.name.as_str()));
            !new_id && !new_name
        });
        let call = match continues {
            Some(p) => &mut self.calls[p],
            None => {
                self.calls.push(Partial {
                    index: delta.index,
                    ..Partial::default()
                });
                let last = self.calls.len() - 1;
                &mut self.calls[last]
            }
        };
        if let Some(id) = id {
            call.id = id;
        }
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            // A server that repeats the name with every fragment does not lengthen it.
            if call.name != name {
                call.name.push_str(&name);
            }
        }
        if let Some(arguments) = arguments {
            call.arguments.push_str(&arguments);
        }
    }

    /// True when no fragment arrived.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The calls, in order. A call without an id gets `call_<prefix>_<n>`, unique within
    /// the turn when `prefix` is; fragments that never named a tool are dropped.
    pub fn finish(self, prefix: &str) -> Vec<ToolCall> {
        self.calls
            .into_iter()
            .filter(|c| !c.name.is_empty())
            .enumerate()
            .map(|(n, c)| {
                let id = if c.id.is_empty() {
                    format!("call_{prefix}_{n}")
                } else {
                    c.id
                };
                ToolCall::new(id, c.name, c.arguments)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::wire::FunctionDelta;

    fn delta(
        index: Option<u32>,
        id: Option<&str>,
        name: Option<&str>,
        args: &str,
    ) -> ToolCallDelta {
        ToolCallDelta {
            index,
            id: id.map(str::to_string),
            function: Some(FunctionDelta {
                name: name.map(str::to_string),
                arguments: Some(args.to_string()),
            }),
        }
    }

    #[test]
    fn openai_shape_with_two_parallel_calls() {
        let mut calls = ToolCallAssembler::default();
        calls.push(delta(Some(0), Some("call_a"), Some("get_order"), ""));
        calls.push(delta(Some(1), Some("call_b"), Some("get_weather"), ""));
        calls.push(delta(Some(0), None, None, "{\"order_id\":"));
        calls.push(delta(Some(1), None, None, "{\"city\":\"Oslo\"}"));
        calls.push(delta(Some(0), None, None, "\"A17\"}"));
        assert_eq!(
            calls.finish("t"),
            [
                ToolCall::new("call_a", "get_order", "{\"order_id\":\"A17\"}"),
                ToolCall::new("call_b", "get_weather", "{\"city\":\"Oslo\"}"),
            ]
        );
    }

    #[test]
    fn whole_calls_without_index_or_id() {
        let mut calls = ToolCallAssembler::default();
        calls.push(delta(None, None, Some("a"), "{}"));
        calls.push(delta(None, Some("x"), Some("b"), "{\"n\":1}"));
        assert_eq!(
            calls.finish("t9"),
            [
                ToolCall::new("call_t9_0", "a", "{}"),
                ToolCall::new("x", "b", "{\"n\":1}"),
            ]
        );
    }

    #[test]
    fn the_same_index_with_a_new_id_is_a_new_call() {
        let mut calls = ToolCallAssembler::default();
        calls.push(delta(Some(0), Some("one"), Some("a"), "{}"));
        calls.push(delta(Some(0), Some("two"), Some("b"), "{}"));
        let done = calls.finish("t");
        assert_eq!(done.len(), 2);
        assert_eq!(done[1].function.name, "b");
    }

    #[test]
    fn the_same_index_with_another_name_and_no_id_is_a_new_call() {
        let mut calls = ToolCallAssembler::default();
        calls.push(delta(Some(0), None, Some("get_order"), "{}"));
        calls.push(delta(Some(0), None, Some("get_weather"), "{}"));
        let done = calls.finish("t");
        let names: Vec<&str> = done.iter().map(|c| c.function.name.as_str()).collect();
        assert_eq!(names, ["get_order", "get_weather"]);
    }

    #[test]
    fn a_repeated_name_is_not_doubled_and_nameless_fragments_go() {
        let mut calls = ToolCallAssembler::default();
        calls.push(delta(Some(0), Some("c"), Some("get_order"), "{\"a\""));
        calls.push(delta(Some(0), Some("c"), Some("get_order"), ":1}"));
        calls.push(delta(Some(3), None, None, "{}"));
        assert_eq!(
            calls.finish("t"),
            [ToolCall::new("c", "get_order", "{\"a\":1}")]
        );
    }
}
