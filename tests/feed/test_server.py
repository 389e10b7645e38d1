"""test_server.py -- repd-feed against a real `repd serve` on loopback: every format ingested
and visible through GET /v1/ip, re-runs add nothing, interrupted runs resume, a failing
server is waited for, refusals stop the run, malformed inputs are reported."""

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import time
import unittest

import feed_support as fs


def summary(proc):
    return proc.stderr.decode().strip().splitlines()[-1]


def near(a, b, rel=1e-2):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1.0)


@unittest.skipIf(fs.repd_binary() is None, "no repd binary (set REPD_BINARY)")
class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.workdir = tempfile.mkdtemp(prefix="repd-feed-server-")
        cls.repd = fs.Repd(cls.workdir).start()

    @classmethod
    def tearDownClass(cls):
        import shutil
        cls.repd.stop()
        shutil.rmtree(cls.workdir, True)

    def feed(self, args, *, env=None, **kw):
        full = fs.feed_env(self.repd)
        full.update(env or {})
        return fs.run_feed(["--no-progress", *args], env=full, **kw)

    def counts(self, ip):
        return self.repd.ip(ip)["counts"]

    def test_each_format_is_ingested_and_visible(self):
        d = fs.temp_dir(self)
        state = os.path.join(d, "state.sqlite")
        t = fs.now() - 120
        # ARF: three complaints about .11, one with Incidents: 2.
        mbox = b"".join(b"From fbl@x Mon Nov 23 08:00:00 2026\n" +
                        fs.arf_report(100 + i, "198.18.1.11", t, incidents=2 if i == 0 else
                                      None).replace(b"\r\n", b"\n") + b"\n" for i in range(3))
        with open(os.path.join(d, "reports.mbox"), "wb") as f:
            f.write(mbox)
        # DMARC: volume with a verified aligned domain for .12, forgery for .13 (gzip).
        xml = fs.dmarc_xml("mailbox.example", f"it-{t}", t, [
            ("198.18.1.12", 300, "sender-it.example", "pass", "pass",
             [("sender-it.example", "pass")]),
            ("198.18.1.13", 12, "bank-it.example", "fail", "fail", [])])
        with gzip.open(os.path.join(d, "dmarc.xml.gz"), "wb") as f:
            f.write(xml)
        # Spamtrap log: four hits from a fully trusted reporter list .14 (three is the bar,
        # and decay takes the first three just under it).
        with open(os.path.join(d, "traps.tsv"), "w") as f:
            for i in range(4):
                f.write(f"{t + i}\t198.18.1.14\thelo.example\tx@y.example\t\n")
        # NDJSON: two bot reports list .15 (one is the bar, and decay takes it just under).
        with open(os.path.join(d, "events.ndjson"), "w") as f:
            for i in range(2):
                f.write(json.dumps({"id": f"it-bot-{t}-{i}", "type": "bot", "time": t,
                                    "ip": "198.18.1.15", "reporter": "botnet-feed"}) + "\n")
        proc = self.feed(["--state", state, d])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn("sent 12;", summary(proc))

        self.assertTrue(near(self.counts("198.18.1.11")["complaints"], 4.0))
        self.assertTrue(near(self.counts("198.18.1.12")["volume"], 300.0))
        self.assertTrue(near(self.repd.domain("sender-it.example")["counts"]["volume"], 300.0))
        self.assertTrue(near(self.counts("198.18.1.13")["forgeries"], 12.0))
        self.assertTrue(near(self.counts("198.18.1.13")["volume"], 12.0))
        trap = self.repd.ip("198.18.1.14")
        self.assertTrue(near(trap["counts"]["traps"], 4.0))
        self.assertIn("trap", [listing["name"] for listing in trap["listed"]])
        bot = self.repd.ip("198.18.1.15")
        self.assertIn("bot", [listing["name"] for listing in bot["listed"]])

        # Re-run with the state file: nothing read again, nothing sent.
        before = {ip: self.counts(ip) for ip in ("198.18.1.11", "198.18.1.12", "198.18.1.14")}
        accepted = fs.metric(self.repd, "accepted")
        proc = self.feed(["--state", state, d])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn("read 0 events from 4 inputs (4 unchanged", summary(proc))
        # Without the state file the server's id check alone keeps the counts.
        proc = self.feed(["--no-state", d])
        self.assertIn("sent 0; duplicate 12 (12 by the server", summary(proc))
        self.assertEqual(fs.metric(self.repd, "accepted"), accepted)
        for ip, counts in before.items():
            after = self.counts(ip)
            for key in ("complaints", "volume", "traps"):
                self.assertTrue(near(after[key], counts[key]), (ip, key, after, counts))

    def test_malformed_inputs_are_reported_and_good_ones_sent(self):
        d = fs.temp_dir(self)
        t = fs.now() - 60
        with open(os.path.join(d, "mixed.ndjson"), "w") as f:
            f.write(json.dumps({"id": f"mx-1-{t}", "type": "spamtrap", "time": t,
                                "ip": "198.18.2.1", "reporter": "test-feed"}) + "\n")
            f.write('{"id": "mx-2", "type": "spamtrap", "ip": "198.18.2.300", '
                    '"reporter": "test-feed"}\n')
            f.write("{broken\n")
        with open(os.path.join(d, "broken.xml"), "w") as f:
            f.write("<feedback><report_metadata>")
        with open(os.path.join(d, "traps.csv"), "wb") as f:
            f.write(f"{t},198.18.2.2,h,,\n".encode() + b"\xff\xfe,198.18.2.3,h,,\n")
        proc = self.feed(["--no-state", d])
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn("mixed.ndjson:2: ip: '198.18.2.300' is not an IP address", err)
        self.assertIn("mixed.ndjson:3: malformed JSON", err)
        self.assertIn("broken.xml: broken XML", err)
        self.assertIn("traps.csv:2: not UTF-8", err)
        self.assertIn("sent 2;", summary(proc))
        self.assertIn("skipped 4", summary(proc))
        self.assertTrue(near(self.counts("198.18.2.1")["traps"], 1.0))
        self.assertTrue(near(self.counts("198.18.2.2")["traps"], 1.0))

    def test_events_the_server_rejects_are_reported_with_their_origin(self):
        d = fs.temp_dir(self)
        # A domain the server refuses but this tool's syntax check lets through (IDNA 2008
        # forbids what IDNA 2003 maps): the server's answer names the line, the tool the file.
        path = os.path.join(d, "idn.ndjson")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "rej-ok", "type": "ham", "ip": "198.18.3.1",
                                "reporter": "test-feed"}) + "\n")
            f.write(json.dumps({"id": "rej-1", "type": "ham", "domain": "a\u200db.example",
                                "reporter": "test-feed"}, ensure_ascii=False) + "\n")
        proc = self.feed(["--no-state", path])
        err = proc.stderr.decode()
        if "rejected 0" in summary(proc):
            self.skipTest("this server accepts the name; nothing to reject")
        self.assertIn("idn.ndjson:2: event rej-1 rejected by the server", err)
        self.assertEqual(proc.returncode, 1)

    def test_events_the_server_drops_keep_their_input_open(self):
        d = fs.temp_dir(self)
        state = os.path.join(d, "state.sqlite")
        path = os.path.join(d, "old.ndjson")
        old = fs.now() - 400 * 86400  # beyond the default retention of 90 days
        with open(path, "w") as f:
            f.write(json.dumps({"id": f"old-{old}", "type": "ham", "time": old,
                                "ip": "198.18.3.9", "reporter": "test-feed"}) + "\n")
        for _ in range(2):
            proc = self.feed(["--state", state, path])
            err = proc.stderr.decode()
            self.assertEqual(proc.returncode, 1, err)
            # Either the server names the line, or it leaves the event unaccounted for.
            self.assertTrue("old.ndjson:1: event old-" in err or "gave no reason" in err, err)
            self.assertIn("read 1 events from 1 inputs;", summary(proc))

    def test_stdin(self):
        t = fs.now()
        line = json.dumps({"id": f"stdin-{t}", "type": "complaint", "time": t,
                           "ip": "198.18.4.1", "reporter": "test-feed"}) + "\n"
        proc = self.feed(["--no-state", "-"], stdin=line.encode())
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertTrue(near(self.counts("198.18.4.1")["complaints"], 1.0))

    def _big_ndjson(self, d, n, ip):
        t = fs.now() - 10
        path = os.path.join(d, "big.ndjson")
        with open(path, "w") as f:
            for i in range(n):
                f.write(f'{{"id":"{ip}-{i}","type":"delivered","time":{t},"ip":"{ip}",'
                        f'"reporter":"test-feed"}}\n')
        return path

    def test_interrupted_run_resumes_exactly_once(self):
        d = fs.temp_dir(self)
        n = 20000
        path = self._big_ndjson(d, n, "198.18.5.1")
        state = os.path.join(d, "state.sqlite")
        accepted = fs.metric(self.repd, "accepted")
        # A slow server (every request delayed) so that the kill lands mid-way.
        proxy = fs.FlakyProxy(self.repd.http_port, delay=0.15)
        self.addCleanup(proxy.close)
        env = dict(os.environ, REPD_TOKEN=fs.TOKEN)
        proc = subprocess.Popen([sys.executable, fs.FEED, "--no-progress", "--url", proxy.url,
                                 "--state", state, "--batch-size", "500", path], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        sent_before_kill = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(state):
                try:
                    with sqlite3.connect(state, timeout=5) as db:
                        sent_before_kill = db.execute("SELECT COUNT(*) FROM sent").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
            if sent_before_kill >= 2000:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        proc.stderr.close()
        self.assertGreater(sent_before_kill, 0)
        self.assertLess(sent_before_kill, n, "the run must have been cut off mid-way")

        resumed = self.feed(["--state", state, "--batch-size", "5000", path])
        self.assertEqual(resumed.returncode, 0, resumed.stderr.decode())
        text = summary(resumed)
        self.assertIn(f"read {n} events", text)
        # What the killed run delivered is known from the state file; at most the batch in
        # flight when it died comes back as a server duplicate.
        self.assertEqual(fs.metric(self.repd, "accepted") - accepted, n, text)
        volume = self.counts("198.18.5.1")["volume"]
        self.assertTrue(n - 2 < volume <= n, volume)

    def test_server_failing_then_recovering(self):
        d = fs.temp_dir(self)
        n = 3000
        path = self._big_ndjson(d, n, "198.18.6.1")
        accepted = fs.metric(self.repd, "accepted")
        proxy = fs.FlakyProxy(self.repd.http_port, fail=3, drop=2)
        self.addCleanup(proxy.close)
        proc = self.feed(["--url", proxy.url, "--no-state", "--batch-size", "1000",
                          "--retry-max-wait", "0.3", path], env={"REPD_URL": proxy.url})
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("HTTP 503: try later; retry 1/8", err)
        self.assertIn(f"sent {n};", summary(proc))
        self.assertEqual(fs.metric(self.repd, "accepted") - accepted, n)

    def test_batches_over_the_servers_limit_are_split(self):
        d = fs.temp_dir(self)
        n = 4000
        path = self._big_ndjson(d, n, "198.18.6.2")
        accepted = fs.metric(self.repd, "accepted")
        proxy = fs.FlakyProxy(self.repd.http_port, max_body=100000)
        self.addCleanup(proxy.close)
        proc = self.feed(["--url", proxy.url, "--no-state", "--batch-size", "4000",
                          "--batch-bytes", "900000", path])
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("sending batches of at most", err)
        self.assertGreater(proxy.too_large, 0)
        self.assertIn(f"sent {n};", summary(proc))
        self.assertEqual(fs.metric(self.repd, "accepted") - accepted, n)

    def test_unavailable_server_gives_up_then_resumes(self):
        d = fs.temp_dir(self)
        path = self._big_ndjson(d, 1200, "198.18.7.1")
        state = os.path.join(d, "state.sqlite")
        proxy = fs.FlakyProxy(self.repd.http_port, fail=1000)
        self.addCleanup(proxy.close)
        proc = self.feed(["--url", proxy.url, "--state", state, "--retries", "2",
                          "--retry-max-wait", "0.1", path], env={"REPD_URL": proxy.url})
        self.assertEqual(proc.returncode, 4, proc.stderr.decode())
        self.assertIn("server unavailable", proc.stderr.decode())
        proxy.fail = 0
        proc = self.feed(["--url", proxy.url, "--state", state, path],
                         env={"REPD_URL": proxy.url})
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn("sent 1200;", summary(proc))

    def test_connection_refused_is_retried_then_reported(self):
        port = fs.pick_free_port()
        proc = self.feed(["--url", f"http://127.0.0.1:{port}", "--no-state", "--retries", "1",
                          "--retry-max-wait", "0.05",
                          os.path.join(fs.SAMPLES, "ndjson", "events.ndjson")])
        self.assertEqual(proc.returncode, 4)
        self.assertIn("ConnectionRefusedError", proc.stderr.decode())

    def test_wrong_token_stops_naming_the_input(self):
        path = os.path.join(fs.SAMPLES, "ndjson", "events.ndjson")
        proc = self.feed(["--no-state", path], env={"REPD_TOKEN": "wrong"})
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 3, err)
        self.assertRegex(err, r"refused a batch of 4 events .* from .*events\.ndjson: HTTP 40[13]")

    def test_token_file(self):
        d = fs.temp_dir(self)
        token_file = os.path.join(d, "token")
        with open(token_file, "w") as f:
            f.write(fs.TOKEN + "\n")
        t = fs.now()
        line = json.dumps({"id": f"tf-{t}", "type": "ham", "time": t, "ip": "198.18.8.1",
                           "reporter": "test-feed"}) + "\n"
        proc = self.feed(["--no-state", "--token-file", token_file, "-"], stdin=line.encode(),
                         env={"REPD_TOKEN": ""})
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertTrue(near(self.counts("198.18.8.1")["volume"], 1.0))

    def test_dry_run_sends_nothing(self):
        accepted = fs.metric(self.repd, "accepted")
        proc = self.feed(["--dry-run", "--no-verify", fs.SAMPLES])
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(fs.metric(self.repd, "accepted"), accepted)


