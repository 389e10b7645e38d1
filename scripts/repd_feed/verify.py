"""verify.py -- DKIM verdicts for the messages attached to ARF reports.

Three ways: the server's POST /v1/verify (default; the same keys and resolver as the service),
the local `repd verify --json` (many messages per process run), or none (offline: no event gets
a domain). Each returns, per message, the d= domains whose signatures passed.
"""

import json
import os
import subprocess
import tempfile
import threading

from .client import ClientError, Unavailable


class VerifyError(Exception):
    """Verification could not run at all (as opposed to a message that does not verify)."""


class NoVerifier:
    name = "none"

    def verify_many(self, messages):
        return [[] for _ in messages]

    def close(self):
        pass


class HttpVerifier:
    """POST /v1/verify, one message per request, over `connections` keep-alive connections at
    once: the server's key lookups and the round trips overlap (the threads wait on sockets,
    not on Python)."""

    name = "http"

    def __init__(self, make_client, warn, connections=1):
        self.clients = [make_client() for _ in range(max(1, connections))]
        self.warn = warn

    def verify_many(self, messages):
        out = [None] * len(messages)
        errors = []
        k = len(self.clients)

        def work(index):
            client = self.clients[index]
            try:
                for i in range(index, len(messages), k):
                    out[i] = self._one(client, messages[i])
            except Exception as e:  # handed to the caller's thread below
                errors.append(e)

        if k == 1 or len(messages) <= 1:
            work(0)
        else:
            threads = [threading.Thread(target=work, args=(i,)) for i in range(k)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        if errors:
            raise errors[0]
        return out

    def _one(self, client, message):
        try:
            _, answer, text = client.request("POST", "/v1/verify", message, "message/rfc822")
        except Unavailable as e:
            raise Unavailable(f"{e}; DKIM verification needs the server (--verify repd "
                              f"verifies locally, --no-verify skips it)") from None
        except ClientError as e:
            # One message the server will not take (too large, ...) is not verified; the event
            # still goes out without a domain.
            self.warn(f"POST /v1/verify refused a message: {e}")
            return []
        if not isinstance(answer, dict):
            raise VerifyError(f"POST /v1/verify answered no JSON object: {text[:200]!r}")
        return _passed_domains(answer)

    def close(self):
        for client in self.clients:
            client.close()


class RepdVerifier:
    """`repd verify --json FILE...` over a batch of messages written to a private temp dir."""

    name = "repd"

    def __init__(self, binary, dns_server=None, legacy=False, timeout=300):
        self.binary = binary
        self.dns_server = dns_server
        self.legacy = legacy
        self.timeout = timeout
        self.tmp = tempfile.TemporaryDirectory(prefix="repd-feed-verify-")

    def verify_many(self, messages):
        if not messages:
            return []
        paths = []
        for i, message in enumerate(messages):
            path = os.path.join(self.tmp.name, f"m{i}.eml")
            with open(path, "wb") as f:
                f.write(message)
            paths.append(path)
        cmd = [self.binary, "verify", "--json"]
        if self.dns_server:
            cmd += ["--dns-server", self.dns_server]
        if self.legacy:
            cmd.append("--legacy")
        try:
            proc = subprocess.run(cmd + paths, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise VerifyError(f"{self.binary} verify: {e}") from None
        results = []
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                results.append(obj)
        for path in paths:
            os.unlink(path)
        by_file = {r.get("file"): _passed_domains(r) for r in results}
        if all(p in by_file for p in paths):
            return [by_file[p] for p in paths]
        if len(results) == len(paths):
            # One object per message, in order, when the file names were printed otherwise.
            return [_passed_domains(r) for r in results]
        # The exit status says whether messages verified, so only missing answers are failures.
        raise VerifyError(f"{self.binary} verify --json answered for {len(results)} of "
                          f"{len(paths)} messages (exit {proc.returncode}): "
                          f"{proc.stderr.decode('utf-8', 'replace')[:300]}")

    def close(self):
        self.tmp.cleanup()


def _passed_domains(answer):
    domains = answer.get("verified_domains")
    if isinstance(domains, list):
        return [d for d in domains if isinstance(d, str)]
    out = []
    for sig in answer.get("signatures") or []:
        if isinstance(sig, dict) and sig.get("result") == "pass" and isinstance(sig.get("d"), str):
            out.append(sig["d"].lower())
    return out
