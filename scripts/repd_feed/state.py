"""state.py -- what was already delivered, so an interrupted or repeated run resends nothing.

SQLite (standard library). Two tables, both keyed by the server URL, since an id delivered to
one server says nothing about another:
  sent   -- every event id the server acknowledged (accepted or duplicate);
  inputs -- input files whose every event was acknowledged, with the size and mtime they had,
            so that an unchanged file is not even read again.
An id is written only after the server's answer: a run killed mid-batch resends that batch, and
the server's own id check keeps it from counting twice.
"""

import os
import sqlite3
import threading

_CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit


class NullState:
    """--no-state and --dry-run: remembers nothing."""

    path = None

    def known(self, ids):
        return set()

    def record_sent(self, ids):
        pass

    def input_done(self, key, size, mtime_ns):
        return False

    def mark_input(self, key, size, mtime_ns, events):
        pass

    def close(self):
        pass


class State:
    def __init__(self, path, server):
        self.path = path
        self.server = server
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        # Used by the reading thread and the sender thread, one at a time (the lock).
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.lock = threading.Lock()
        try:
            # WAL + NORMAL: a killed process loses nothing committed; a power cut may lose the
            # last batches' ids, which only costs a resend that the server counts as duplicate.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS sent (server TEXT NOT NULL, id TEXT NOT "
                            "NULL, PRIMARY KEY (server, id)) WITHOUT ROWID")
            self.db.execute("CREATE TABLE IF NOT EXISTS inputs (server TEXT NOT NULL, key TEXT "
                            "NOT NULL, size INTEGER, mtime_ns INTEGER, events INTEGER, "
                            "PRIMARY KEY (server, key))")
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise ValueError(f"state file {path}: {e}") from None

    def known(self, ids):
        """The subset of `ids` already acknowledged by this server."""
        found = set()
        ids = list(ids)
        with self.lock:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(f"SELECT id FROM sent WHERE server = ? AND id IN "
                                       f"({marks})", [self.server, *chunk])
                found.update(r[0] for r in rows)
        return found

    def record_sent(self, ids):
        with self.lock, self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO sent (server, id) VALUES (?, ?)",
                                ((self.server, i) for i in ids))

    def input_done(self, key, size, mtime_ns):
        with self.lock:
            row = self.db.execute("SELECT size, mtime_ns FROM inputs WHERE server = ? AND "
                                  "key = ?", (self.server, key)).fetchone()
        return row is not None and row[0] == size and row[1] == mtime_ns

    def mark_input(self, key, size, mtime_ns, events):
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO inputs (server, key, size, mtime_ns, events) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (self.server, key, size, mtime_ns, events))

    def close(self):
        with self.lock:
            self.db.close()


def default_path():
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "repd-feed", "state.sqlite")
