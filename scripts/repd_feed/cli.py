"""cli.py -- the repd-feed command line: options, the run, the summary and the exit status."""

import argparse
import os
import shutil
import signal
import sys
import time

from . import inputs
from .client import Client, Unavailable
from .feeder import Feeder, Stats, Stop
from .progress import Progress
from .state import NullState, State, default_path
from .verify import HttpVerifier, NoVerifier, RepdVerifier

EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, EXIT_REFUSED, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4

DESCRIPTION = """\
Feeds email feedback into repd: reads ARF abuse reports, DMARC aggregate reports, spamtrap
hit logs and repd NDJSON events, and posts them to POST /v1/feedback in NDJSON batches, each
event exactly once."""

EPILOG = """\
inputs:
  INPUT is a file, a directory (read recursively, dotfiles skipped), a Maildir (a directory
  with new/ and cur/; tmp/ is never read), an mbox file, or - for stdin (the default). The
  format is recognised from the content, not the name: gzip (.gz) and zip archives are
  opened, also when attached to a mail; --format forces one. Batches are sent as they fill
  and at the end of the run: stdin is read to its end, like a file.

formats and how they map to events:
  ARF (RFC 5965 multipart/report; report-type=feedback-report), one event per report:
    Feedback-Type abuse, fraud -> complaint; not-spam -> ham; auth-failure -> auth_fail;
    virus -> complaint (default) or bot (--virus-as bot). Not bot by default: a virus often
    comes from one compromised account at a shared provider, and a bot listing rejects the
    whole IP at connect time. Feedback-Type other is skipped (it states no judgement).
    Source-IP -> ip; Arrival-Date (else the report's Date) -> time; Incidents -> count;
    Original-Mail-From (else Reported-Domain) -> mail_from (an unverified claim); the HELO
    name of the Received line naming the Source-IP in the attached message -> helo.
    domain: only the d= of a DKIM signature of the attached message (message/rfc822) that
    verifies (see --verify); with several verified signers, one more event per further
    domain (without ip). auth_fail events never get a domain. Reporter: --reporter, else the
    domain of the report's From address. id: arf:<Message-ID>:<index of the feedback part>
    (a SHA-256 of the report when it has no Message-ID).
  DMARC aggregate (RFC 7489 XML; also .xml.gz, .zip, and mails carrying them), per <record>:
    one volume event for (source_ip, header_from) with the record's count: auth_pass when
    the aligned DKIM or SPF result passed, else delivered. domain: the d= of a passing DKIM
    auth_result aligned with header_from (equal, or one a subdomain of the other), else none.
    Plus one auth_fail event with the same count when aligned DKIM and aligned SPF both
    failed, unless the receiver's override reason is forwarded, mailing_list or
    trusted_forwarder (honest relays fail alignment). header_from -> mail_from; end of the
    date range -> time; reporter: --reporter, else org_name.
    id: dmarc:<org_name>:<report_id>:<record index>[:fail].
  spamtrap log (CSV or TSV, UTF-8, # comments), one spamtrap event per line, columns
    time, ip, helo, mail_from, domain   (this order without a header line; a header line
    starting with "time" may reorder them and add count and reporter). time: unix seconds,
    RFC 3339 or "YYYY-MM-DD HH:MM:SS" (UTC). domain must be a DKIM-verified d= (empty if
    none verified). Reporter: the reporter column, else --reporter, else "spamtrap".
    id: trap:<SHA-256 of the line, 32 hex>:<line number>.
  NDJSON: repd events, one JSON object per line, sent as they are after the same checks
    the server makes ({"id","type","time","ip","domain","mail_from","helo","reporter",
    "count"}); --reporter fills a missing reporter.

exactly once:
  Ids are stable, so the server never counts an event twice. The state file (--state) also
  records every acknowledged id and every input file fully delivered (by path, size and
  mtime), so a re-run skips unchanged files (their bad inputs are not reported again) and
  resends nothing; a run that was interrupted or gave up on an unavailable server resumes
  where it stopped when run again. An input with events the server rejected stays open.

errors:
  A bad input (malformed report, broken XML or gzip, wrong encoding, bad field) is reported
  on stderr as "repd-feed: INPUT[:LINE]: reason" and skipped; the run goes on. 429, 5xx and
  connection failures are retried with exponential backoff (honouring Retry-After); a batch
  refused as too large (413) is split in halves; any other 4xx (bad token 401/403, ...) stops
  the run naming the inputs.

exit status:
  0 everything read was delivered (or already was); 1 some inputs were skipped or events
  rejected; 2 usage error; 3 the server refused a request (4xx); 4 the server stayed
  unavailable (run again to resume); 130 interrupted.

environment:
  REPD_TOKEN  bearer token of a [[tokens]] entry with role "feedback" (or use --token-file)
  REPD_URL    default of --url

examples:
  repd-feed --dry-run --no-verify data/samples/
  REPD_TOKEN=... repd-feed --url http://127.0.0.1:8080 ~/Maildir/.fbl /var/log/traps.csv
  zcat events.ndjson.gz | repd-feed --token-file /etc/repd/feed.token -
"""


