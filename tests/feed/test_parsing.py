"""test_parsing.py -- repd-feed without a server: every format and container read into the
right events (--dry-run), malformed inputs reported with file and reason, stable ids."""

import gzip
import json
import os
import shutil
import sys
import unittest
import zipfile

import feed_support as fs

sys.path.insert(0, os.path.join(fs.SOURCE_DIR, "scripts"))
from repd_feed import arf, dmarc, events, lines, mime  # noqa: E402


def by_id(evs):
    return {e["id"]: e for e in evs}


class SamplesTest(unittest.TestCase):
    """The shipped samples are read as the README section documents."""

    def test_every_sample_reads_without_problems(self):
        proc, evs = fs.dry_run_events(["--no-verify", fs.SAMPLES])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        # Only the summary line: no input was reported as bad.
        self.assertEqual(proc.stderr.decode().count("\n"), 1, proc.stderr.decode())
        types = {e["type"] for e in evs}
        self.assertEqual(types, {"complaint", "ham", "auth_fail", "auth_pass", "delivered",
                                 "spamtrap", "bot"})
        self.assertEqual(len(evs), len(by_id(evs)), "ids must be unique")

    def test_arf_fields(self):
        _, evs = fs.dry_run_events(["--no-verify", os.path.join(fs.SAMPLES, "arf")])
        ev = by_id(evs)["arf:<fbl-20261124-0001@fbl.mailbox.example>:1"]
        self.assertEqual(ev["type"], "complaint")
        self.assertEqual(ev["ip"], "192.0.2.25")
        self.assertEqual(ev["time"], 1795514281)  # Arrival-Date 24 Nov 2026 09:58:01 +0000
        self.assertEqual(ev["mail_from"], "bounces@sender.example")
        self.assertEqual(ev["helo"], "mta1.sender.example")
        self.assertEqual(ev["reporter"], "fbl.mailbox.example")
        self.assertNotIn("domain", ev, "no domain without a verified signature")
        ham = by_id(evs)["arf:<fbl-20261124-0002@fbl.mailbox.example>:1"]
        self.assertEqual((ham["type"], ham["ip"]), ("ham", "2001:db8::25"))
        fail = by_id(evs)["arf:<auth-fail-77@mailbox.example>:1"]
        self.assertEqual((fail["type"], fail["count"], fail["mail_from"]),
                         ("auth_fail", 3, "security@bank.example"))

    def test_mbox_and_maildir(self):
        _, evs = fs.dry_run_events(["--no-verify", os.path.join(fs.SAMPLES, "arf",
                                                               "reports.mbox")])
        self.assertEqual([e["ip"] for e in evs], ["203.0.113.9", "203.0.113.10"])
        self.assertEqual(evs[0]["type"], "complaint", "virus maps to complaint by default")
        _, evs = fs.dry_run_events(["--no-verify", "--virus-as", "bot",
                                    os.path.join(fs.SAMPLES, "arf", "reports.mbox")])
        self.assertEqual(evs[0]["type"], "bot")
        _, evs = fs.dry_run_events(["--no-verify", os.path.join(fs.SAMPLES, "arf", "maildir")])
        self.assertEqual(sorted(e["ip"] for e in evs), ["203.0.113.20", "203.0.113.21"])
        self.assertEqual(by_id(evs)["arf:<md-1@isp.example>:1"]["count"], 2)

    def test_mbox_from_inside_a_body_does_not_split(self):
        d = fs.temp_dir(self)
        report = fs.arf_report(9, "192.0.2.9", 1795478399).replace(b"\r\n", b"\n")
        report = report.replace(b"Message body number 9.\n",
                                b"Message body number 9.\nFrom me to you, unquoted\n")
        with open(os.path.join(d, "x.mbox"), "wb") as f:
            f.write(b"From a@b Mon Nov 23 08:00:00 2026\n" + report + b"\n" +
                    b"From a@b Mon Nov 23 08:00:01 2026\n" + report.replace(b"report-9",
                                                                            b"report-10"))
        proc, evs = fs.dry_run_events(["--no-verify", os.path.join(d, "x.mbox")])
        self.assertEqual(len(evs), 2, proc.stderr.decode())

    def test_maildir_skips_tmp(self):
        d = fs.temp_dir(self)
        shutil.copytree(os.path.join(fs.SAMPLES, "arf", "maildir"), os.path.join(d, "md"))
        os.makedirs(os.path.join(d, "md", "tmp"))
        shutil.copy(os.path.join(fs.SAMPLES, "arf", "abuse.eml"),
                    os.path.join(d, "md", "tmp", "partial"))
        proc, evs = fs.dry_run_events(["--no-verify", os.path.join(d, "md")])
        self.assertEqual(len(evs), 2, proc.stderr.decode())

    def test_dmarc_mapping(self):
        proc, evs = fs.dry_run_events([os.path.join(fs.SAMPLES, "dmarc")])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        got = by_id(evs)
        base = "dmarc:mailbox.example:14727380195012283231"
        self.assertEqual(got[f"{base}:0"], {
            "id": f"{base}:0", "type": "auth_pass", "time": 1795478399, "ip": "192.0.2.25",
            "domain": "sender.example", "mail_from": "sender.example",
            "reporter": "mailbox.example", "count": 1200})
        self.assertEqual(got[f"{base}:1"]["type"], "auth_pass")
        self.assertNotIn("domain", got[f"{base}:1"], "SPF-only pass verifies no domain")
        self.assertEqual(got[f"{base}:2"]["type"], "delivered")
        self.assertNotIn("domain", got[f"{base}:2"], "a non-aligned d= is not credited")
        self.assertEqual(got[f"{base}:2:fail"]["type"], "auth_fail")
        self.assertEqual(got[f"{base}:2:fail"]["count"], 25)
        self.assertEqual(got[f"{base}:3"]["type"], "delivered")
        self.assertNotIn(f"{base}:3:fail", got, "mailing-list overrides charge no forgery")
        # The same report as .xml.gz, inside .zip, and attached to a mail.
        for org in ("webmail.example", "zipmail.example", "mail-attached.example"):
            self.assertEqual(sum(1 for e in evs if e["reporter"] == org), 5, org)

    def test_traps(self):
        _, evs = fs.dry_run_events([os.path.join(fs.SAMPLES, "traps")])
        self.assertTrue(all(e["type"] == "spamtrap" for e in evs))
        hits = [e for e in evs if e["ip"] == "203.0.113.50"]
        self.assertEqual(len(hits), 3, "two identical lines stay two hits")
        self.assertEqual(hits[0]["time"], 1795507200)
        self.assertEqual(hits[2]["time"], 1795507800)  # "YYYY-MM-DD HH:MM:SS" is UTC
        self.assertEqual(hits[2]["domain"], "snowshoe.example")
        tsv = [e for e in evs if e["ip"] == "2001:db8:bad::1"]
        self.assertEqual(tsv[0]["helo"], "[2001:db8:bad::1]")
        counted = [e for e in evs if e["ip"] == "203.0.113.60"][0]
        self.assertEqual((counted["count"], counted["reporter"]), (5, "trap-network-b"))

    def test_ndjson_passthrough_keeps_the_line(self):
        src = os.path.join(fs.SAMPLES, "ndjson", "events.ndjson")
        proc, _ = fs.dry_run_events([src])
        with open(src) as f:
            self.assertEqual(proc.stdout.decode(), f.read())

    def test_stdin_and_reporter_fill(self):
        line = b'{"id":"s1","type":"ham","ip":"192.0.2.9"}\n'
        proc, evs = fs.dry_run_events(["--reporter", "own-mx", "-"], stdin=line)
        self.assertEqual(evs, [{"id": "s1", "type": "ham", "ip": "192.0.2.9",
                                "reporter": "own-mx"}], proc.stderr.decode())
        proc, evs = fs.dry_run_events(["-"], stdin=line)
        self.assertEqual(evs, [])
        self.assertIn("<stdin>:1: reporter: required", proc.stderr.decode())

    def test_gzip_stream_of_traps_and_forced_format(self):
        d = fs.temp_dir(self)
        path = os.path.join(d, "log.gz")
        with gzip.open(path, "wb") as f:
            f.write(b"1795507200,192.0.2.33,h,,\n")
        _, evs = fs.dry_run_events([path])
        self.assertEqual([e["ip"] for e in evs], ["192.0.2.33"])
        proc, evs = fs.dry_run_events(["--format", "ndjson", path])
        self.assertEqual(evs, [])
        self.assertIn("log.gz:1: malformed JSON", proc.stderr.decode())

    def test_ids_are_stable_across_runs_and_paths(self):
        d = fs.temp_dir(self)
        shutil.copytree(fs.SAMPLES, os.path.join(d, "copy"))
        _, first = fs.dry_run_events(["--no-verify", fs.SAMPLES])
        _, second = fs.dry_run_events(["--no-verify", os.path.join(d, "copy")])
        self.assertEqual(sorted(e["id"] for e in first), sorted(e["id"] for e in second))
        self.assertEqual(sorted(map(json.dumps, first)), sorted(map(json.dumps, second)))


