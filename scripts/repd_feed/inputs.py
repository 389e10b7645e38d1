"""inputs.py -- finding the inputs (files, directories, Maildir, stdin) and telling their formats.

The format of each input is recognised from its content, not its name: gzip and zip are opened
(also inside mail attachments), XML is a DMARC aggregate report, `{` starts NDJSON, `From `
starts an mbox, a header block starts a mail message (ARF report, or a mail carrying a DMARC
report as attachment), anything else is a spamtrap log.
"""

import csv
import gzip
import io
import os
import re
import zipfile
import zlib

from . import arf, dmarc, mime
from .events import BadInput
from .lines import TrapLog, ndjson_line

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MBOX_FROM = re.compile(rb"^From \S+")
_MBOXRD_QUOTED = re.compile(rb"^>+From ")
_ATTACHMENT_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/zip",
                               "application/x-zip-compressed", "application/xml", "text/xml",
                               "application/octet-stream"})
FORMATS = ("auto", "arf", "dmarc", "traps", "ndjson")


class Unit:
    """One input as the state file knows it: a file (by real path, size and mtime) or stdin."""

    def __init__(self, label, path=None):
        self.label = label
        self.path = path
        self.size = 0
        self.mtime_ns = 0
        if path is not None:
            st = os.stat(path)
            self.size = st.st_size
            self.mtime_ns = st.st_mtime_ns
        self.key = os.path.realpath(path) if path else None
        self.events = 0
        self.pending = 0
        self.open_reports = 0
        self.closed = False
        self.failed = False
        self.raw = None  # the open file, for progress


