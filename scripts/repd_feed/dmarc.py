"""dmarc.py -- DMARC aggregate reports (RFC 7489 appendix C XML) to volume and forgery events.

Each <record> (one source IP, one header_from, one evaluation, `count` messages) gives:
  - one volume event with the record's count: `auth_pass` when DMARC passed (the aligned DKIM
    or the aligned SPF result is pass), `delivered` otherwise. Its `domain` is the d= of a DKIM
    auth_result that passed *and* aligns with header_from (same name, or one a subdomain of the
    other): only a verified, aligned signer may earn reputation from the row. Non-aligned
    signers (an ESP's own d=) are not credited, as the row says nothing about their mail.
  - one `auth_fail` event with the same count when the aligned DKIM and the aligned SPF
    results both failed, unless the receiver overrode its policy because the mail was
    forwarded, came through a mailing list or a trusted forwarder: a forwarder's IP fails
    alignment for mail it relays honestly, and charging it with forgery would punish a
    bystander.
header_from goes into `mail_from` as a claim. The time is the end of the report's date range.
"""

import xml.etree.ElementTree as ET

from .events import BadInput, check_domain, check_ip, make_event, parse_time, stable_id

_INNOCENT_OVERRIDES = frozenset({"forwarded", "mailing_list", "trusted_forwarder"})


def _strip_namespaces(root):
    # DMARCbis reports carry a default namespace; the element names are the same.
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]


def _text(el, path):
    found = el.find(path)
    if found is None or found.text is None:
        return ""
    return found.text.strip()


def _aligned(a, b):
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def parse(data, origin, *, reporter=None, now=None):
    """(events, problems) of one aggregate report; BadInput when the report as a whole is
    unusable. `problems` are (origin, reason) pairs for single records that were skipped."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise BadInput(f"broken XML: {e}") from None
    _strip_namespaces(root)
    if root.tag != "feedback":
        raise BadInput(f"XML root <{root.tag}> is not a DMARC aggregate report <feedback>")
    meta = root.find("report_metadata")
    if meta is None:
        raise BadInput("DMARC report without <report_metadata>")
    org = _text(meta, "org_name")
    report_id = _text(meta, "report_id")
    if not report_id:
        raise BadInput("DMARC report without <report_id>")
    end = _text(meta, "date_range/end") or _text(meta, "date_range/begin")
    time = parse_time(end, now) if end else None
    name = reporter or org or _text(meta, "email") or "dmarc"
    policy_domain = _text(root, "policy_published/domain")

    events, problems = [], []
    for index, record in enumerate(root.iter("record")):
        where = f"{origin}: record {index + 1}"
        try:
            events.extend(_record(record, index, org, report_id, name, time, policy_domain))
        except BadInput as e:
            problems.append((where, str(e)))
    if not events and not problems:
        raise BadInput("DMARC report without any <record>")
    return events, problems


def _record(record, index, org, report_id, reporter, time, policy_domain):
    source_ip = _text(record, "row/source_ip")
    if not source_ip:
        raise BadInput("no <source_ip>")
    ip = check_ip(source_ip)
    count_text = _text(record, "row/count") or "1"
    if not count_text.isdigit():
        raise BadInput(f"<count> {count_text[:30]!r} is not a number")
    count = int(count_text)
    if count == 0:
        return []
    count = min(count, 10 ** 9)
    header_from = _text(record, "identifiers/header_from").lower().rstrip(".") or policy_domain
    dkim_aligned = _text(record, "row/policy_evaluated/dkim").lower()
    spf_aligned = _text(record, "row/policy_evaluated/spf").lower()
    overrides = {(_text(r, "type") or "").lower()
                 for r in record.findall("row/policy_evaluated/reason")}

    domain = None
    if header_from:
        for dkim in record.findall("auth_results/dkim"):
            d = _text(dkim, "domain").lower().rstrip(".")
            if _text(dkim, "result").lower() == "pass" and d and _aligned(d, header_from):
                try:
                    domain = check_domain(d)
                except BadInput:
                    continue
                break

    passed = dkim_aligned == "pass" or spf_aligned == "pass"
    base = (org or "-", report_id, index)
    out = [make_event(stable_id("dmarc", *base), "auth_pass" if passed else "delivered",
                      reporter, time=time, ip=ip, domain=domain, mail_from=header_from or None,
                      count=count)]
    if dkim_aligned == "fail" and spf_aligned == "fail" and not overrides & _INNOCENT_OVERRIDES:
        out.append(make_event(stable_id("dmarc", *base, "fail"), "auth_fail", reporter,
                              time=time, ip=ip, mail_from=header_from or None, count=count))
    return out
