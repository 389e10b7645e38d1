#include "dnsbl/answer.h"

#include <algorithm>

namespace repd::dnsbl {

namespace {

constexpr size_t kQuestionOffset = kHeaderSize;  // the question name always starts here
constexpr size_t kMaxTxtExpansion = 2048;

void WriteHeader(Writer& w, const Query& q, uint16_t rcode, bool aa, bool tc, bool question) {
  uint16_t flags = kFlagQR | (q.flags & (0x7800 | kFlagRD | kFlagCD));
  if (aa) flags |= kFlagAA;
  if (tc) flags |= kFlagTC;
  flags |= rcode & 0xF;
  w.U16(q.id);
  w.U16(flags);
  w.U16(question ? 1 : 0);
  w.U16(0);
  w.U16(0);
  w.U16(0);
  if (question) {
    w.Bytes(q.qname, q.qname_len);
    w.U16(q.qtype);
    w.U16(q.qclass);
  }
}

// The OPT record of the answer (RFC 6891): our payload size, the upper rcode bits, version 0,
// and the DO bit copied from the query (RFC 3225), although no zone here is signed.
void WriteOpt(Writer& w, const Query& q, const DnsOptions& o, uint16_t rcode) {
  w.U8(0);
  w.U16(kTypeOPT);
  w.U16(std::max<uint16_t>(o.max_udp_payload, 512));
  w.U8(static_cast<uint8_t>(rcode >> 4));
  w.U8(0);
  w.U16(q.edns_do ? 0x8000 : 0);
  w.U16(0);
}

void RrHeader(Writer& w, Owner owner, uint16_t type, uint32_t ttl) {
  w.Bytes(owner.labels.data(), owner.labels.size());
  w.Pointer(owner.pointer);
  w.U16(type);
  w.U16(kClassIN);
  w.U32(ttl);
}

// Writes the owner for one record and moves `owner` to point at it.
void OwnerHeader(Writer& w, Owner& owner, uint16_t type, uint32_t ttl) {
  const size_t at = w.size();
  RrHeader(w, owner, type, ttl);
  if (!owner.labels.empty()) owner = {at, {}};
}

void WriteA(Writer& w, Owner& owner, uint8_t third, uint8_t last, uint32_t ttl) {
  OwnerHeader(w, owner, kTypeA, ttl);
  w.U16(4);
  const uint8_t addr[4] = {127, 0, third, last};
  w.Bytes(addr, 4);
}

void WriteTxt(Writer& w, Owner& owner, const std::string& text, const Subject& subject,
              uint32_t ttl) {
  char subject_text[kMaxName];
  size_t subject_len = text.find('$') == std::string::npos ? 0 : SubjectText(subject, subject_text);
  char expanded[kMaxTxtExpansion];
  size_t n = 0;
  for (char c : text) {
    if (c == '$') {
      size_t k = std::min(subject_len, kMaxTxtExpansion - n);
      std::copy_n(subject_text, k, expanded + n);
      n += k;
    } else if (n < kMaxTxtExpansion) {
      expanded[n++] = c;
    }
  }
  OwnerHeader(w, owner, kTypeTXT, ttl);
  const size_t rdlen_at = w.size();
  w.U16(0);
  // Character-strings hold at most 255 octets each; a longer text spans several.
  size_t pos = 0;
  do {
    size_t chunk = std::min<size_t>(255, n - pos);
    w.U8(static_cast<uint8_t>(chunk));
    w.Bytes(expanded + pos, chunk);
    pos += chunk;
  } while (pos < n);
  w.Patch16(rdlen_at, static_cast<uint16_t>(w.size() - rdlen_at - 2));
}

}  // namespace

void WriteSoaRecord(Writer& w, const Zone& zone, const DnsOptions& o, size_t apex, uint32_t ttl,
                    uint32_t serial) {
  RrHeader(w, {apex, {}}, kTypeSOA, ttl);
  const size_t rdlen_at = w.size();
  w.U16(0);
  zone.mname.Write(w, apex);
  zone.rname.Write(w, apex);
  w.U32(serial);
  w.U32(o.refresh);
  w.U32(o.retry);
  w.U32(o.expire);
  w.U32(o.negative_ttl);
  w.Patch16(rdlen_at, static_cast<uint16_t>(w.size() - rdlen_at - 2));
}

void WriteNsRecords(Writer& w, const Zone& zone, const DnsOptions& o, size_t apex) {
  for (const CompressedName& ns : zone.ns) {
    RrHeader(w, {apex, {}}, kTypeNS, o.soa_ttl);
    const size_t rdlen_at = w.size();
    w.U16(0);
    ns.Write(w, apex);
    w.Patch16(rdlen_at, static_cast<uint16_t>(w.size() - rdlen_at - 2));
  }
}

uint16_t WriteSubjectRecords(Writer& w, Owner& owner, const ZoneRecords& records,
                             const Subject& subject, uint32_t ttl, bool a, bool txt) {
  uint16_t n = 0;
  if (a) {
    records.ForEachA([&](uint8_t third, uint8_t last) {
      WriteA(w, owner, third, last, ttl);
      ++n;
    });
  }
  if (txt && records.txt != nullptr) {
    WriteTxt(w, owner, *records.txt, subject, ttl);
    ++n;
  }
  return n;
}

uint16_t WriteExcludedCname(Writer& w, Owner& owner, size_t apex, uint32_t ttl) {
  static constexpr uint8_t kInvalid[] = {7, 'i', 'n', 'v', 'a', 'l', 'i', 'd'};
  OwnerHeader(w, owner, kTypeCNAME, ttl);
  w.U16(sizeof kInvalid + 2);
  w.Bytes(kInvalid, sizeof kInvalid);
  w.Pointer(apex);
  return 1;
}

size_t UdpLimit(const Query& q, const DnsOptions& o) {
  size_t limit = 512;
  if (q.edns) limit = std::max<size_t>(512, std::min(q.edns_payload, o.max_udp_payload));
  if (o.max_amplification > 0) limit = std::min(limit, q.size * o.max_amplification);
  return limit;
}

size_t BuildTruncated(const Query& q, const DnsOptions& o, uint8_t* out, size_t cap) {
  Writer w(out, cap);
  WriteHeader(w, q, kNoError, true, true, q.has_question);
  if (q.edns) {
    WriteOpt(w, q, o, kNoError);
    w.Patch16(10, 1);
  }
  return w.overflow() ? 0 : w.size();
}

size_t BuildAnswer(const Query& q, ParseStatus status, const ZoneSet& zones,
                   const reputation::ListingIndex::Snapshot& snapshot, Transport transport,
                   size_t limit, uint8_t* out, size_t cap, AnswerInfo* info) {
  *info = AnswerInfo{};
  if (status == ParseStatus::kDrop || status == ParseStatus::kSlow) return 0;
  const DnsOptions& o = zones.options();
  Writer w(out, std::min(cap, limit));
  uint16_t an = 0, ns = 0;

  // Answers without records: errors and refusals.
  auto bare = [&](uint16_t rcode, bool aa, bool question) {
    info->rcode = rcode;
    WriteHeader(w, q, rcode, aa, false, question);
    if (q.edns && status == ParseStatus::kOk) {
      WriteOpt(w, q, o, rcode);
      w.Patch16(10, 1);
    }
    return w.overflow() ? 0 : w.size();
  };
  if (status == ParseStatus::kNotImp) return bare(kNotImp, false, false);
  if (status == ParseStatus::kFormErr) return bare(kFormErr, false, q.has_question);
  if (q.edns && q.edns_version != 0) return bare(kBadVers, false, true);
  if (q.qclass != kClassIN && q.qclass != kClassANY) return bare(kRefused, false, true);
  if (q.qtype == kTypeOPT || q.qtype == kTypeTSIG || q.qtype == kTypeTKEY || q.qtype == 0) {
    return bare(kFormErr, false, true);
  }
  if (q.qtype == kTypeMAILA || q.qtype == kTypeMAILB) return bare(kNotImp, false, true);

  size_t relative = 0;
  const Zone* zone =
      zones.Find(q.qname_lower, q.qname_len, q.label_offset, q.label_count, &relative);
  if (zone == nullptr) return bare(kRefused, false, true);
  info->zone = zone;
  const bool xfr = q.qtype == kTypeAXFR || q.qtype == kTypeIXFR;
  // AXFR is defined over TCP only (RFC 5936 4.2); the TCP side never calls us with it.
  if (q.qtype == kTypeAXFR) return bare(kNotImp, true, true);
  if (xfr && relative != 0) return bare(kNotAuth, false, true);

  const size_t apex = kQuestionOffset + (relative < q.label_count ? q.label_offset[relative] : 0);
  const uint32_t serial = snapshot.Serial();
  uint16_t rcode = kNoError;
  WriteHeader(w, q, kNoError, true, false, true);
  if (relative == 0) {
    if (q.qtype == kTypeSOA || q.qtype == kTypeANY || q.qtype == kTypeIXFR) {
      // IXFR over UDP: the current SOA alone tells the client to come back over TCP
      // (RFC 1995 section 2).
      WriteSoaRecord(w, *zone, o, apex, o.soa_ttl, serial);
      an = 1;
    } else if (q.qtype == kTypeNS) {
      WriteNsRecords(w, *zone, o, apex);
      an = static_cast<uint16_t>(zone->ns.size());
    }
  } else {
    Subject subject;
    ZoneRecords records;
    if (ZoneSet::DecodeSubject(*zone, q.qname_lower + q.label_offset[0], relative, &subject)) {
      records = zones.Lookup(*zone, subject, snapshot);
    }
    if (!records.has_a()) {
      // An empty non-terminal is NODATA: a resolver minimising its queries (RFC 9156) stops
      // at an NXDOMAIN (RFC 8020) and would never ask for the listed names below it.
      if (!ZoneSet::IsEmptyNonTerminal(*zone, q.qname_lower + q.label_offset[0], relative, subject,
                                       snapshot)) {
        rcode = kNxDomain;
      }
    } else {
      // ANY gets the A RRset only: a minimal answer (RFC 8482) that DNSBL clients use.
      Owner owner;
      an = WriteSubjectRecords(w, owner, records, subject, o.ttl,
                               q.qtype == kTypeA || q.qtype == kTypeANY, q.qtype == kTypeTXT);
    }
  }
  if (an == 0) {
    // NXDOMAIN or NODATA: the SOA tells caches how long to keep the negative answer
    // (RFC 2308: the smaller of its TTL and its MINIMUM).
    WriteSoaRecord(w, *zone, o, apex, std::min(o.soa_ttl, o.negative_ttl), serial);
    ns = 1;
  }
  if (q.edns) WriteOpt(w, q, o, rcode);
  w.Patch16(2, static_cast<uint16_t>(Get16(out + 2) | rcode));
  w.Patch16(6, an);
  w.Patch16(8, ns);
  w.Patch16(10, q.edns ? 1 : 0);
  info->rcode = rcode;
  if (w.overflow()) {
    if (transport == Transport::kTcp && limit >= 65535) return 0;  // cannot happen: names are short
    info->truncated = true;
    w.Truncate(0);
    WriteHeader(w, q, rcode, true, true, true);
    if (q.edns) {
      WriteOpt(w, q, o, rcode);
      w.Patch16(10, 1);
    }
    // Even the bare header and question exceed `limit` only for absurd limits: send it.
    if (w.overflow()) return BuildTruncated(q, o, out, cap);
  }
  return w.size();
}

}  // namespace repd::dnsbl