class MalformedTest(unittest.TestCase):
    def test_each_bad_input_is_reported_and_the_rest_read(self):
        proc, evs = fs.dry_run_events(["--no-verify", fs.BAD])
        self.assertEqual(proc.returncode, 1)
        err = proc.stderr.decode()
        for expected in (
                "arf-without-type.eml: feedback-report part without a Feedback-Type field",
                "bad-lines.ndjson:2: ip: '192.0.2.999' is not an IP address",
                "bad-lines.ndjson:3: type: unknown event type 'nonsense'",
                "bad-lines.ndjson:4: an event needs 'ip' or 'domain'",
                "bad-lines.ndjson:5: malformed JSON",
                "bad-lines.ndjson:6: count: must be a number > 0",
                "bad-lines.ndjson:7: time: more than a day in the future",
                "bad.zip: broken zip archive",
                "broken.xml: broken XML",
                "latin1-traps.csv:2: not UTF-8",
                "not-arf.eml: neither an ARF report",
                "truncated.xml.gz: broken gzip data"):
            self.assertIn(expected, err)
        self.assertEqual(sorted(e["id"] for e in evs)[:2], ["bad-1", "bad-8"])
        self.assertEqual([e["ip"] for e in evs if e["type"] == "spamtrap" and "trap:" in
                          e["id"]], ["203.0.113.71"])
        self.assertIn("skipped 12", err)

    def test_missing_input_and_empty_file(self):
        d = fs.temp_dir(self)
        open(os.path.join(d, "empty"), "w").close()
        proc, _ = fs.dry_run_events([os.path.join(d, "nope"), os.path.join(d, "empty")])
        err = proc.stderr.decode()
        self.assertIn("nope: no such file or directory", err)
        self.assertIn("empty: empty input", err)
        self.assertEqual(proc.returncode, 1)

    def test_dmarc_bad_record_skipped_others_kept(self):
        xml = fs.dmarc_xml("org.example", "r1", 1795478399, [
            ("192.0.2.1", 5, "a.example", "pass", "pass", [("a.example", "pass")]),
            ("not-an-ip", 5, "a.example", "pass", "pass", []),
            ("192.0.2.3", "x", "a.example", "pass", "pass", [])])
        evs, problems = dmarc.parse(xml, "r.xml", now=1795478399)
        self.assertEqual([e["ip"] for e in evs], ["192.0.2.1"])
        self.assertEqual([p[0] for p in problems], ["r.xml: record 2", "r.xml: record 3"])
        with self.assertRaisesRegex(events.BadInput, "not a DMARC aggregate report"):
            dmarc.parse(b"<html/>", "x", now=1)

    def test_mail_attachment_must_be_dmarc(self):
        import base64
        d = fs.temp_dir(self)
        buf = os.path.join(d, "notes.zip")
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("notes.txt", "1795478399,192.0.2.1,h,,\n")
        with open(buf, "rb") as f:
            payload = base64.encodebytes(f.read()).decode()
        with open(os.path.join(d, "mail.eml"), "w") as f:
            f.write("From: a@b.example\nSubject: notes\nMIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: "
                    "text/plain\n\nhi\n--z\nContent-Type: application/zip; name=notes.zip\n"
                    "Content-Transfer-Encoding: base64\n\n" + payload + "--z--\n")
        os.unlink(buf)
        proc, evs = fs.dry_run_events([d])
        self.assertEqual(evs, [])
        self.assertIn("attachment notes.zip!notes.txt: broken XML", proc.stderr.decode())

    def test_zip_bomb_member_refused(self):
        d = fs.temp_dir(self)
        path = os.path.join(d, "big.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("big.xml", b"<feedback>" + b" " * (2 << 20) + b"</feedback>")
        proc, _ = fs.dry_run_events(["--max-input-bytes", "1048576", path])
        self.assertIn("big.zip!big.xml: larger than --max-input-bytes", proc.stderr.decode())


class UnitTest(unittest.TestCase):
    """The building blocks, on inputs that are awkward to put in files."""

    def test_time_formats(self):
        now = 1795478399
        self.assertEqual(events.parse_time(1795000000, now), 1795000000)
        self.assertEqual(events.parse_time("1795000000", now), 1795000000)
        self.assertEqual(events.parse_time("2026-11-24T10:00:00+02:00", now), 1795507200)
        self.assertEqual(events.parse_time("2026-11-24T08:00:00Z", now),
                         events.parse_time("2026-11-24T10:00:00+02:00", now))
        self.assertEqual(events.parse_time("Tue, 24 Nov 2026 08:00:00 +0000", now),
                         events.parse_time("2026-11-24 08:00:00", now))
        for bad in ("yesterday", "", True, None, float("nan"), -5, "2026-13-01T00:00:00Z"):
            with self.assertRaises(events.BadInput, msg=repr(bad)):
                events.parse_time(bad, now)
        with self.assertRaisesRegex(events.BadInput, "future"):
            events.parse_time(now + 2 * 86400, now)

    def test_ip_and_domain(self):
        self.assertEqual(events.check_ip("::ffff:192.0.2.1"), "192.0.2.1")
        self.assertEqual(events.check_ip("[2001:DB8::1]"), "2001:db8::1")
        self.assertEqual(events.check_domain("Example.COM."), "example.com")
        self.assertEqual(events.check_domain("bücher.example"), "xn--bcher-kva.example")
        for bad in ("localhost", "-a.example", "a..example", "a b.example", "x" * 64 + ".com"):
            with self.assertRaises(events.BadInput, msg=bad):
                events.check_domain(bad)

    def test_long_ids_are_hashed_and_stable(self):
        long_id = events.stable_id("arf", "<" + "x" * 400 + "@example>", 1)
        self.assertLessEqual(len(long_id), events.MAX_ID)
        self.assertEqual(long_id, events.stable_id("arf", "<" + "x" * 400 + "@example>", 1))
        self.assertNotEqual(long_id, events.stable_id("arf", "<" + "x" * 400 + "@example>", 2))

    def test_raw_parts_keep_bytes(self):
        inner = b"DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=s;\r\n\t b=abc\r\n" \
                b"From: x@a.example\r\n\r\nbody  with  spaces \r\n\r\n"
        raw = fs.arf_report(1, "192.0.2.1", 1795478399, original=inner)
        report = arf.parse(raw, "r", now=1795478399)
        self.assertEqual(report.message, inner)
        self.assertTrue(report.wants_verification)

    def test_base64_attached_message(self):
        import base64
        inner = b"DKIM-Signature: v=1; d=a.example\r\nFrom: x@a.example\r\n\r\nhi\r\n"
        raw = fs.arf_report(2, "192.0.2.1", 1795478399, original=b"")
        raw = raw.replace(b"Content-Type: message/rfc822\r\n\r\n",
                          b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64"
                          b"\r\n\r\n" + base64.encodebytes(inner))
        self.assertEqual(arf.parse(raw, "r", now=1795478399).message, inner)

    def test_verified_domains_become_events(self):
        raw = fs.arf_report(3, "192.0.2.1", 1795478399)
        report = arf.parse(raw, "r", now=1795478399)
        evs = report.events(["Sender.Example", "esp.example", "sender.example", "bad domain"])
        self.assertEqual([(e.get("ip"), e.get("domain")) for e in evs],
                         [("192.0.2.1", "sender.example"), (None, "esp.example")])
        self.assertEqual(len({e["id"] for e in evs}), 2)

    def test_report_without_message_id_uses_a_hash(self):
        raw = fs.arf_report(4, "192.0.2.1", 1795478399, message_id=False)
        a = arf.parse(raw, "r", now=1795478399).base_id
        b = arf.parse(raw.replace(b"report 4", b"report 5"), "r", now=1795478399).base_id
        self.assertTrue(a.startswith("arf:sha256:"))
        self.assertNotEqual(a, b)

    def test_feedback_other_is_refused(self):
        raw = fs.arf_report(5, "192.0.2.1", 1795478399, feedback_type="other")
        with self.assertRaisesRegex(events.BadInput, "no judgement"):
            arf.parse(raw, "r", now=1795478399)

    def test_auth_fail_never_verifies(self):
        raw = fs.arf_report(6, "192.0.2.1", 1795478399, feedback_type="auth-failure",
                            original=b"DKIM-Signature: v=1\r\nFrom: a@b.example\r\n\r\nx\r\n")
        self.assertFalse(arf.parse(raw, "r", now=1795478399).wants_verification)

    def test_multipart_split_follows_rfc2046(self):
        body = b"preamble\r\n--b\r\nA\r\n--b \r\nB\r\n\r\n--b--\r\nepilogue"
        self.assertEqual(mime.split_multipart(body, "b"), [b"A", b"B\r\n"])

    def test_trap_header_validation(self):
        log = lines.TrapLog("t")
        with self.assertRaisesRegex(events.BadInput, "unknown columns"):
            log.line(1, "time,ip,colour\n")

    def test_huge_line_is_refused(self):
        line = '{"id":"a","type":"ham","ip":"192.0.2.1","reporter":"r","x":"%s"}' % ("y" * 70000)
        with self.assertRaisesRegex(events.BadInput, "longer than"):
            lines.ndjson_line(line)

    def test_nan_is_not_json(self):
        with self.assertRaisesRegex(events.BadInput, "malformed JSON"):
            lines.ndjson_line('{"id":"a","type":"ham","ip":"192.0.2.1","reporter":"r",'
                              '"x":NaN}')


class VerifierPlumbingTest(unittest.TestCase):
    """How verdicts reach events, with stand-ins for the verifier that record what they got
    (the real verifier is exercised in test_server.DkimTest)."""

    SIGNED = (b"DKIM-Signature: v=1; a=rsa-sha256; d=good.example; s=s;\r\n\tbh=x; b=y\r\n"
              b"From: a@good.example\r\nSubject: hi\r\n\r\nbody \r\n  with  spaces\r\n")
    FORGED = SIGNED.replace(b"body", b"BODY")

    def reports(self):
        d = fs.temp_dir(self)
        for i, original in enumerate((self.SIGNED, self.FORGED, b"From: a@b.example\r\n\r\nx")):
            with open(os.path.join(d, f"r{i}.eml"), "wb") as f:
                f.write(fs.arf_report(50 + i, "192.0.2.50", 1795478399, original=original))
        return d

    def domains(self, evs):
        return {e["id"].split(":")[1]: e.get("domain") for e in evs}

    def test_server_verify_gets_the_exact_bytes(self):
        import http.server
        import threading
        received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers["Content-Type"], body))
                ok = body == VerifierPlumbingTest.SIGNED
                answer = json.dumps({"result": "pass" if ok else "fail",
                                     "verified_domains": ["good.example"] if ok else []})
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer.encode())

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        proc, evs = fs.dry_run_events(["--url", f"http://127.0.0.1:{server.server_port}",
                                       self.reports()])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(self.domains(evs), {"<report-50@fbl.mailbox.example>": "good.example",
                                             "<report-51@fbl.mailbox.example>": None,
                                             "<report-52@fbl.mailbox.example>": None})
        # Only signed messages are sent, byte for byte, as message/rfc822.
        self.assertEqual(sorted(r[2] for r in received), sorted([self.SIGNED, self.FORGED]))
        self.assertEqual({(r[0], r[1]) for r in received}, {("/v1/verify", "message/rfc822")})

    def test_repd_verify_json(self):
        d = fs.temp_dir(self)
        fake = os.path.join(d, "fake-repd")
        with open(fake, "w") as f:
            f.write("#!/usr/bin/env python3\n"
                    "import json, sys\n"
                    "args = sys.argv[1:]\n"
                    "assert args[:2] == ['verify', '--json'], args\n"
                    "assert args[2:4] == ['--dns-server', '127.0.0.1:5300'], args\n"
                    "for path in args[4:]:\n"
                    "    ok = open(path, 'rb').read() == %r\n"
                    "    print(json.dumps({'file': path, 'result': 'pass' if ok else 'fail',\n"
                    "        'signatures': [{'d': 'Good.Example', 's': 's', 'a': 'rsa-sha256',\n"
                    "        'result': 'pass' if ok else 'fail', 'reason': ''}]}))\n"
                    "sys.exit(0 if ok else 1)\n" % self.SIGNED)
        os.chmod(fake, 0o755)
        proc, evs = fs.dry_run_events(["--verify", "repd", "--repd-binary", fake,
                                       "--dkim-dns-server", "127.0.0.1:5300", self.reports()])
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(self.domains(evs)["<report-50@fbl.mailbox.example>"], "good.example")
        self.assertIsNone(self.domains(evs)["<report-51@fbl.mailbox.example>"])

    def test_verifier_that_cannot_run_stops_the_run(self):
        proc, _ = fs.dry_run_events(["--verify", "repd", "--repd-binary", "/nonexistent/repd",
                                     self.reports()])
        self.assertEqual(proc.returncode, 3)
        self.assertIn("DKIM verification failed", proc.stderr.decode())
        self.assertIn("--no-verify", proc.stderr.decode())


