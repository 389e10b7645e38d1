"""mime.py -- raw MIME splitting that keeps every byte of a part as it was received.

The email package re-serialises messages (it may re-fold headers), which breaks DKIM
signatures; an attached message must reach the verifier exactly as the reporter sent it.
"""

import base64
import binascii
import email.parser
import email.utils
import email.policy
import quopri
import re

_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)
_BLANK = re.compile(rb"\r?\n\r?\n")


class Part:
    """One MIME entity: its parsed headers and its raw (still transfer-encoded) body."""

    def __init__(self, raw):
        self.raw = raw
        if raw.startswith(b"\r\n") or raw.startswith(b"\n"):
            # No headers at all: the defaults of RFC 2045 apply (text/plain, 7bit).
            head, self.body = b"", raw[2 if raw.startswith(b"\r\n") else 1:]
        else:
            m = _BLANK.search(raw)
            if m is None:
                head, self.body = raw, b""
            else:
                head, self.body = raw[:m.start()] + b"\n", raw[m.end():]
        self.headers = _HEADER_PARSER.parsebytes(head)

    @property
    def content_type(self):
        return self.headers.get_content_type()

    def param(self, name):
        value = self.headers.get_param(name, header="content-type")
        if isinstance(value, tuple):  # RFC 2231 encoded parameter
            value = email.utils.collapse_rfc2231_value(value)
        return value

    def filename(self):
        name = self.headers.get_filename()
        return name or self.param("name") or ""

    def decoded(self):
        """The body with its Content-Transfer-Encoding undone."""
        cte = (self.headers.get("content-transfer-encoding") or "").strip().lower()
        if cte == "base64":
            try:
                return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", self.body) + b"==")
            except (binascii.Error, ValueError) as e:
                raise ValueError(f"broken base64: {e}") from None
        if cte == "quoted-printable":
            return quopri.decodestring(self.body)
        return self.body


def split_multipart(body, boundary):
    """The raw parts of a multipart body (RFC 2046 section 5.1.1): the line break before a
    delimiter belongs to the delimiter, the preamble and epilogue are dropped."""
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary.encode("latin-1")) +
                           rb"(--)?[ \t]*(?:\r?\n|$)")
    parts = []
    start = None
    for m in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start:m.start()])
        if m.group(1):  # close delimiter
            return parts
        start = m.end()
    if start is not None:
        # A missing close delimiter: keep what was there, the report may still be usable.
        parts.append(body[start:])
    return parts


def parts_of(raw_message):
    """(top-level Part, list of child Parts) of a message; children empty unless multipart."""
    top = Part(raw_message)
    if top.headers.get_content_maintype() != "multipart":
        return top, []
    boundary = top.param("boundary")
    if not boundary:
        return top, []
    return top, [Part(p) for p in split_multipart(top.body, boundary)]


def walk(raw_message, depth=0):
    """Every leaf Part of a message, depth first (nested multiparts opened, at most 5 deep)."""
    top, children = parts_of(raw_message)
    if not children or depth >= 5:
        yield top
        return
    for child in children:
        if child.headers.get_content_maintype() == "multipart":
            yield from walk(child.raw, depth + 1)
        else:
            yield child
