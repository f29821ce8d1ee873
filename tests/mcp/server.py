"""A small MCP server for the integration tests: two tools over Streamable HTTP.

Usage: .venv/bin/python tests/mcp/server.py <port>   (endpoint: http://127.0.0.1:<port>/mcp)
"""
import sys
import time

from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

port = int(sys.argv[1])
server = FastMCP("weather", host="127.0.0.1", port=port)


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def get_weather(city: str) -> str:
    """The weather in a city today."""
    return f"Sunny and 21 degrees in {city}."


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def slow_lookup(item: str) -> str:
    """Look something up slowly (a second and a half)."""
    time.sleep(1.5)
    return f"Found {item}."


@server.tool(annotations=ToolAnnotations(readOnlyHint=False))
def book_table(name: str, people: int) -> str:
    """Book a table at the restaurant."""
    return f"Booked a table for {people} under the name {name}."


if __name__ == "__main__":
    server.run(transport="streamable-http")