class ProgressTest(unittest.TestCase):
    def test_progress_bar_when_asked(self):
        proc = fs.run_feed(["--dry-run", "--no-verify", "--progress", fs.SAMPLES])
        err = proc.stderr.decode()
        self.assertIn("\r[", err)
        self.assertIn("100.0%", err)

    def test_no_progress_bar_when_not_a_terminal(self):
        proc = fs.run_feed(["--dry-run", "--no-verify", fs.SAMPLES])
        self.assertNotIn("\r", proc.stderr.decode())


class SignalTest(unittest.TestCase):
    def test_sigterm_ends_with_a_summary(self):
        import subprocess
        import time
        proc = subprocess.Popen([sys.executable, fs.FEED, "--dry-run", "-"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdin.write(b'{"id":"t","type":"ham","ip":"192.0.2.1","reporter":"r"}\n')
        proc.stdin.flush()
        time.sleep(0.5)
        proc.terminate()
        out, err = proc.communicate(timeout=30)
        proc.stdin.close()
        self.assertEqual(proc.returncode, 130, err.decode())
        self.assertIn("interrupted; run again to resume", err.decode())
        self.assertIn("read 1 events", err.decode())


class HelpTest(unittest.TestCase):
    def test_help_documents_every_option_and_format(self):
        proc = fs.run_feed(["--help"])
        text = proc.stdout.decode()
        self.assertEqual(proc.returncode, 0)
        sys.path.insert(0, os.path.join(fs.SOURCE_DIR, "scripts"))
        from repd_feed.cli import build_parser
        for action in build_parser()._actions:
            for flag in action.option_strings:
                self.assertIn(flag, text)
        for word in ("ARF", "DMARC", "spamtrap", "NDJSON", "Maildir", "mbox", "REPD_TOKEN",
                     "exit status", "virus"):
            self.assertIn(word, text)

    def test_no_token_is_a_usage_error(self):
        proc = fs.run_feed([os.path.join(fs.SAMPLES, "ndjson")])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no token", proc.stderr.decode())


if __name__ == "__main__":
    unittest.main()
