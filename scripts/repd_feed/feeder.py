"""feeder.py -- turns what the readers find into NDJSON batches, sends them, keeps the books.

Exactly once: every event has a stable id; ids the state file already holds are not sent;
a batch's ids enter the state file only after the server acknowledged the batch. All events of
one ARF report travel in the same batch, so a report is never half delivered.
"""

from .client import ClientError
from .events import BadInput, encode
from .sender import Sender
from .verify import VerifyError


class Stop(Exception):
    """A condition that ends the run (the server refused a batch, verification impossible)."""


class Stats:
    def __init__(self):
        self.inputs = 0
        self.unchanged = 0
        self.read = 0
        self.reports = 0
        self.verified = 0
        self.sent = 0
        self.duplicate = 0
        self.known = 0  # duplicates found in the state file, not sent again
        self.rejected = 0
        self.skipped = 0
        self.batches = 0
        self.printed = 0  # --dry-run

    @property
    def duplicates(self):
        return self.duplicate + self.known


class Feeder:
    def __init__(self, *, client, verifier, state, stats, say, out=None, dry_run=False,
                 batch_size=5000, batch_bytes=1000000, verify_batch=1000, progress=None):
        self.client = client
        self.verifier = verifier
        self.state = state
        self.stats = stats
        self.say = say
        self.out = out
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.verify_batch = verify_batch
        self.progress = progress or (lambda: None)
        self.batch = []  # (id, wire, origin, unit)
        self.size = 0
        self.reports = []
        self.sender = None if dry_run else Sender(self._send)

    # ---- what readers call
    def event(self, unit, origin, event, wire=None):
        self._add(unit, origin, [(event["id"], wire or encode(event))])

    def report(self, unit, report):
        self.stats.reports += 1
        unit.open_reports += 1
        if self.state.known([report.base_id]):
            # Sent by an earlier run: no need to verify it again to learn what is known.
            self._report_events(unit, report, ())
        elif report.wants_verification and self.verifier.name != "none":
            self.reports.append((unit, report))
            if len(self.reports) >= self.verify_batch:
                self._verify()
        else:
            self._report_events(unit, report, ())

    def problem(self, unit, origin, reason):
        self.stats.skipped += 1
        self.say(f"{origin}: {reason}")

    # ---- unit life
    def end(self, unit):
        unit.closed = True
        self._maybe_done(unit)

    def finish(self):
        self._verify()
        self.flush()
        if self.sender is not None:
            self.sender.close()
            self._settle()

    # ---- internals
    def _add(self, unit, origin, pairs):
        for event_id, wire in pairs:
            self.batch.append((event_id, wire, origin, unit))
            self.size += len(wire) + 1
        self.stats.read += len(pairs)
        unit.events += len(pairs)
        unit.pending += len(pairs)
        if len(self.batch) >= self.batch_size or self.size >= self.batch_bytes:
            self.flush()
            self.progress()

    def _report_events(self, unit, report, domains):
        try:
            events = report.events(domains)
        except BadInput as e:
            self.problem(unit, report.origin, str(e))
        else:
            self.stats.verified += sum(1 for e in events if "domain" in e)
            self._add(unit, report.origin, [(e["id"], encode(e)) for e in events])
        unit.open_reports -= 1
        self._maybe_done(unit)

    def _verify(self):
        if not self.reports:
            return
        pending, self.reports = self.reports, []
        try:
            results = self.verifier.verify_many([r.message for _, r in pending])
        except VerifyError as e:
            raise Stop(f"DKIM verification failed: {e}. Use --verify repd (with "
                       f"--repd-binary) or --no-verify to ingest without domains") from None
        for (unit, report), domains in zip(pending, results):
            self._report_events(unit, report, domains)

    def flush(self):
        if not self.batch:
            return
        items, self.batch, self.size = self.batch, [], 0
        if self.dry_run:
            self.out.write("".join(wire + "\n" for _, wire, _, _ in items))
            self.stats.printed += len(items)
            self._settle([items])
        else:
            self.sender.submit(items)
            self._settle()

    def _settle(self, batches=None):
        """Bookkeeping of delivered batches, in this thread: inputs whose every event is
        delivered are marked done."""
        for items in batches if batches is not None else self.sender.completed():
            for item in items:
                item[3].pending -= 1
                self._maybe_done(item[3])

    def _send(self, items):
        known = self.state.known(event_id for event_id, _, _, _ in items)
        send = [item for item in items if item[0] not in known] if known else items
        self.stats.known += len(items) - len(send)
        if send:
            self._post(send)

    def _post(self, send):
        body = "".join(wire + "\n" for _, wire, _, _ in send).encode("utf-8", "surrogateescape")
        try:
            _, answer, text = self.client.request("POST", "/v1/feedback", body,
                                                  "application/x-ndjson")
        except ClientError as e:
            if e.status == 413 and len(send) > 1:
                return self._split(send, len(body), e)
            raise Stop(f"the server refused a batch of {len(send)} events ({len(body)} bytes) "
                       f"from {_inputs(send)}: {e}" +
                       ("; lower --batch-size or --batch-bytes" if e.status == 413 else ""))
        if not isinstance(answer, dict) or not all(
                isinstance(answer.get(k), int) for k in ("accepted", "duplicate", "rejected")):
            raise Stop(f"POST /v1/feedback answered something else than the feedback result: "
                       f"{text[:200]!r}")
        self.stats.batches += 1
        rejected_lines = set()
        for error in answer.get("errors") or []:
            line = error.get("line") if isinstance(error, dict) else None
            if isinstance(line, int) and 1 <= line <= len(send):
                event_id, _, origin, unit = send[line - 1]
                rejected_lines.add(line)
                unit.failed = True
                self.say(f"{origin}: event {event_id} rejected by the server: "
                         f"{error.get('message')}")
        self.stats.sent += answer["accepted"]
        self.stats.duplicate += answer["duplicate"]
        self.stats.rejected += answer["rejected"]
        unaccounted = len(send) - answer["accepted"] - answer["duplicate"] - answer["rejected"]
        if unaccounted > 0:
            # Events the server dropped without saying which: nothing of the batch is recorded
            # and its inputs stay open, so that a later run sends it again (the ids the server
            # did take come back as duplicates).
            self.stats.rejected += unaccounted
            for item in send:
                item[3].failed = True
            self.say(f"the server accounted for {len(send) - unaccounted} of {len(send)} events "
                     f"from {_inputs(send)} ({answer['accepted']} accepted, "
                     f"{answer['duplicate']} duplicate, {answer['rejected']} rejected) and "
                     f"gave no reason for the rest")
            return
        self.state.record_sent(item[0] for i, item in enumerate(send, 1)
                               if i not in rejected_lines)

    def _split(self, send, size, error):
        """A batch over the server's limit goes again in two halves, and later batches stay
        under half its size: the limit is the server's to set, not a reason to stop."""
        if size // 2 < self.batch_bytes:
            self.batch_bytes = max(1024, size // 2)
            self.say(f"the server refused {size} bytes in one request ({error}); sending "
                     f"batches of at most {self.batch_bytes} bytes")
        mid = len(send) // 2
        # Keep the events of one report together when the halves allow it.
        end = mid
        while end < len(send) and send[end][2] == send[end - 1][2]:
            end += 1
        if end < len(send):
            mid = end
        self._post(send[:mid])
        self._post(send[mid:])

    def _maybe_done(self, unit):
        # An input is done when read to its end and every event it gave is acknowledged; one
        # with events the server rejected stays open, so a later run (after a fix) retries it.
        if (unit.closed and unit.pending == 0 and unit.open_reports == 0 and not unit.failed
                and unit.key and not self.dry_run):
            self.state.mark_input(unit.key, unit.size, unit.mtime_ns, unit.events)
            unit.key = None


def _inputs(items):
    names = []
    for _, _, origin, unit in items:
        if unit.label not in names:
            names.append(unit.label)
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more inputs" if len(names) > 3 else "")
