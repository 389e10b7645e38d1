"""events.py -- repd feedback events: building them, validating them as the server will, ids."""

import datetime
import email.utils
import hashlib
import ipaddress
import json
import re
import time as _time

EVENT_TYPES = ("complaint", "spamtrap", "ham", "delivered", "auth_fail", "auth_pass", "bot")
_TYPE_SET = frozenset(EVENT_TYPES)

# The server's limits (reputation/feedback.cc): checking them here lets a bad line be reported
# with its file and line instead of as a line number inside a batch.
MAX_ID = 256
MAX_REPORTER = 128
MAX_NAME = 1024
MAX_COUNT = 1e9
FUTURE_SLACK = 86400

_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")
_DATE_ONLY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class BadInput(Exception):
    """An input item that cannot become an event; the message says why, in words."""


def stable_id(prefix, *parts):
    """An id from the parts that identify an item; hashed when it would exceed the server's
    limit, so that long Message-IDs or report ids still give the same id on every run."""
    text = prefix + ":" + ":".join(str(p) for p in parts)
    if len(text) <= MAX_ID:
        return text
    return prefix + ":sha256:" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def parse_time(value, now=None):
    """Unix seconds from an int, a float, a numeric string, RFC 3339, "YYYY-MM-DD HH:MM:SS"
    (UTC when no offset is given) or an RFC 5322 date; BadInput otherwise."""
    if isinstance(value, bool):
        raise BadInput("time: not a date")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadInput("time: not a finite number")
        seconds = int(value)
    elif isinstance(value, str):
        seconds = _parse_time_text(value.strip())
    else:
        raise BadInput("time: must be unix seconds or a date string")
    if seconds <= 0:
        raise BadInput("time: before 1970")
    now = int(_time.time()) if now is None else now
    if seconds > now + FUTURE_SLACK:
        raise BadInput("time: more than a day in the future")
    return seconds


def _parse_time_text(text):
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(float(text))
    m = _RFC3339.match(text)
    if m:
        year, month, day, hour, minute, sec = (int(g) for g in m.groups()[:6])
        tz = m.group(8)
        offset = 0
        if tz and tz not in ("Z", "z"):
            sign = 1 if tz[0] == "+" else -1
            offset = sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
        try:
            dt = datetime.datetime(year, month, day, hour, minute, min(sec, 59),
                                   tzinfo=datetime.timezone.utc)
        except ValueError as e:
            raise BadInput(f"time: {text!r}: {e}") from None
        return int(dt.timestamp()) - offset
    m = _DATE_ONLY.match(text)
    if m:
        try:
            dt = datetime.datetime(*(int(g) for g in m.groups()), tzinfo=datetime.timezone.utc)
        except ValueError as e:
            raise BadInput(f"time: {text!r}: {e}") from None
        return int(dt.timestamp())
    try:
        dt = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        raise BadInput(f"time: {text[:60]!r} is not unix seconds, RFC 3339 or an RFC 5322 date")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp())


def check_ip(text):
    """The address in canonical form; BadInput when it is not one."""
    if not isinstance(text, str):
        raise BadInput("ip: must be a string")
    candidate = text.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    if candidate.lower().startswith("ipv6:"):
        candidate = candidate[5:]
    try:
        addr = ipaddress.ip_address(candidate)
    except ValueError:
        raise BadInput(f"ip: {text[:60]!r} is not an IP address") from None
    # An IPv4-mapped IPv6 address is the IPv4 sender; keeping the mapped form would split its
    # evidence between two subjects.
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return str(addr)


def check_domain(text):
    """A domain name in lower-case ASCII (IDNs in their A-label form), no trailing dot."""
    if not isinstance(text, str):
        raise BadInput("domain: must be a string")
    name = text.strip().rstrip(".").lower()
    if not name:
        raise BadInput("domain: empty")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadInput(f"domain: {text[:60]!r} is not a valid domain name") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise BadInput(f"domain: {text[:60]!r} is not a valid domain name")
    return name


def _string(obj, field, limit):
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{field}: must be a string")
    if len(value) > limit:
        raise BadInput(f"{field}: longer than {limit}")
    return value


def validate(obj, default_reporter=None, now=None):
    """Checks one event object as POST /v1/feedback will. Returns (event, changed): the event
    with its fields normalised, and whether it differs from `obj` (an unchanged NDJSON line is
    sent as it was read)."""
    if not isinstance(obj, dict):
        raise BadInput("an event must be a JSON object")
    changed = False
    event_id = _string(obj, "id", MAX_ID)
    if not event_id:
        raise BadInput("id: required")
    event_type = obj.get("type")
    if event_type not in _TYPE_SET:
        if event_type is None:
            raise BadInput("type: required")
        raise BadInput(f"type: unknown event type {str(event_type)[:40]!r} "
                       f"(one of {', '.join(EVENT_TYPES)})")
    reporter = _string(obj, "reporter", MAX_REPORTER)
    if not reporter:
        if not default_reporter:
            raise BadInput("reporter: required (or give --reporter)")
        obj = dict(obj, reporter=default_reporter)
        changed = True
    if obj.get("time") is not None:
        parse_time(obj["time"], now)
    ip = obj.get("ip")
    if ip is not None:
        check_ip(ip)
    domain = obj.get("domain")
    if domain is not None:
        check_domain(domain)
    if ip is None and domain is None:
        raise BadInput("an event needs 'ip' or 'domain'")
    _string(obj, "mail_from", MAX_NAME)
    _string(obj, "helo", MAX_NAME)
    count = obj.get("count")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, (int, float)):
            raise BadInput("count: must be a number")
        if not 0 < count <= MAX_COUNT:
            raise BadInput("count: must be a number > 0 and at most 1e9")
    return obj, changed


def make_event(event_id, event_type, reporter, *, time=None, ip=None, domain=None,
               mail_from=None, helo=None, count=None):
    """An event built by a parser from trusted pieces; fields left None are omitted."""
    event = {"id": event_id, "type": event_type}
    if time is not None:
        event["time"] = time
    if ip is not None:
        event["ip"] = ip
    if domain is not None:
        event["domain"] = domain
    if mail_from:
        event["mail_from"] = mail_from[:MAX_NAME]
    if helo:
        event["helo"] = helo[:MAX_NAME]
    event["reporter"] = reporter[:MAX_REPORTER]
    if count is not None and count != 1:
        event["count"] = count
    if ip is None and domain is None:
        raise BadInput("no source IP and no verified domain: nothing to attach the event to")
    return event


def encode(event):
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
