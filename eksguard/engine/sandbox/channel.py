"""The line-delimited JSON channel between ``eksguard check`` and the program's process (both ends use it).

The program's process sends records (``resource``) and the end of the run (``done`` or ``error``); it asks
(``invoke``, ``call``) and waits for the one answer. Requests are made one at a time: the SDK may invoke from
several threads, but invokes are few and answers fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import Any


class Channel:
    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._reader = os.fdopen(read_fd, "r", encoding="utf-8")
        self._writer = os.fdopen(write_fd, "w", encoding="utf-8")
        self._write_lock = threading.Lock()
        self._request_lock = threading.Lock()

    def receive(self) -> dict[str, Any]:
        line = self._reader.readline()
        if not line:
            raise EOFError("eksguard check closed the channel")
        return json.loads(line)

    def send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":")) + "\n"
        with self._write_lock:
            self._writer.write(text)
            self._writer.flush()

    def close(self) -> None:
        for stream in (self._reader, self._writer):
            with contextlib.suppress(OSError):
                stream.close()

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._request_lock:
            self.send(message)
            return self.receive()