def discover(paths, problem, exclude=None):
    """Units for the command-line inputs, in a stable order; missing paths are problems.
    `exclude` (the state file) is never read as an input, nor its SQLite companions, even when
    it lives inside an input directory."""
    skip = set()
    if exclude:
        real = os.path.realpath(exclude)
        skip = {real + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    units = []
    for arg in paths or ["-"]:
        if arg == "-":
            units.append(Unit("<stdin>"))
        elif os.path.isdir(arg):
            units.extend(u for u in _walk(arg) if u.key not in skip)
        elif os.path.isfile(arg):
            if os.path.realpath(arg) not in skip:
                units.append(Unit(arg, arg))
        else:
            problem(arg, "no such file or directory")
    return units


def _is_maildir(path):
    return os.path.isdir(os.path.join(path, "cur")) or os.path.isdir(os.path.join(path, "new"))


def _walk(top):
    if _is_maildir(top):
        # tmp/ holds messages still being delivered: never read them.
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(top, sub)
            if os.path.isdir(d):
                out.extend(Unit(os.path.join(d, n), os.path.join(d, n))
                           for n in sorted(os.listdir(d))
                           if not n.startswith(".") and os.path.isfile(os.path.join(d, n)))
        return out
    out = []
    for name in sorted(os.listdir(top)):
        if name.startswith("."):
            continue
        path = os.path.join(top, name)
        if os.path.isdir(path):
            out.extend(_walk(path))
        elif os.path.isfile(path):
            out.append(Unit(path, path))
    return out


class _Chain(io.RawIOBase):
    """A stream that first returns `head`, then the rest of `stream` (after sniffing)."""

    def __init__(self, head, stream):
        self.head = head
        self.stream = stream

    def readable(self):
        return True

    def readinto(self, buf):
        if self.head:
            n = min(len(buf), len(self.head))
            buf[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.stream.read(len(buf))
        n = len(data)
        buf[:n] = data
        return n


def _first_line(stream, limit=8192):
    """At least the first line (or `limit` bytes): enough to tell the format, without waiting
    for more of a pipe than the writer has sent."""
    read1 = getattr(stream, "read1", stream.read)
    head = b""
    while len(head) < limit and b"\n" not in head:
        chunk = read1(limit - len(head))
        if not chunk:
            break
        head += chunk
    return head


def sniff(head):
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "dmarc"
    if text.startswith(b"{"):
        return "ndjson"
    if _MBOX_FROM.match(head):
        return "mbox"
    if _HEADER_LINE.match(head):
        return "mail"
    return "traps"


class Reader:
    """Reads inputs and hands what it finds to a sink with event(), report() and problem()."""

    def __init__(self, sink, *, fmt="auto", reporter=None, virus_as="complaint",
                 max_bytes=256 << 20, now=None):
        self.sink = sink
        self.format = fmt
        self.reporter = reporter
        self.virus_as = virus_as
        self.max_bytes = max_bytes
        self.now = now

    def read_unit(self, unit, stream):
        self.read_stream(stream, unit.label, unit, 0)

    def read_stream(self, stream, origin, unit, depth, fmt=None):
        head = _first_line(stream)
        if not head:
            self.sink.problem(unit, origin, "empty input")
            return
        kind = sniff(head)
        chained = io.BufferedReader(_Chain(head, stream), 1 << 16)
        if kind == "gzip":
            if depth >= 3:
                self.sink.problem(unit, origin, "compressed more than 3 levels deep")
                return
            try:
                self.read_stream(gzip.GzipFile(fileobj=chained, mode="rb"), origin, unit,
                                 depth + 1, fmt)
            except (OSError, EOFError, zlib.error) as e:
                self.sink.problem(unit, origin, f"broken gzip data: {e}")
            return
        kind = self._forced(kind, fmt)
        if kind == "ndjson":
            self._ndjson(chained, origin, unit)
        elif kind == "traps":
            self._traps(chained, origin, unit)
        elif kind == "mbox":
            self._mbox(chained, origin, unit, depth)
        else:
            data = self._read_all(chained, origin, unit)
            if data is not None:
                self.read_bytes(data, origin, unit, depth, kind, fmt)

    def _forced(self, kind, fmt=None):
        """The kind to read as under --format (or `fmt`): containers are always opened, and a
        mail may carry a DMARC report as attachment."""
        fmt = fmt or self.format
        if kind in ("gzip", "zip", "mbox") or fmt == "auto":
            return kind
        if fmt == "arf":
            return "mail"
        if fmt == "dmarc" and kind == "mail":
            return kind
        return fmt

    def read_bytes(self, data, origin, unit, depth, kind=None, fmt=None):
        kind = self._forced(kind or sniff(data[:8192]), fmt)
        if kind == "zip":
            self._zip(data, origin, unit, depth, fmt)
        elif kind == "dmarc":
            self._dmarc(data, origin, unit)
        elif kind == "mail":
            self.message(data, origin, unit, depth)
        else:
            self.read_stream(io.BytesIO(data), origin, unit, depth, fmt)

    def _read_all(self, stream, origin, unit):
        try:
            data = stream.read(self.max_bytes + 1)
        except (OSError, EOFError, zlib.error) as e:
            self.sink.problem(unit, origin, f"unreadable: {e}")
            return None
        if len(data) > self.max_bytes:
            self.sink.problem(unit, origin, f"larger than --max-input-bytes ({self.max_bytes})")
            return None
        return data

    def _lines(self, stream, origin, unit):
        number = 0
        try:
            for raw in stream:
                number += 1
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    self.sink.problem(unit, f"{origin}:{number}", f"not UTF-8 ({e.reason} at "
                                      f"byte {e.start})")
        except (OSError, EOFError, zlib.error) as e:
            self.sink.problem(unit, f"{origin}:{number + 1}", f"unreadable: {e}")

    def _ndjson(self, stream, origin, unit):
        event_fn, problem_fn = self.sink.event, self.sink.problem
        for number, text in self._lines(stream, origin, unit):
            try:
                parsed = ndjson_line(text, self.reporter, self.now)
            except BadInput as e:
                problem_fn(unit, f"{origin}:{number}", str(e))
                continue
            if parsed is not None:
                event_fn(unit, f"{origin}:{number}", parsed[0], parsed[1])

    def _traps(self, stream, origin, unit):
        log = TrapLog(origin, self.reporter, self.now)
        for number, text in self._lines(stream, origin, unit):
            try:
                event = log.line(number, text)
            except BadInput as e:
                self.sink.problem(unit, f"{origin}:{number}", str(e))
                continue
            except csv.Error as e:
                self.sink.problem(unit, f"{origin}:{number}", f"malformed CSV: {e}")
                continue
            if event is not None:
                self.sink.event(unit, f"{origin}:{number}", event)

    def _dmarc(self, data, origin, unit):
        try:
            events, problems = dmarc.parse(data, origin, reporter=self.reporter, now=self.now)
        except BadInput as e:
            self.sink.problem(unit, origin, str(e))
            return
        for where, reason in problems:
            self.sink.problem(unit, where, reason)
        for event in events:
            self.sink.event(unit, origin, event)

    def _zip(self, data, origin, unit, depth, fmt=None):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            self.sink.problem(unit, origin, f"broken zip archive: {e}")
            return
        if not members:
            self.sink.problem(unit, origin, "empty zip archive")
        for member in members:
            where = f"{origin}!{member.filename}"
            if member.file_size > self.max_bytes:
                self.sink.problem(unit, where, f"larger than --max-input-bytes ({self.max_bytes})")
                continue
            try:
                with archive.open(member) as f:
                    content = f.read(self.max_bytes + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error,
                    NotImplementedError, RuntimeError) as e:
                self.sink.problem(unit, where, f"broken zip member: {e}")
                continue
            if depth >= 3:
                self.sink.problem(unit, where, "archives nested more than 3 levels deep")
                continue
            self.read_bytes(content, where, unit, depth + 1, fmt=fmt)

    def _mbox(self, stream, origin, unit, depth):
        index = 0
        current = None
        blank = True  # a separator starts the file or follows an empty line
        for raw in stream:
            if blank and _MBOX_FROM.match(raw):
                if current is not None:
                    index += 1
                    self._mbox_message(current, f"{origin}: message {index}", unit, depth)
                current = []
                continue
            blank = raw in (b"\n", b"\r\n")
            if current is None:
                continue
            if _MBOXRD_QUOTED.match(raw):
                raw = raw[1:]
            current.append(raw)
        if current is not None:
            index += 1
            self._mbox_message(current, f"{origin}: message {index}", unit, depth)

    def _mbox_message(self, lines, origin, unit, depth):
        # The blank line before the next "From " separator belongs to the mbox, not the message.
        if lines and lines[-1].strip() == b"":
            lines.pop()
        self.message(b"".join(lines), origin, unit, depth)

    def message(self, raw, origin, unit, depth=0):
        """One mail message: an ARF report, or a mail with DMARC reports attached."""
        try:
            top, parts = mime.parts_of(raw)
            if arf.is_arf(top):
                report = arf.parse(raw, origin, reporter=self.reporter, virus_as=self.virus_as,
                                   now=self.now, parsed=(top, parts))
                self.sink.report(unit, report)
                return
        except BadInput as e:
            self.sink.problem(unit, origin, str(e))
            return
        if self.format == "arf":
            self.sink.problem(unit, origin, f"not an ARF report (Content-Type {top.content_type})")
            return
        found = False
        for part in mime.walk(raw):
            name = part.filename().lower()
            if part.content_type in _ATTACHMENT_TYPES or name.endswith((".xml", ".gz", ".zip")):
                try:
                    data = part.decoded()
                except ValueError as e:
                    self.sink.problem(unit, f"{origin}: {name or part.content_type}", str(e))
                    continue
                kind = sniff(data[:8192])
                if kind in ("zip", "gzip", "dmarc"):
                    found = True
                    # Whatever a mail's archive holds must be a DMARC report: a zipped text
                    # file is not a spamtrap log.
                    self.read_bytes(data, f"{origin}: attachment {name or part.content_type}",
                                    unit, depth + 1, kind, fmt="dmarc")
        if not found:
            self.sink.problem(unit, origin, "neither an ARF report (multipart/report; "
                              "report-type=feedback-report) nor a mail with a DMARC report "
                              f"attached (Content-Type {top.content_type})")
