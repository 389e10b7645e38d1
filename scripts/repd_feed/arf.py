"""arf.py -- ARF abuse reports (RFC 5965, RFC 6591 auth-failure, RFC 6650 not-spam) to events.

A report becomes one event about its Source-IP. The DKIM d= of the attached message is added
only after the message verifies (see verify.py): the reported domain, Original-Mail-From and
the attached From are claims that anyone can forge, so they go into `mail_from`, which earns
no reputation on the server.
"""

import email.utils
import hashlib
import re

from . import mime
from .events import BadInput, check_domain, check_ip, make_event, parse_time, stable_id

# Feedback-Type -> event type. `virus` defaults to complaint, not bot: a virus often comes
# through a shared provider from one compromised account, and a bot listing rejects the whole
# IP at connect time (MODEL.md rule 2) -- innocent customers of the provider with it.
# --virus-as bot is for feeds that know the source is an infected host.
FEEDBACK_TYPES = {
    "abuse": "complaint",
    "fraud": "complaint",
    "virus": "complaint",
    "not-spam": "ham",
    "auth-failure": "auth_fail",
}

_DKIM_SIGNATURE = re.compile(rb"(?im)^dkim-signature[ \t]*:")
_RECEIVED_FROM = re.compile(r"^\s*from\s+([^\s()]+)", re.I)


class Report:
    """One parsed feedback report, waiting for the DKIM verdict of its attached message."""

    def __init__(self, origin, base_id, event_type, reporter, time, ip, mail_from, helo, count,
                 message):
        self.origin = origin
        self.base_id = base_id
        self.event_type = event_type
        self.reporter = reporter
        self.time = time
        self.ip = ip
        self.mail_from = mail_from
        self.helo = helo
        self.count = count
        # The attached message, raw, when it is whole and carries a DKIM signature; None when
        # there is nothing a verifier could pass.
        self.message = message

    @property
    def wants_verification(self):
        # An auth_fail is about a source that failed authentication for a name it claimed; a
        # verified signature of another domain on it would charge the forgery to that domain.
        return self.message is not None and self.event_type != "auth_fail"

    def events(self, verified_domains=()):
        """The events of this report: one about the source IP (carrying the first verified
        domain), then one per further verified domain, so that each signer answers for it."""
        domains = []
        for d in verified_domains:
            try:
                d = check_domain(d)
            except BadInput:
                continue
            if d not in domains:
                domains.append(d)
        first = domains[0] if domains else None
        out = [make_event(self.base_id, self.event_type, self.reporter, time=self.time,
                          ip=self.ip, domain=first, mail_from=self.mail_from, helo=self.helo,
                          count=self.count)]
        for d in domains[1:]:
            out.append(make_event(stable_id(self.base_id, d), self.event_type, self.reporter,
                                  time=self.time, domain=d, mail_from=self.mail_from,
                                  count=self.count))
        return out


def is_arf(top):
    return (top.content_type == "multipart/report" and
            (top.param("report-type") or "").lower() == "feedback-report")


