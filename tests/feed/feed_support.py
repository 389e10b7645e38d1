"""feed_support.py -- what the repd-feed tests share: running the script, a real repd on
loopback ports, a tiny authoritative DNS server for DKIM keys, and generators of inputs."""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("REPD_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
FEED = os.path.join(SOURCE_DIR, "scripts", "repd-feed")
SAMPLES = os.path.join(SOURCE_DIR, "data", "samples")
BAD = os.path.join(HERE, "data")
TOKEN = "feed-test-token-0123456789"
REPORTERS = {  # reporter name -> trust, as the test server is configured
    "fbl.mailbox.example": 1.0, "isp.example": 1.0, "mailbox.example": 1.0,
    "spamtrap": 1.0, "trap-network-b": 1.0, "own-mx": 1.0, "botnet-feed": 1.0,
    "test-feed": 1.0, "webmail.example": 1.0, "zipmail.example": 1.0,
    "mail-attached.example": 1.0,
}


def run_feed(args, *, env=None, stdin=None, timeout=300):
    """Runs scripts/repd-feed; returns the CompletedProcess with text stdout and stderr."""
    full_env = dict(os.environ)
    full_env.pop("REPD_TOKEN", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, FEED, *args], input=stdin, capture_output=True,
                          env=full_env, timeout=timeout, check=False)


def dry_run_events(args, **kw):
    proc = run_feed(["--dry-run", "--no-progress", *args], **kw)
    events = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    return proc, events


def _can_bind(kind, port):
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_free_port():
    """A loopback port free for both TCP and UDP (DNS needs both)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if _can_bind(socket.SOCK_STREAM, port) and _can_bind(socket.SOCK_DGRAM, port):
            return port
    raise RuntimeError("no free port")


def repd_binary():
    """The repd executable; None (the server tests skip) only when REPD_BINARY is unset and
    there is no build/repd. Under ctest REPD_BINARY is set, and a missing binary fails."""
    binary = os.environ.get("REPD_BINARY")
    if binary:
        return binary
    binary = os.path.join(SOURCE_DIR, "build", "repd")
    return binary if os.path.exists(binary) else None


class Repd:
    """`repd serve` on free loopback ports with a feedback token and trusted reporters."""

    def __init__(self, workdir, dns_servers=(), extra_config=""):
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "var")
        self.config = os.path.join(workdir, "repd.toml")
        self.log_path = os.path.join(workdir, "repd.log")
        servers = ", ".join(f'"{s}"' for s in dns_servers)
        reporters = "".join(f'[[reporters.known]]\nname = "{n}"\ntrust = {t}\n'
                            for n, t in REPORTERS.items())
        with open(self.config, "w") as f:
            f.write(f"""[server]
