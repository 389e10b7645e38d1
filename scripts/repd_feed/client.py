"""client.py -- one keep-alive HTTP connection to repd, with retries and backoff.

Every request this tool makes is safe to repeat (feedback ids are idempotent on the server,
verification has no effect), so 429, 5xx and connection failures are retried with exponential
backoff and jitter; any other 4xx is the caller's mistake and stops at once.
"""

import http.client
import json
import random
import socket
import time
import urllib.parse

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class ClientError(Exception):
    """The server refused a request for a reason that repeating it will not change."""

    def __init__(self, status, message):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Unavailable(Exception):
    """The server could not be reached or kept failing after every retry."""


class Client:
    def __init__(self, url, token=None, *, timeout=30.0, retries=8, max_wait=60.0, log=None,
                 sleep=time.sleep):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"--url {url!r}: expected http://HOST[:PORT] or https://...")
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port
        self.prefix = parsed.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.log = log or (lambda message: None)
        self.sleep = sleep
        self.conn = None
        self.requests = 0

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _connect(self):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        self.conn = cls(self.host, self.port, timeout=self.timeout)
        self.conn.connect()
        # Batches are written in one go; Nagle would only delay the last segment.
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method, path, body=None, content_type=None):
        """(status, parsed JSON or None, text) of a successful (2xx) answer. Raises ClientError
        on 4xx other than 408/429 and Unavailable when retries are exhausted."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        attempt = 0
        while True:
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self._connect()
                self.conn.request(method, self.prefix + path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                self.requests += 1
                if response.will_close:
                    self.close()
            except (OSError, http.client.HTTPException) as e:
                self.close()
                # A keep-alive connection the server closed while idle fails on first use;
                # that is no sign of trouble, so it gets one immediate retry.
                if reused and attempt == 0 and isinstance(
                        e, (http.client.RemoteDisconnected, BrokenPipeError,
                            ConnectionResetError)):
                    attempt = -1
                    reason = None
                else:
                    reason = f"{type(e).__name__}: {e}"
                retry_after = None
            else:
                status = response.status
                text = data.decode("utf-8", "replace")
                if 200 <= status < 300:
                    try:
                        return status, json.loads(text) if text.strip() else None, text
                    except ValueError:
                        return status, None, text
                if status not in RETRY_STATUSES:
                    raise ClientError(status, _error_message(text))
                reason = f"HTTP {status}: {_error_message(text)}"
                retry_after = _retry_after(response.getheader("Retry-After"))
            attempt += 1
            if reason is None:
                continue
            if attempt > self.retries:
                raise Unavailable(f"{method} {path}: {reason} (gave up after {self.retries} "
                                  f"retries)")
            wait = min(self.max_wait, 0.2 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            if retry_after is not None:
                wait = min(self.max_wait, max(wait, retry_after))
            self.log(f"{method} {path}: {reason}; retry {attempt}/{self.retries} in {wait:.1f}s")
            self.sleep(wait)


def _error_message(text):
    try:
        obj = json.loads(text)
    except ValueError:
        return text.strip()[:300] or "no body"
    if isinstance(obj, dict):
        error = obj.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or error)[:300]
        if error is not None:
            message = obj.get("message")
            return f"{error}: {message}" if message else str(error)[:300]
        if obj.get("message"):
            return str(obj["message"])[:300]
    return text.strip()[:300]


def _retry_after(value):
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
