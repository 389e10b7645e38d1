#!/usr/bin/env python3
"""bench_feed.py -- end-to-end throughput of scripts/repd-feed against a real repd, side by side
with an anchor: curl posting the same NDJSON batches over one keep-alive connection (what the
server takes when the client costs nothing). Bounded: every run stops by itself.

    REPD_BINARY=build/repd python3 tests/feed/bench_feed.py [--events N] [--reports N]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feed_support as fs  # noqa: E402


def ndjson_files(directory, prefix, n, files=4):
    """n events over `files` files: a mix of types over 5,000 IPs, current times."""
    os.makedirs(directory, exist_ok=True)
    t = fs.now() - 60
    rnd = random.Random(7)
    types = ["delivered", "ham", "auth_pass", "complaint", "spamtrap", "auth_fail"]
    per = n // files
    for k in range(files):
        with open(os.path.join(directory, f"events-{k}.ndjson"), "w") as f:
            for i in range(per):
                ip = f"10.{rnd.randrange(20)}.{rnd.randrange(250)}.{rnd.randrange(1, 250)}"
                f.write(json.dumps({"id": f"{prefix}-{k}-{i}", "type": rnd.choice(types),
                                    "time": t, "ip": ip, "reporter": "test-feed"},
                                   separators=(",", ":")) + "\n")
    return per * files


def arf_mbox(path, prefix, n, signed=()):
    """n ARF reports in one mbox; with `signed` (DKIM-signed originals), report i attaches
    signed[i % len(signed)], so that every report asks for a verification."""
    t = fs.now() - 60
    with open(path, "wb") as f:
        for i in range(n):
            ip = f"10.200.{(i // 250) % 250}.{i % 250 + 1}"
            original = signed[i % len(signed)] if signed else None
            report = fs.arf_report(f"{prefix}-{i}", ip, t, mail_from=f"x{i}@bulk.example",
                                   original=original)
            f.write(b"From fbl@fbl.mailbox.example Mon Nov 23 08:00:00 2026\n")
            f.write(report.replace(b"\r\n", b"\n"))
            f.write(b"\n")


def curl_anchor(repd, directory, batch, workdir):
    """Splits the NDJSON into `batch`-line bodies and posts them all with one curl process."""
    lines = []
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            lines.extend(f.readlines())
    config = []
    parts = os.path.join(workdir, "parts")
    os.makedirs(parts, exist_ok=True)
    for i in range(0, len(lines), batch):
        part = os.path.join(parts, f"{i}.ndjson")
        with open(part, "wb") as f:
            f.writelines(lines[i:i + batch])
        if config:
            config.append("next")
        config += [f'url = "{repd.url}/v1/feedback"', f'data-binary = "@{part}"',
                   'header = "Content-Type: application/x-ndjson"',
                   f'header = "Authorization: Bearer {fs.TOKEN}"', 'silent', 'output = "/dev/null"',
                   'write-out = "%{http_code}\\n"']
    cfg = os.path.join(workdir, "curl.cfg")
    with open(cfg, "w") as f:
        f.write("\n".join(config) + "\n")
    start = time.monotonic()
    proc = subprocess.run(["curl", "-K", cfg], capture_output=True, timeout=600, check=True)
    elapsed = time.monotonic() - start
    codes = proc.stdout.decode().split()
    assert codes and all(c == "200" for c in codes), codes[:5]
    return len(lines), elapsed


def run_feed(repd, args):
    start = time.monotonic()
    proc = fs.run_feed(["--no-progress", *args], env=fs.feed_env(repd), timeout=600)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"repd-feed failed: {proc.stderr.decode()[-2000:]}")
    return elapsed, proc.stderr.decode().strip().splitlines()[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=200000)
    p.add_argument("--reports", type=int, default=20000)
    p.add_argument("--batch", type=int, default=5000)
    args = p.parse_args()
    if fs.repd_binary() is None:
        raise SystemExit("set REPD_BINARY to the repd executable")
    work = tempfile.mkdtemp(prefix="repd-feed-bench-")
    # Signed mail from 20 sending domains (one key published under each): FBL reports span
    # many senders.
    domains = [f"sender{i}.bench.example" for i in range(20)]
    key = fs.DkimKey(work, domains[0])
    dns = fs.DnsTxtServer({key.dns_name_for(d): key.record for d in domains})
    repd = fs.Repd(work, dns_servers=[dns.address]).start()
    try:
        n = ndjson_files(os.path.join(work, "feed"), "f", args.events)
        ndjson_files(os.path.join(work, "anchor"), "a", args.events)
        anchor_n, anchor_s = curl_anchor(repd, os.path.join(work, "anchor"), args.batch, work)
        feed_s, feed_summary = run_feed(repd, ["--state", os.path.join(work, "state.sqlite"),
                                               "--batch-size", str(args.batch),
                                               os.path.join(work, "feed")])
        print(f"NDJSON  {n} events: repd-feed {n / feed_s:,.0f} events/s ({feed_s:.2f} s), "
              f"curl anchor {anchor_n / anchor_s:,.0f} events/s ({anchor_s:.2f} s), "
              f"ratio {anchor_s / feed_s:.2f}")
        print(f"        {feed_summary}")

        arf_mbox(os.path.join(work, "reports.mbox"), "b", args.reports)
        feed_s, feed_summary = run_feed(repd, ["--state", os.path.join(work, "state.sqlite"),
                                               "--batch-size", str(args.batch),
                                               os.path.join(work, "reports.mbox")])
        # The anchor for ARF: the same number of events, already NDJSON, through curl.
        ndjson_files(os.path.join(work, "anchor-arf"), "c", args.reports, files=1)
        anchor_n, anchor_s = curl_anchor(repd, os.path.join(work, "anchor-arf"), args.batch,
                                         work)
        print(f"ARF     {args.reports} reports (mbox): repd-feed {args.reports / feed_s:,.0f} "
              f"reports/s ({feed_s:.2f} s), curl anchor (same count as NDJSON) "
              f"{anchor_n / anchor_s:,.0f} events/s, ratio {anchor_s / feed_s:.2f}")
        print(f"        {feed_summary}")

        # Every attached message DKIM-signed: each report costs a POST /v1/verify.
        t = fs.now()
        signed = [key.sign(fs.original_message(d, "10.201.0.1", i, t), d)
                  for i, d in enumerate(domains)]
        arf_mbox(os.path.join(work, "signed.mbox"), "s", args.reports, signed)
        feed_s, feed_summary = run_feed(repd, ["--state", os.path.join(work, "state.sqlite"),
                                               "--batch-size", str(args.batch),
                                               os.path.join(work, "signed.mbox")])
        print(f"ARF+DKIM {args.reports} signed reports, verified by POST /v1/verify: repd-feed "
              f"{args.reports / feed_s:,.0f} reports/s ({feed_s:.2f} s), ratio to the anchor "
              f"{anchor_s / feed_s:.2f}")
        print(f"        {feed_summary}")

        arf_mbox(os.path.join(work, "signed2.mbox"), "r", args.reports, signed)
        feed_s, feed_summary = run_feed(repd, ["--state", os.path.join(work, "state.sqlite"),
                                               "--batch-size", str(args.batch), "--verify",
                                               "repd", "--repd-binary", fs.repd_binary(),
                                               "--dkim-dns-server", dns.address,
                                               os.path.join(work, "signed2.mbox")])
        print(f"ARF+DKIM {args.reports} signed reports, verified by `repd verify --json`: "
              f"repd-feed {args.reports / feed_s:,.0f} reports/s ({feed_s:.2f} s), ratio to the "
              f"anchor {anchor_s / feed_s:.2f}")
        print(f"        {feed_summary}")
    finally:
        repd.stop()
        dns.close()
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()