def build_parser():
    p = argparse.ArgumentParser(prog="repd-feed", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="files, directories, Maildirs, mbox files, or - for stdin (default)")
    p.add_argument("--url", default=os.environ.get("REPD_URL", "http://127.0.0.1:8080"),
                   help="repd's HTTP address (default: $REPD_URL or http://127.0.0.1:8080)")
    p.add_argument("--token-file", metavar="FILE",
                   help="file holding the bearer token (default: $REPD_TOKEN)")
    p.add_argument("--reporter", metavar="NAME",
                   help="the reporter name of every event (the name that [[reporters.known]] "
                        "gives a trust); NDJSON events keep their own, spamtrap lines their "
                        "reporter column")
    p.add_argument("--format", choices=inputs.FORMATS, default="auto",
                   help="read every input as this format (default: recognise each one)")
    p.add_argument("--verify", choices=("http", "repd", "none"), default="http",
                   help="how to verify the DKIM signatures of messages attached to ARF "
                        "reports: http = the server's POST /v1/verify (default), repd = "
                        "`repd verify --json` run locally, none = no verification (events get "
                        "no domain)")
    p.add_argument("--no-verify", dest="verify", action="store_const", const="none",
                   help="same as --verify none: for offline runs; no event gets a domain")
    p.add_argument("--repd-binary", metavar="PATH",
                   default=os.environ.get("REPD_BINARY") or shutil.which("repd") or "repd",
                   help="the repd executable for --verify repd (default: $REPD_BINARY, else "
                        "repd on PATH)")
    p.add_argument("--dkim-dns-server", metavar="ADDR:PORT",
                   help="resolver for DKIM key lookups of --verify repd (repd verify "
                        "--dns-server)")
    p.add_argument("--virus-as", choices=("complaint", "bot"), default="complaint",
                   help="event type of ARF Feedback-Type virus (default: complaint)")
    p.add_argument("--state", metavar="FILE", default=None,
                   help=f"state file (SQLite) of delivered ids and inputs (default: "
                        f"{default_path()}, under $XDG_STATE_HOME when set)")
    p.add_argument("--no-state", action="store_true",
                   help="keep no state: re-runs resend everything (the server still counts "
                        "each id once)")
    p.add_argument("--rescan", action="store_true",
                   help="read inputs the state file marks as delivered and unchanged anyway "
                        "(their ids are still not resent)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the events as NDJSON on stdout instead of sending them (no "
                        "token needed, state file untouched)")
    p.add_argument("--batch-size", type=_positive_int, default=5000, metavar="N",
                   help="events per POST (default: 5000)")
    p.add_argument("--batch-bytes", type=_positive_int, default=1000000, metavar="BYTES",
                   help="maximum body of one POST (default: 1000000); a batch the server "
                        "refuses as too large (413) is split in halves and later ones kept "
                        "smaller")
    p.add_argument("--verify-batch", type=_positive_int, default=1000, metavar="N",
                   help="ARF messages verified together: one `repd verify` run for --verify "
                        "repd (default: 1000)")
    p.add_argument("--verify-connections", type=_positive_int, default=1, metavar="N",
                   help="parallel POST /v1/verify requests of --verify http (default: 1; more "
                        "help when the server is remote and has cores to spare)")
    p.add_argument("--retries", type=int, default=8, metavar="N",
                   help="retries of a request on 429/5xx/connection errors before giving up "
                        "(default: 8)")
    p.add_argument("--retry-max-wait", type=float, default=60.0, metavar="SECONDS",
                   help="longest wait between two retries (default: 60)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="network timeout of one request (default: 60)")
    p.add_argument("--max-input-bytes", type=_positive_int, default=256 << 20, metavar="BYTES",
                   help="largest message, XML report or archive member read whole "
                        "(default: 268435456); line formats stream without limit")
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show a progress bar on stderr (default: when stdout is a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="never show a progress bar")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no summary line (problems are still reported)")
    return p


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be > 0")
    return value


def _token(args):
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            raise ValueError(f"--token-file: {e}") from None
        if not token:
            raise ValueError(f"--token-file {args.token_file}: empty")
        return token
    return os.environ.get("REPD_TOKEN", "").strip() or None


def _terminate(signum, frame):
    # SIGTERM ends the run like ^C: the summary is printed and the state file stays consistent.
    raise KeyboardInterrupt


def main(argv=None):
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    err = sys.stderr
    show_progress = args.progress if args.progress is not None else (
        sys.stdout.isatty() and err.isatty())
    progress = None

    def say(message):
        if progress is not None:
            progress.clear()
        err.write(f"repd-feed: {message}\n")
        err.flush()

    try:
        token = _token(args)
        if token is None and not args.dry_run:
            raise ValueError("no token: set REPD_TOKEN or give --token-file (or use --dry-run)")
        client = None
        if not args.dry_run:
            client = Client(args.url, token, timeout=args.timeout, retries=args.retries,
                            max_wait=args.retry_max_wait, log=say)
        if args.dry_run or args.no_state:
            state = NullState()
        else:
            state = State(args.state or default_path(), args.url.rstrip("/"))
        verifier = _verifier(args, token, say)
    except ValueError as e:
        err.write(f"repd-feed: {e}\n")
        return EXIT_USAGE

    stats = Stats()
    units = inputs.discover(args.inputs,
                            lambda origin, reason: _missing(stats, say, origin, reason),
                            exclude=state.path)
    progress = Progress(sum(u.size for u in units), show_progress)
    done_bytes = [0]
    current = [None]

    def tick():
        unit = current[0]
        position = 0
        if unit is not None and unit.raw is not None:
            try:
                position = unit.raw.tell()
            except (OSError, ValueError):
                position = 0
        progress.update(done_bytes[0] + position, stats)

    out = sys.stdout
    feeder = Feeder(client=client, verifier=verifier, state=state, stats=stats, say=say,
                    out=out, dry_run=args.dry_run, batch_size=args.batch_size,
                    batch_bytes=args.batch_bytes, verify_batch=args.verify_batch,
                    progress=tick)
    reader = inputs.Reader(feeder, fmt=args.format, reporter=args.reporter,
                           virus_as=args.virus_as, max_bytes=args.max_input_bytes)
    status = EXIT_OK
    started = time.monotonic()
    try:
        for unit in units:
            stats.inputs += 1
            if unit.key and not args.rescan and state.input_done(unit.key, unit.size,
                                                                 unit.mtime_ns):
                stats.unchanged += 1
                done_bytes[0] += unit.size
                continue
            current[0] = unit
            try:
                if unit.path is None:
                    reader.read_unit(unit, sys.stdin.buffer)
                else:
                    with open(unit.path, "rb") as f:
                        unit.raw = f
                        reader.read_unit(unit, f)
                        unit.raw = None
            except OSError as e:
                feeder.problem(unit, unit.label, f"cannot read: {e.strerror or e}")
            feeder.end(unit)
            done_bytes[0] += unit.size
            current[0] = None
            tick()
        feeder.finish()
    except Stop as e:
        say(f"stopped: {e}")
        status = EXIT_REFUSED
    except Unavailable as e:
        say(f"stopped: server unavailable: {e}. Run again to resume: delivered events are "
            f"recorded in the state file")
        status = EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        say("interrupted; run again to resume")
        status = 130
    finally:
        progress.update(done_bytes[0], stats, force=True)
        progress.clear()
        verifier.close()
        if client is not None:
            client.close()
        state.close()
    if status == EXIT_OK and (stats.skipped or stats.rejected):
        status = EXIT_SKIPPED
    if not args.quiet:
        elapsed = time.monotonic() - started
        err.write(_summary(stats, args.dry_run, elapsed) + "\n")
    return status


def _verifier(args, token, say):
    if args.verify == "http":
        return HttpVerifier(
            lambda: Client(args.url, token, timeout=args.timeout, retries=args.retries,
                           max_wait=args.retry_max_wait, log=say),
            say, args.verify_connections)
    if args.verify == "repd":
        return RepdVerifier(args.repd_binary, args.dkim_dns_server)
    return NoVerifier()


def _missing(stats, say, origin, reason):
    stats.skipped += 1
    say(f"{origin}: {reason}")


def _summary(stats, dry_run, elapsed):
    rate = stats.read / elapsed if elapsed > 0 else 0.0
    parts = [f"read {stats.read} events from {stats.inputs} inputs"]
    if stats.unchanged:
        parts[0] += f" ({stats.unchanged} unchanged since delivered, not read again)"
    if stats.reports:
        parts.append(f"{stats.reports} ARF reports, {stats.verified} events with a "
                     f"DKIM-verified domain")
    if dry_run:
        parts.append(f"printed {stats.printed} (dry run, nothing sent)")
    else:
        parts.append(f"sent {stats.sent}")
        parts.append(f"duplicate {stats.duplicates} ({stats.duplicate} by the server, "
                     f"{stats.known} known from the state file)")
        parts.append(f"rejected {stats.rejected}")
    parts.append(f"skipped {stats.skipped}")
    return f"repd-feed: {'; '.join(parts)}; {elapsed:.2f}s, {rate:,.0f} events/s"
