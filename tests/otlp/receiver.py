"""An OTLP/HTTP traces receiver for the tests: decodes each POST /v1/traces with the
official OpenTelemetry protobuf definitions (the opentelemetry-proto package) and keeps
every span. GET /spans answers them as JSON, one object per span, ids in hex; GET
/requests the headers of every export. Prints its port on the first line of stdout.

Run: receiver.py [--status CODE] (answer every export with CODE, e.g. 503)."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

LOCK = threading.Lock()
SPANS = []
REQUESTS = []
STATUS = 200


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def attributes(kvs):
    return {kv.key: value(kv.value) for kv in kvs}


def spans_of(request):
    out = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for span in scope_spans.spans:
                out.append(
                    {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "name": span.name,
                        "kind": span.kind,
                        "start": span.start_time_unix_nano,
                        "end": span.end_time_unix_nano,
                        "attributes": attributes(span.attributes),
                        "events": [
                            {
                                "name": e.name,
                                "time": e.time_unix_nano,
                                "attributes": attributes(e.attributes),
                            }
                            for e in span.events
                        ],
                        "status": {"code": span.status.code, "message": span.status.message},
                        "resource": resource,
                        "scope": scope,
                    }
                )
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path != "/v1/traces":
            return self.answer(404, b"not found", "text/plain")
        with LOCK:
            REQUESTS.append({k.lower(): v for k, v in self.headers.items()})
        if STATUS != 200:
            return self.answer(STATUS, b"unavailable", "text/plain")
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with LOCK:
            SPANS.extend(spans_of(request))
        self.answer(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def do_GET(self):
        with LOCK:
            data = SPANS if self.path == "/spans" else REQUESTS
            body = json.dumps(data).encode()
        self.answer(200, body, "application/json")


def main():
    global STATUS
    if len(sys.argv) > 2 and sys.argv[1] == "--status":
        STATUS = int(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
