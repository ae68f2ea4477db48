"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1, port 0, in a thread.

It records every request (path with query, headers, raw body) and answers with
the status codes it is told to (200 by default); `stop()` takes it down and
`start()` brings it back on the same port.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self):
        self.received: list[Received] = []
        self.answers: deque[int] = deque()  # status codes to answer next, then 200
        self.delays: deque[float] = deque()  # seconds to wait before answering the next requests
        self.on_request = None  # called once, with the request recorded, before answering
        self.default_status = 200
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received(path=self.path, headers=dict(self.headers.items()), body=body)
                    )
                    status = (
                        receiver.answers.popleft() if receiver.answers else receiver.default_status
                    )
                    delay = receiver.delays.popleft() if receiver.delays else 0
                    hook, receiver.on_request = receiver.on_request, None
                if hook is not None:
                    hook()
                time.sleep(delay)
                answer = b'{"ok": true}' if status < 300 else b"x" * 3000
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender went away (a killed worker)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> Receiver:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