log_level = "warn"
threads = 2
[dkim]
dns_servers = [{servers}]
[[tokens]]
name = "feed"
role = "feedback"
sha256 = "{hashlib.sha256(TOKEN.encode()).hexdigest()}"
[reporters]
default_trust = 0.25
{reporters}{extra_config}""")
        self.proc = None
        self.http_port = None

    def start(self):
        self.http_port = pick_free_port()
        dns_port = pick_free_port()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [repd_binary(), "serve", "--config", self.config, "--data-dir", self.data_dir,
             "--dns-listen", f"127.0.0.1:{dns_port}", "--http-listen",
             f"127.0.0.1:{self.http_port}"], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"repd exited with {self.proc.returncode}: {self.log_text()}")
            try:
                status, _ = self.request("GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("repd did not answer /healthz within 60 s")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def ip(self, addr):
        status, body = self.request("GET", f"/v1/ip/{addr}")
        if status != 200:
            raise AssertionError(f"GET /v1/ip/{addr}: {status} {body[:200]!r}")
        return json.loads(body)

    def domain(self, name):
        status, body = self.request("GET", f"/v1/domain/{name}")
        if status != 200:
            raise AssertionError(f"GET /v1/domain/{name}: {status} {body[:200]!r}")
        return json.loads(body)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None


def feed_env(repd):
    return {"REPD_TOKEN": TOKEN, "REPD_URL": repd.url}


class DnsTxtServer:
    """A UDP authoritative server for a handful of TXT records (DKIM keys); NXDOMAIN for the
    rest. Enough for the verifier's key lookups, and it keeps the tests off the network."""

    def __init__(self, records):
        self.records = {k.lower().rstrip("."): v for k, v in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            answer = self._answer(data)
            if answer:
                self.queries += 1
                self.sock.sendto(answer, peer)

    def _answer(self, query):
        if len(query) < 12:
            return None
        qid, flags = struct.unpack("!HH", query[:4])
        labels, pos = [], 12
        while pos < len(query) and query[pos] != 0:
            n = query[pos]
            labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace"))
            pos += 1 + n
        question = query[12:pos + 5]
        qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
        name = ".".join(labels).lower()
        txt = self.records.get(name)
        rd = flags & 0x0100
        if txt is None:
            return struct.pack("!HHHHHH", qid, 0x8403 | rd, 1, 0, 0, 0) + question
        if qtype != 16:
            return struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, 0, 0, 0) + question
        raw = txt.encode()
        strings = b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255]
                           for i in range(0, len(raw), 255))
        rr = struct.pack("!HHHIH", 0xC00C, 16, 1, 300, len(strings)) + strings
        return struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, 1, 0, 0) + question + rr

    def close(self):
        self.sock.close()


class DkimKey:
    """An RSA key made with openssl, and messages signed with dkimpy's `dkimsign`."""

    def __init__(self, workdir, domain, selector="feedtest"):
        self.domain = domain
        self.selector = selector
        self.key = os.path.join(workdir, f"{domain}.key")
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True,
                       capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", self.key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        import base64
        self.record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

    @property
    def dns_name(self):
        return self.dns_name_for(self.domain)

    def dns_name_for(self, domain):
        return f"{self.selector}._domainkey.{domain}"

    def sign(self, message, domain=None):
        """`message` signed for `domain` (default: the key's; the same key may be published
        under several domains)."""
        tool = shutil.which("dkimsign")
        if tool is None:
            raise RuntimeError("dkimsign (Debian package python3-dkim) is not installed")
        return subprocess.run([tool, self.selector, domain or self.domain, self.key],
                              input=message, check=True, capture_output=True).stdout


def now():
    return int(time.time())


def rfc5322(ts):
    import email.utils
    return email.utils.formatdate(ts, usegmt=True)


def original_message(sender_domain, ip, index, ts):
    return (f"Received: from mta.{sender_domain} (mta.{sender_domain} [{ip}])\r\n"
            f"\tby mx.mailbox.example; {rfc5322(ts)}\r\n"
            f"From: Sender <news@{sender_domain}>\r\n"
            f"To: user{index}@mailbox.example\r\n"
            f"Subject: offer {index}\r\n"
            f"Date: {rfc5322(ts)}\r\n"
            f"Message-ID: <orig-{index}@{sender_domain}>\r\n"
            f"\r\n"
            f"Message body number {index}.\r\n").encode()