@unittest.skipIf(fs.repd_binary() is None, "no repd binary (set REPD_BINARY)")
class DkimTest(unittest.TestCase):
    """ARF reports whose attached message carries a real DKIM signature: the domain is set
    only when the signature verifies, through POST /v1/verify and through `repd verify`."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.workdir = tempfile.mkdtemp(prefix="repd-feed-dkim-")
        cls.key = fs.DkimKey(cls.workdir, "signed-it.example")
        cls.dns = fs.DnsTxtServer({cls.key.dns_name: cls.key.record})
        cls.repd = fs.Repd(cls.workdir, dns_servers=[cls.dns.address]).start()

    @classmethod
    def tearDownClass(cls):
        import shutil
        cls.repd.stop()
        cls.dns.close()
        shutil.rmtree(cls.workdir, True)

    def reports(self, d, ip, base):
        t = fs.now() - 600
        good = self.key.sign(fs.original_message("signed-it.example", ip, base, t))
        tampered = self.key.sign(fs.original_message("signed-it.example", ip, base + 1, t))
        tampered = tampered.replace(b"Message body number", b"Tampered body number")
        with open(os.path.join(d, "good.eml"), "wb") as f:
            f.write(fs.arf_report(base, ip, t, original=good))
        with open(os.path.join(d, "tampered.eml"), "wb") as f:
            f.write(fs.arf_report(base + 1, ip, t, original=tampered))

    def check(self, verify_args, ip, base):
        d = fs.temp_dir(self)
        self.reports(d, ip, base)
        proc, evs = fs.dry_run_events([*verify_args, d], env=fs.feed_env(self.repd))
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        domains = {e["id"].split(":")[1]: e.get("domain") for e in evs}
        self.assertEqual(domains[f"<report-{base}@fbl.mailbox.example>"], "signed-it.example")
        self.assertIsNone(domains[f"<report-{base + 1}@fbl.mailbox.example>"])
        before = self.repd.domain("signed-it.example")["counts"]["complaints"]
        proc = fs.run_feed(["--no-progress", "--no-state", *verify_args, d],
                           env=fs.feed_env(self.repd))
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn("1 events with a DKIM-verified domain", summary(proc))
        after = self.repd.domain("signed-it.example")["counts"]["complaints"]
        self.assertTrue(near(after - before, 1.0, rel=1e-2), (before, after))

    def test_verified_through_the_server(self):
        self.check([], "198.18.9.1", 100)

    def test_verified_through_repd_verify(self):
        self.check(["--verify", "repd", "--repd-binary", fs.repd_binary(),
                    "--dkim-dns-server", self.dns.address], "198.18.9.2", 200)


if __name__ == "__main__":
    unittest.main()
