"""sender.py -- sends batches on a thread of their own, so that reading the next batch overlaps
the server's work on the previous one (the thread waits on its socket, not on Python).

Batches leave in the order they were submitted; after a failure no later batch is sent (they
are not recorded as delivered, so the next run sends them). The failure is raised in the
reading thread at its next submit() or at close().
"""

import collections
import queue
import threading


class Sender:
    def __init__(self, send, depth=2):
        self.send = send
        self.queue = queue.Queue(maxsize=depth)
        self.done = collections.deque()  # batches whose send returned, for the bookkeeping
        self.error = None
        self.thread = threading.Thread(target=self._run, name="repd-feed-sender", daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            items = self.queue.get()
            if items is None:
                return
            if self.error is None:
                try:
                    self.send(items)
                except BaseException as e:  # re-raised in the reading thread
                    self.error = e
                    continue
                self.done.append(items)

    def submit(self, items):
        self._raise()
        self.queue.put(items)

    def completed(self):
        """Batches sent since the last call, oldest first."""
        out = []
        while self.done:
            out.append(self.done.popleft())
        return out

    def close(self):
        """Waits for every submitted batch; raises the failure that stopped sending, if any."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        self._raise()

    def _raise(self):
        if self.error is not None:
            error, self.error = self.error, None
            self.send = None
            raise error