def parse(raw, origin, *, reporter=None, virus_as="complaint", now=None, parsed=None):
    """A Report from the raw bytes of one message (`parsed`: its mime.parts_of, when the caller
    has it); BadInput when it is not a usable ARF report."""
    top, parts = parsed or mime.parts_of(raw)
    if not is_arf(top):
        raise BadInput(f"not an ARF report (Content-Type {top.content_type}, "
                       f"report-type {top.param('report-type') or 'none'})")
    feedback_index = None
    fields = None
    message = None
    headers_only = None
    for index, part in enumerate(parts):
        ctype = part.content_type
        if ctype == "message/feedback-report" and fields is None:
            feedback_index = index
            try:
                fields = mime.Headers(part.decoded().strip(b"\r\n"))
            except ValueError as e:
                raise BadInput(f"feedback-report part: {e}") from None
        elif ctype == "message/rfc822" and message is None:
            try:
                message = part.decoded()
            except ValueError as e:
                raise BadInput(f"attached message: {e}") from None
        elif ctype == "text/rfc822-headers" and headers_only is None:
            try:
                headers_only = part.decoded()
            except ValueError:
                headers_only = None
    if fields is None:
        raise BadInput("ARF report without a message/feedback-report part")

    feedback_type = (fields.get("Feedback-Type") or "").strip().lower()
    if not feedback_type:
        raise BadInput("feedback-report part without a Feedback-Type field")
    event_type = FEEDBACK_TYPES.get(feedback_type)
    if feedback_type == "virus":
        event_type = virus_as
    if event_type is None:
        raise BadInput(f"Feedback-Type {feedback_type!r} carries no judgement repd uses "
                       f"(abuse, fraud, virus, not-spam, auth-failure)")

    ip = None
    source_ip = (fields.get("Source-IP") or "").strip()
    if source_ip:
        ip = check_ip(source_ip)

    time = None
    for name in ("Arrival-Date", "Received-Date"):
        if fields.get(name):
            time = parse_time(fields.get(name), now)
            break
    if time is None and top.headers.get("Date"):
        try:
            time = parse_time(top.headers.get("Date"), now)
        except BadInput:
            time = None

    mail_from = _address(fields.get("Original-Mail-From"))
    if not mail_from:
        reported = (fields.get("Reported-Domain") or "").strip()
        mail_from = reported or None

    count = None
    incidents = (fields.get("Incidents") or "").strip()
    if incidents:
        if not incidents.isdigit() or int(incidents) == 0:
            raise BadInput(f"Incidents: {incidents[:30]!r} is not a positive number")
        count = min(int(incidents), 10 ** 9)

    original_headers = message if message is not None else headers_only
    helo = _helo(original_headers, ip) if original_headers else None
    if message is not None and not _DKIM_SIGNATURE.search(_head(message)):
        message = None

    message_id = (top.headers.get("Message-ID") or "").strip()
    if message_id:
        base_id = stable_id("arf", message_id, feedback_index)
    else:
        base_id = stable_id("arf", "sha256", hashlib.sha256(raw).hexdigest()[:40], feedback_index)
    return Report(origin, base_id, event_type, reporter or _reporter(top, fields), time, ip,
                  mail_from, helo, count, message)


def _head(message):
    m = re.search(rb"\r?\n\r?\n", message)
    return message if m is None else message[:m.start()]


def _address(value):
    if not value:
        return None
    addr = email.utils.parseaddr(value)[1] or value.strip().strip("<>")
    return addr or None


def _reporter(top, fields):
    """Default reporter name: the domain the report came from, else the Reporting-MTA."""
    sender = email.utils.parseaddr(top.headers.get("From") or "")[1]
    if "@" in sender:
        try:
            return check_domain(sender.rsplit("@", 1)[1])
        except BadInput:
            pass
    mta = (fields.get("Reporting-MTA") or "").strip()
    if mta:
        return mta.split(";", 1)[-1].strip()[:128] or "arf"
    return "arf"


def _helo(original, ip):
    """The HELO name from the receiving MTA's Received line for the source IP, if it has one.
    Only a line that names the source IP is trusted to be the hop the report is about."""
    if ip is None:
        return None
    try:
        headers = mime.Headers(_head(original))
    except ValueError:
        return None
    for received in headers.get_all("Received")[:3]:
        text = " ".join(received.split())
        if _names(text, ip):
            m = _RECEIVED_FROM.match(text)
            if m:
                return m.group(1).strip("[]")[:255]
    return None


def _names(text, ip):
    """Whether `text` holds `ip` as a whole address (not 1.2.3.4 inside 11.2.3.45)."""
    start = text.find(ip)
    while start >= 0:
        end = start + len(ip)
        if ((start == 0 or text[start - 1] not in _ADDRESS_CHARS) and
                (end == len(text) or text[end] not in _ADDRESS_CHARS)):
            return True
        start = text.find(ip, start + 1)
    return False


_ADDRESS_CHARS = frozenset("0123456789abcdefABCDEF.:")
