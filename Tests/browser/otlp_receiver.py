"""An OpenTelemetry collector's front door on loopback: OTLP/HTTP with protobuf bodies at /v1/traces, decoded with the
OpenTelemetry project's own message definitions (`opentelemetry-proto`), as any collector would read them."""
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse


class ReceivedSpan:
    def __init__(self, span):
        self.name = span.name
        self.trace_id = span.trace_id.hex()
        self.span_id = span.span_id.hex()
        self.parent_span_id = span.parent_span_id.hex() or None
        self.kind = span.kind
        self.error = span.status.code == 2
        self.attributes = {a.key: (a.value.string_value or a.value.int_value) for a in span.attributes}


class OTLPReceiver:
    def __init__(self):
        self.spans, self.services, self.lock = [], set(), threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                export = ExportTraceServiceRequest.FromString(body)
                with receiver.lock:
                    for resource_spans in export.resource_spans:
                        receiver.services |= {a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"}
                        for scope in resource_spans.scope_spans:
                            receiver.spans.extend(ReceivedSpan(span) for span in scope.spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, condition, message, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = condition(list(self.spans))
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{message}; spans received: {[(s.name, s.trace_id) for s in self.spans][-10:]}")

    def stop(self):
        self.server.shutdown()
