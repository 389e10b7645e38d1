"""progress.py -- a one-line progress bar on stderr for long runs at a terminal."""

import sys
import time


class Progress:
    def __init__(self, total_bytes, enabled, stream=sys.stderr):
        self.total = total_bytes
        self.enabled = enabled
        self.stream = stream
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, done_bytes, stats, force=False):
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-6)
        rate = stats.read / elapsed
        if self.total > 0:
            fraction = min(1.0, done_bytes / self.total)
            filled = int(fraction * 30)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:5.1f}% "
        else:
            bar = ""
        line = (f"{bar}read {stats.read} sent {stats.sent} dup {stats.duplicate} "
                f"skipped {stats.skipped}  {rate:,.0f} events/s")
        self.stream.write("\r" + line[:200] + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self):
        """Removes the bar so that a message or the summary starts on a clean line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
