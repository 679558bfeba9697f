"""A thread with its bounded queue, the shared stop flag and its first error: the film's
reader and writer (``colorcli.filmreader``, ``colorcli.videoio``) and the frame sequences'."""

from __future__ import annotations

import queue
import threading
from typing import Any


class Worker:
    """A thread, the queue it fills or drains, the shared stop flag and its first error."""

    def __init__(self, stop: threading.Event, depth: int, name: str) -> None:
        self.stop, self.error = stop, None
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._guarded, name=name, daemon=True)

    def _guarded(self) -> None:
        try:
            self.run()
        except BaseException as e:  # handed to the calling thread
            self.error = e
            self.stop.set()

    def run(self) -> None:  # pragma: no cover - each worker defines it
        raise NotImplementedError

    def put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> Any:
        while True:
            try:
                return self.q.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return ("end",)

    def join(self) -> None:
        if self.thread.is_alive():
            self.thread.join(timeout=5)