def arf_report(index, ip, ts, *, feedback_type="abuse", original=None, mail_from=None,
               reporter_domain="fbl.mailbox.example", message_id=True, incidents=None):
    """The raw bytes of one ARF report about `ip`."""
    original = original if original is not None else original_message("sender.example", ip,
                                                                      index, ts)
    head = (f"From: FBL <fbl@{reporter_domain}>\r\n"
            f"To: abuse@sender.example\r\n"
            f"Subject: report {index}\r\n"
            f"Date: {rfc5322(ts)}\r\n")
    if message_id:
        head += f"Message-ID: <report-{index}@{reporter_domain}>\r\n"
    fields = (f"Feedback-Type: {feedback_type}\r\nUser-Agent: test/1\r\nVersion: 1\r\n"
              f"Arrival-Date: {rfc5322(ts)}\r\nSource-IP: {ip}\r\n")
    if mail_from:
        fields += f"Original-Mail-From: <{mail_from}>\r\n"
    if incidents:
        fields += f"Incidents: {incidents}\r\n"
    return (head + "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\r\n"
            "\r\n--B\r\nContent-Type: text/plain\r\n\r\nAn abuse report.\r\n"
            "\r\n--B\r\nContent-Type: message/feedback-report\r\n\r\n" + fields +
            "\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n").encode() + original + \
        b"\r\n--B--\r\n"


def dmarc_xml(org, report_id, ts, rows):
    """rows: (ip, count, header_from, dkim_aligned, spf_aligned, [(dkim domain, result)])."""
    records = ""
    for ip, count, header_from, dkim, spf, dkim_results in rows:
        auth = "".join(f"<dkim><domain>{d}</domain><result>{r}</result></dkim>"
                       for d, r in dkim_results)
        records += (f"<record><row><source_ip>{ip}</source_ip><count>{count}</count>"
                    f"<policy_evaluated><disposition>none</disposition><dkim>{dkim}</dkim>"
                    f"<spf>{spf}</spf></policy_evaluated></row><identifiers><header_from>"
                    f"{header_from}</header_from></identifiers><auth_results>{auth}"
                    f"<spf><domain>{header_from}</domain><result>{spf}</result></spf>"
                    f"</auth_results></record>")
    return (f"<?xml version=\"1.0\"?><feedback><report_metadata><org_name>{org}</org_name>"
            f"<email>dmarc@{org}</email><report_id>{report_id}</report_id><date_range><begin>"
            f"{ts - 3600}</begin><end>{ts}</end></date_range></report_metadata>"
            f"<policy_published><domain>sender.example</domain><p>none</p></policy_published>"
            f"{records}</feedback>").encode()


def temp_dir(test, prefix="repd-feed-test-"):
    d = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, d, True)
    return d


class FlakyProxy:
    """An HTTP/1.1 proxy in front of repd that misbehaves on purpose: answers 413 to bodies
    over `max_body`, 503 to the first `fail` requests, drops the connection of the next `drop` ones, and delays every
    forwarded request by `delay` seconds. Counts what it saw."""

    def __init__(self, upstream_port, *, fail=0, drop=0, delay=0.0, status=503, max_body=None):
        import http.server
        import socketserver
        self.upstream_port = upstream_port
        self.fail, self.drop, self.delay, self.status = fail, drop, delay, status
        self.max_body = max_body  # larger bodies get 413
        self.too_large = 0
        self.seen = 0
        self.forwarded = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    proxy.seen += 1
                    if proxy.max_body is not None and length > proxy.max_body:
                        proxy.too_large += 1
                        action = "too_large"
                    elif proxy.fail > 0:
                        proxy.fail -= 1
                        action = "fail"
                    elif proxy.drop > 0:
                        proxy.drop -= 1
                        action = "drop"
                    else:
                        action = "forward"
                if action in ("fail", "too_large"):
                    payload = b'{"error":{"code":"unavailable","message":"try later"}}'
                    self.send_response(proxy.status if action == "fail" else 413)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if proxy.delay:
                    time.sleep(proxy.delay)
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "authorization")}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                conn.close()
                with proxy.lock:
                    proxy.forwarded += 1
                self.send_response(response.status)
                self.send_header("Content-Type", response.getheader("Content-Type") or "")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def metric(repd, outcome):
    _, body = repd.request("GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(f'repd_feedback_events_total{{outcome="{outcome}"}}'):
            return int(float(line.split()[-1]))
    raise AssertionError(f"no repd_feedback_events_total{{outcome={outcome}}} in /metrics")
