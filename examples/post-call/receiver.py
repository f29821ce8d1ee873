#!/usr/bin/env python3
"""A minimal receiver for voicebridge's post-call webhook (standard library only).

    POST_CALL_WEBHOOK_SECRET=... python3 examples/post-call/receiver.py 9000

then set POST_CALL_WEBHOOK_URL=http://<host>:9000/ and the same secret on voicebridge.
It checks the signature (voicebridge-signature: t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>">), refuses stale or forged deliveries with 401, and prints each call.
"""

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["POST_CALL_WEBHOOK_SECRET"].encode()
TOLERANCE_SECONDS = 300


def valid(header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(SECRET, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if not valid(self.headers.get("voicebridge-signature", ""), body):
            self.send_response(401)
            self.end_headers()
            return
        call = json.loads(body)["call"]
        print(f"{call['agent']}/{call['conversation_id']}: {call['turns'] and len(call['turns'])} turns, "
              f"outcome {call['outcome']}, {call['duration_ms'] / 1000:.0f} s")
        if call.get("summary_text"):
            print("  summary:", call["summary_text"])
        for turn in call["turns"]:
            if turn["user_text"]:
                print("  caller:", turn["user_text"])
            print("  agent: ", turn["agent_text"], "(interrupted)" if turn["interrupted"] else "")
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    HTTPServer(("0.0.0.0", port), Handler).serve_forever()
