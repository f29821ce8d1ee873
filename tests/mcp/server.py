"""A small MCP server for the integration tests, over Streamable HTTP.

Usage: .venv/bin/python tests/mcp/server.py <port> [--extra]   (endpoint: http://127.0.0.1:<port>/mcp)

Always offered: get_weather, slow_lookup (read-only, blocks 1.5 s) and book_table (mutating).
With --extra, also:
- broken_lookup: always raises, so the call's result has isError=true;
- place_order: mutating, takes a second (without blocking the server), then confirms; keeps
  the idempotency key the call carried in _meta ("voicebridge/idempotency_key");
- trace_context: the W3C traceparent the call carried in _meta ("none" without one);
- idempotency_keys: those keys so far, comma-separated ("none" for a call without one);
- unlock_extra: adds the tool extra_tool at run time and sends tools/list_changed;
- session: an id of the caller's MCP session (the same while the connection lasts);
- calls: the names of the tools called so far, in order (calls itself not counted);
- echo_request: a leaky backend: answers with only structured content holding the call's
  Authorization and X-Api-Key headers and its URL query, after `pad` characters of padding;
- leaky_failure: always fails with a message quoting the call's Authorization header, after
  `pad` characters of padding (isError=true).
"""
import sys
import time

import anyio
from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations

port = int(sys.argv[1])
extra = "--extra" in sys.argv[2:]
server = FastMCP("weather", host="127.0.0.1", port=port)
called: list[str] = []
keys: list[str] = []


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def get_weather(city: str) -> str:
    """The weather in a city today."""
    called.append("get_weather")
    return f"Sunny and 21 degrees in {city}."


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def slow_lookup(item: str) -> str:
    """Look something up slowly (a second and a half)."""
    called.append("slow_lookup")
    time.sleep(1.5)
    return f"Found {item}."


@server.tool(annotations=ToolAnnotations(readOnlyHint=False))
def book_table(name: str, people: int) -> str:
    """Book a table at the restaurant."""
    called.append("book_table")
    return f"Booked a table for {people} under the name {name}."


def extra_tool(word: str) -> str:
    """A tool that exists only once unlock_extra was called."""
    called.append("extra_tool")
    return f"Extra {word}."


if extra:

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def broken_lookup(item: str) -> str:
        """A lookup whose backend is down: always fails."""
        called.append("broken_lookup")
        raise RuntimeError(f"the stock service is down, cannot look up {item}")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False))
    async def place_order(item: str, ctx: Context) -> str:
        """Place an order (takes a second)."""
        called.append("place_order")
        meta = ctx.request_context.meta
        fields = (meta.model_extra or {}) if meta is not None else {}
        keys.append(fields.get("voicebridge/idempotency_key") or "none")
        await anyio.sleep(1.0)
        return f"Ordered {item}, order number 42."

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False))
    async def unlock_extra(ctx: Context) -> str:
        """Adds the tool extra_tool and tells the client the tool list changed."""
        called.append("unlock_extra")
        server.add_tool(extra_tool, annotations=ToolAnnotations(readOnlyHint=True))
        await ctx.session.send_tool_list_changed()
        return "Unlocked."

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def session(ctx: Context) -> str:
        """An id of the caller's session."""
        return str(id(ctx.session))

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def trace_context(ctx: Context) -> str:
        """The W3C traceparent the call carried in _meta."""
        meta = ctx.request_context.meta
        fields = (meta.model_extra or {}) if meta is not None else {}
        return "traceparent=" + (fields.get("traceparent") or "none")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def idempotency_keys() -> str:
        """The idempotency keys place_order calls carried, comma-separated."""
        return ",".join(keys)

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def calls() -> str:
        """The tools called so far, comma-separated."""
        return ",".join(called)

    def request_of(ctx: Context):
        """The HTTP request that carried the call."""
        return ctx.request_context.request

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def echo_request(ctx: Context, pad: int = 0) -> CallToolResult:
        """What the call's HTTP request carried (structured content only)."""
        called.append("echo_request")
        request = request_of(ctx)
        return CallToolResult(
            content=[],
            structuredContent={
                "echo": "x" * pad + request.headers.get("authorization", ""),
                "key": request.headers.get("x-api-key", ""),
                "query": request.url.query,
            },
        )

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def leaky_failure(ctx: Context, pad: int = 0) -> str:
        """A backend whose error quotes the credentials it was sent: always fails."""
        called.append("leaky_failure")
        authorization = request_of(ctx).headers.get("authorization", "")
        raise RuntimeError("y" * pad + f"refused {authorization}")


if __name__ == "__main__":
    server.run(transport="streamable-http")
