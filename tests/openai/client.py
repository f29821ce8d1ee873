"""A client of the OpenAI door, with the official `openai` SDK (installed by scripts/test).

Usage: client.py BASE_URL API_KEY SPEC, where SPEC is a JSON object:
  messages       the request's messages
  stream         stream the reply (default true)
  include_usage  ask for the usage chunk (streaming)
  tools          the platform's tools
  extra_body     fields the platforms add (Vapi's call, metadata, …; ElevenLabs' …)
  extra_headers  headers to add
  close_after    stop reading after this many content chunks and close the stream

Prints one JSON line: what the SDK read (text, finish reasons, tool calls as the SDK
assembled them, usage, chunk count), or the error the SDK raised (status, body, class).
"""

import json
import sys

import openai


def main() -> None:
    base_url, api_key, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=20)
    stream = spec.get("stream", True)
    args = {
        "model": spec.get("model", "any"),
        "messages": spec["messages"],
        "stream": stream,
        "extra_body": spec.get("extra_body"),
        "extra_headers": spec.get("extra_headers"),
    }
    if spec.get("tools"):
        args["tools"] = spec["tools"]
    if stream and spec.get("include_usage"):
        args["stream_options"] = {"include_usage": True}
    try:
        if stream:
            out = read_stream(client.chat.completions.create(**args), spec.get("close_after"))
        else:
            out = read_whole(client.chat.completions.create(**args))
    except openai.APIStatusError as error:
        out = {"status": error.status_code, "body": error.body, "error": type(error).__name__}
    print(json.dumps(out))


def read_stream(stream, close_after):
    text, finishes, calls, usage, chunks, contents = "", [], {}, None, 0, 0
    for chunk in stream:
        chunks += 1
        if chunk.usage is not None:
            usage = chunk.usage.model_dump()
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text += delta.content
                contents += 1
            for call in delta.tool_calls or []:
                whole = calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
                whole["id"] = call.id or whole["id"]
                if call.function is not None:
                    whole["name"] += call.function.name or ""
                    whole["arguments"] += call.function.arguments or ""
            if choice.finish_reason is not None:
                finishes.append(choice.finish_reason)
        if close_after is not None and contents >= close_after:
            stream.close()
            return {"text": text, "closed": True}
    return {
        "text": text,
        "finish_reasons": finishes,
        "tool_calls": [calls[i] for i in sorted(calls)],
        "usage": usage,
        "chunks": chunks,
    }


def read_whole(completion):
    choice = completion.choices[0]
    calls = [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
        for c in choice.message.tool_calls or []
    ]
    return {
        "object": completion.object,
        "text": choice.message.content,
        "finish_reasons": [choice.finish_reason],
        "tool_calls": calls,
        "usage": completion.usage.model_dump() if completion.usage else None,
    }


if __name__ == "__main__":
    main()
