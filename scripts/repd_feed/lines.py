"""lines.py -- line formats: spamtrap hit logs (CSV/TSV) and repd's own NDJSON events.

Spamtrap log columns, in this order when the file has no header line:
    time, ip, helo, mail_from, domain
A header line (its first cell is `time`) may order them freely and add `count` and `reporter`.
Comma- or tab-separated (the first data line decides), `#` starts a comment line.
`domain` is the DKIM-verified d= recorded by the trap's MTA: leave it empty when no signature
verified, as repd trusts it as verified. `time` is unix seconds, RFC 3339, or
"YYYY-MM-DD HH:MM:SS" in UTC.
"""

import csv
import hashlib
import json

from .events import BadInput, check_domain, check_ip, make_event, parse_time, stable_id, validate

TRAP_COLUMNS = ("time", "ip", "helo", "mail_from", "domain")
MAX_LINE = 65536
_KNOWN_COLUMNS = frozenset(TRAP_COLUMNS + ("count", "reporter"))


class TrapLog:
    """Parses one spamtrap log line by line, keeping the header and delimiter it found."""

    def __init__(self, origin, reporter=None, now=None):
        self.origin = origin
        self.reporter = reporter or "spamtrap"
        self.now = now
        self.columns = None
        self.delimiter = None

    def line(self, number, text):
        """The event of one line, or None for blank, comment and header lines."""
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return None
        if self.delimiter is None:
            self.delimiter = "\t" if "\t" in stripped else ","
        cells = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter))
        cells = [c.strip() for c in cells]
        if self.columns is None:
            if cells[0].lower() == "time":
                names = [c.lower() for c in cells]
                unknown = [n for n in names if n not in _KNOWN_COLUMNS]
                if unknown or "ip" not in names and "domain" not in names:
                    raise BadInput(f"header names unknown columns {unknown} "
                                   f"(known: {', '.join(sorted(_KNOWN_COLUMNS))})")
                self.columns = names
                return None
            self.columns = list(TRAP_COLUMNS)
        if len(cells) > len(self.columns):
            raise BadInput(f"{len(cells)} fields, expected at most {len(self.columns)} "
                           f"({', '.join(self.columns)})")
        row = dict(zip(self.columns, cells))
        if not row.get("time"):
            raise BadInput("time: empty")
        time = parse_time(row["time"], self.now)
        ip = check_ip(row["ip"]) if row.get("ip") else None
        domain = check_domain(row["domain"]) if row.get("domain") else None
        count = None
        if row.get("count"):
            try:
                count = float(row["count"])
            except ValueError:
                raise BadInput(f"count: {row['count'][:30]!r} is not a number") from None
            if not 0 < count <= 1e9:
                raise BadInput("count: must be > 0 and at most 1e9")
            count = int(count) if count.is_integer() else count
        # Content hash and line number: the same hit logged twice on two lines stays two hits,
        # and the id survives the file being renamed or rotated.
        digest = hashlib.sha256(stripped.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return make_event(stable_id("trap", digest, number), "spamtrap",
                          row.get("reporter") or self.reporter, time=time, ip=ip,
                          domain=domain, mail_from=row.get("mail_from") or None,
                          helo=row.get("helo") or None, count=count)


def ndjson_line(text, reporter=None, now=None):
    """(event, wire text) of one NDJSON line, or None for a blank line. The line is sent as it
    was read when it needed no change, which keeps ingestion at file-reading speed."""
    stripped = text.strip()
    if not stripped:
        return None
    if len(stripped) > MAX_LINE:
        raise BadInput(f"line longer than {MAX_LINE} characters: no event is that large")
    try:
        obj = json.loads(stripped, parse_constant=_no_constant)
    except ValueError as e:
        raise BadInput(f"malformed JSON: {e}") from None
    event, changed = validate(obj, reporter, now)
    if changed:
        return event, json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return event, stripped


def _no_constant(name):
    # NaN and Infinity are not JSON; Python accepts them, the server would not.
    raise ValueError(f"{name} is not a JSON value")
