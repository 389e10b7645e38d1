"""mime.py -- raw MIME splitting that keeps every byte of a part as it was received.

The email package re-serialises messages (it may re-fold headers), which breaks DKIM
signatures; an attached message must reach the verifier exactly as the reporter sent it.
"""

import base64
import binascii
import email.utils
import quopri
import re

_BLANK = re.compile(rb"\r?\n\r?\n")
_LINE_BREAK = re.compile(r"\r?\n")
_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')


class Headers:
    """A header block, unfolded, with names matched case-insensitively. Written for speed:
    the email package's parser costs more than everything else a report needs."""

    def __init__(self, block):
        self.items = []
        text = block.decode("utf-8", "surrogateescape")
        for line in _LINE_BREAK.split(text):
            if not line:
                continue
            if line[0] in " \t":
                if self.items:
                    self.items[-1][1] += " " + line.strip()
                continue
            name, colon, value = line.partition(":")
            if colon:
                self.items.append([name.strip().lower(), value.strip()])

    def get(self, name, default=None):
        name = name.lower()
        for key, value in self.items:
            if key == name:
                return value
        return default

    def get_all(self, name):
        name = name.lower()
        return [value for key, value in self.items if key == name]

    def params(self, name):
        """The parameters of a structured header (Content-Type, Content-Disposition), with
        RFC 2231 extended values decoded."""
        value = self.get(name) or ""
        out = {}
        for key, raw in _PARAM.findall(value):
            key = key.lower()
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            if key.endswith("*"):
                charset, _, text = email.utils.decode_rfc2231(raw) if raw.count("'") >= 2 \
                    else (None, None, raw)
                key = key[:-1]
                try:
                    raw = email.utils.collapse_rfc2231_value((charset or "us-ascii", None, text))
                except LookupError:
                    raw = text
            out.setdefault(key, raw)
        return out


class Part:
    """One MIME entity: its headers and its raw (still transfer-encoded) body."""

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
                head, self.body = raw[:m.start()], raw[m.end():]
        self.headers = Headers(head)
        self._params = None

    @property
    def content_type(self):
        value = (self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        return value if value.count("/") == 1 else "text/plain"

    @property
    def maintype(self):
        return self.content_type.split("/", 1)[0]

    def param(self, name):
        if self._params is None:
            self._params = self.headers.params("content-type")
        return self._params.get(name)

    def filename(self):
        return (self.headers.params("content-disposition").get("filename") or self.param("name")
                or "")

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
    if top.maintype != "multipart":
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
        if child.maintype == "multipart":
            yield from walk(child.raw, depth + 1)
        else:
            yield child
