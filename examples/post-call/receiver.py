#!/usr/bin/env python3
"""A minimal receiver for voicebridge's post-call webhook (standard library only).

    POST_CALL_WEBHOOK_SECRET=... python3 examples/post-call/receiver.py 9000

then set POST_CALL_WEBHOOK_URL=http://<host>:9000/ and the same secret on voicebridge.
What a receiver facing the network should do, in order:

- Serve each connection on its own thread, with a socket timeout, so one client that
  stalls mid-request holds neither the others nor a thread for long.
- Refuse a body before reading it when its declared length is missing (411) or larger
  than it will ever need (413).
- Check the signature (voicebridge-signature: t=<unix>,v1=<hex HMAC-SHA256 of
  "<t>.<body>">) before trusting anything in the body: stale or forged deliveries get 401.
- Take each delivery once: voicebridge sends the same voicebridge-delivery-id on every
  attempt of one delivery, so a retry of an attempt already taken (its answer was lost)
  is answered 200 and not processed again.
"""

import hashlib
import hmac
import json
import os
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["POST_CALL_WEBHOOK_SECRET"].encode()
TOLERANCE_SECONDS = 300
# An hour-long call's record with Layercode's transcript is a few hundred KiB.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Seconds a connection may stay silent before it is dropped.
SOCKET_TIMEOUT_SECONDS = 10
# Delivery ids remembered; far more than the deliveries retried at any one time.
REMEMBERED_DELIVERIES = 10_000


def valid(header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(SECRET, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", "").lower())


class Deliveries:
    """The delivery ids already taken (the most recent ones), shared by every thread."""

    def __init__(self):
        self._seen = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str) -> bool:
        """True the first time an id is seen; it is then remembered."""
        with self._lock:
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = True
            while len(self._seen) > REMEMBERED_DELIVERIES:
                self._seen.popitem(last=False)
            return True

    def forget(self, delivery_id: str):
        """Lets a delivery that failed to be processed be taken again on its retry."""
        with self._lock:
            self._seen.pop(delivery_id, None)


DELIVERIES = Deliveries()


def print_call(call: dict):
    lines = [
        f"{call['agent']}/{call['conversation_id']}: {call['turns'] and len(call['turns'])} turns, "
        f"outcome {call['outcome']}, {call['duration_ms'] / 1000:.0f} s"
    ]
    if call.get("summary_text"):
        lines.append(f"  summary: {call['summary_text']}")
    for turn in call["turns"]:
        if turn["user_text"]:
            lines.append(f"  caller: {turn['user_text']}")
        lines.append(f"  agent:  {turn['agent_text']}" + (" (interrupted)" if turn["interrupted"] else ""))
    # One write, so the lines of calls taken at the same time do not interleave.
    print("\n".join(lines), flush=True)


class Handler(BaseHTTPRequestHandler):
    timeout = SOCKET_TIMEOUT_SECONDS

    def answer(self, status: int):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def refuse_unread(self, status: int):
        # The body stays unread: the connection cannot be reused.
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def do_POST(self):
        try:
            length = int(self.headers.get("content-length", ""))
        except ValueError:
            return self.refuse_unread(411)
        if length < 0 or length > MAX_BODY_BYTES:
            return self.refuse_unread(413)
        body = self.rfile.read(length)
        if len(body) < length:
            return  # The client went away mid-body.
        if not valid(self.headers.get("voicebridge-signature", ""), body):
            return self.answer(401)
        delivery_id = self.headers.get("voicebridge-delivery-id", "")
        if delivery_id and not DELIVERIES.first_time(delivery_id):
            return self.answer(200)  # Already taken: a retry whose first answer was lost.
        try:
            print_call(json.loads(body)["call"])
        except (ValueError, KeyError, TypeError):
            DELIVERIES.forget(delivery_id)
            return self.answer(400)
        self.answer(204)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    server.serve_forever()
