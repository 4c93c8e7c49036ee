"""A local fake SMS gateway / group-robot webhook: an HTTP server thread that records what it receives and
answers with the statuses it is told to (one per request, then the last one again)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self, replies=((200, '{"code": 0, "msg": "ok"}'),)):
        self.requests, self.replies = [], list(replies)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                gateway.requests.append({"method": self.command, "path": self.path, "body": body,
                                         "headers": dict(self.headers)})
                status, text = gateway.replies[min(len(gateway.requests), len(gateway.replies)) - 1]
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def json_bodies(self):
        return [json.loads(r["body"]) for r in self.requests]
