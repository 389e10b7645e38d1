#include "dnsbl/query.h"

#include "dnsbl/ldns.h"

namespace repd::dnsbl {

namespace {

// Reads the header words every path needs; false when the message gets no answer at all.
bool ReadHeader(const uint8_t* data, size_t len, Query* q) {
  if (len < kHeaderSize) return false;
  q->size = len;
  q->id = Get16(data);
  q->flags = Get16(data + 2);
  q->opcode = static_cast<uint8_t>((q->flags >> 11) & 0xF);
  q->has_question = false;
  q->edns = false;
  q->has_client_serial = false;
  q->has_tsig = false;
  return (q->flags & kFlagQR) == 0;
}

// Stores an uncompressed wire name; false when it is not a legal name.
bool StoreName(const uint8_t* name, size_t avail, Query* q) {
  size_t pos = 0;
  uint8_t labels = 0;
  while (true) {
    if (pos >= avail) return false;
    uint8_t n = name[pos];
    if (n == 0) break;
    if (n > 63 || labels == kMaxLabels - 1 || pos + 1 + n + 1 > kMaxName) return false;
    if (pos + 1 + n >= avail) return false;
    q->label_offset[labels++] = static_cast<uint8_t>(pos);
    q->qname[pos] = n;
    q->qname_lower[pos] = n;
    for (size_t i = 1; i <= n; ++i) {
      q->qname[pos + i] = name[pos + i];
      q->qname_lower[pos + i] = AsciiLower(name[pos + i]);
    }
    pos += n + 1;
  }
  q->qname[pos] = 0;
  q->qname_lower[pos] = 0;
  q->qname_len = static_cast<uint16_t>(pos + 1);
  q->label_count = labels;
  return true;
}

// Moves *pos past a wire name that may end in a compression pointer.
bool SkipName(const uint8_t* data, size_t len, size_t* pos) {
  while (*pos < len) {
    const uint8_t n = data[*pos];
    if ((n & 0xC0) == 0xC0) {
      *pos += 2;
      return *pos <= len;
    }
    if ((n & 0xC0) != 0) return false;  // extended label types (RFC 6891 5) are obsolete
    *pos += 1 + n;
    if (n == 0) return true;
  }
  return false;
}

// True when every record is whole and the additional section holds at most one OPT and at
// most one TSIG, the TSIG last (RFC 6891 6.1.1, RFC 8945 5.1: anything else is FORMERR).
// Checked before ldns sees the message: ldns 1.8 keeps only the last TSIG and leaks the
// others (NLnetLabs/ldns#317), which a stream of hostile queries would turn into unbounded
// memory growth.
bool RecordsAreWholeAndMetaRecordsSingle(const uint8_t* data, size_t len) {
  const size_t questions = Get16(data + 4);
  const size_t before_additional = size_t{Get16(data + 6)} + Get16(data + 8);
  const size_t additional = Get16(data + 10);
  size_t pos = kHeaderSize;
  for (size_t i = 0; i < questions; ++i) {
    if (!SkipName(data, len, &pos) || pos + 4 > len) return false;
    pos += 4;
  }
  size_t opt = 0, tsig = 0;
  for (size_t i = 0; i < before_additional + additional; ++i) {
    if (!SkipName(data, len, &pos) || pos + 10 > len) return false;
    const uint16_t type = Get16(data + pos);
    pos += 10 + Get16(data + pos + 8);
    if (pos > len) return false;
    if (i < before_additional) continue;
    if (type == kTypeOPT) ++opt;
    if (type == kTypeTSIG && (++tsig > 1 || i + 1 != before_additional + additional)) {
      return false;
    }
  }
  return opt <= 1;
}

}  // namespace

ParseStatus ParseQueryFast(const uint8_t* data, size_t len, Query* q) {
  if (!ReadHeader(data, len, q)) return ParseStatus::kDrop;
  if (q->opcode != kOpQuery) return ParseStatus::kNotImp;
  const uint16_t qd = Get16(data + 4), an = Get16(data + 6), ns = Get16(data + 8),
                 ar = Get16(data + 10);
  if (qd != 1) return ParseStatus::kFormErr;
  if (an != 0 || ns != 0 || ar > 1) return ParseStatus::kSlow;
  size_t pos = kHeaderSize;
  // A compression pointer in the question is legal but rare: the full parser handles it.
  for (size_t p = pos; p < len && data[p] != 0; p += data[p] + 1) {
    if ((data[p] & 0xC0) == 0xC0) return ParseStatus::kSlow;
  }
  if (!StoreName(data + pos, len - pos, q)) return ParseStatus::kFormErr;
  pos += q->qname_len;
  if (pos + 4 > len) return ParseStatus::kFormErr;
  q->qtype = Get16(data + pos);
  q->qclass = Get16(data + pos + 2);
  pos += 4;
  q->has_question = true;
  if (ar == 1) {
    // Only an OPT record (owner: the root) is read here; a TSIG goes to the full parser.
    if (pos + 11 > len || data[pos] != 0) return ParseStatus::kSlow;
    if (Get16(data + pos + 1) != kTypeOPT) return ParseStatus::kSlow;
    q->edns = true;
    q->edns_payload = Get16(data + pos + 3);
    q->edns_version = data[pos + 6];
    q->edns_do = (Get16(data + pos + 7) & 0x8000) != 0;
    const size_t rdlen = Get16(data + pos + 9);
    pos += 11;
    if (pos + rdlen > len) return ParseStatus::kFormErr;
    // Options must tile the RDATA exactly (RFC 6891 6.1.2).
    size_t end = pos + rdlen;
    while (pos < end) {
      if (pos + 4 > end) return ParseStatus::kFormErr;
      pos += 4 + Get16(data + pos + 2);
    }
    if (pos != end) return ParseStatus::kFormErr;
  }
  if (pos != len) return ParseStatus::kFormErr;
  return ParseStatus::kOk;
}

ParseStatus ParseQueryLdns(const uint8_t* data, size_t len, Query* q) {
  if (!ReadHeader(data, len, q)) return ParseStatus::kDrop;
  if (q->opcode != kOpQuery) return ParseStatus::kNotImp;
  if (!RecordsAreWholeAndMetaRecordsSingle(data, len)) return ParseStatus::kFormErr;
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, data, len) != LDNS_STATUS_OK) return ParseStatus::kFormErr;
  LdnsPkt pkt(raw);
  if (ldns_pkt_qdcount(pkt.get()) != 1) return ParseStatus::kFormErr;
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
  const ldns_rdf* owner = question ? ldns_rr_owner(question) : nullptr;
  if (owner == nullptr || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME) {
    return ParseStatus::kFormErr;
  }
  if (!StoreName(ldns_rdf_data(owner), ldns_rdf_size(owner), q)) return ParseStatus::kFormErr;
  q->qtype = static_cast<uint16_t>(ldns_rr_get_type(question));
  q->qclass = static_cast<uint16_t>(ldns_rr_get_class(question));
  q->has_question = true;
  if (ldns_pkt_edns(pkt.get())) {
    q->edns = true;
    q->edns_payload = ldns_pkt_edns_udp_size(pkt.get());
    q->edns_version = ldns_pkt_edns_version(pkt.get());
    q->edns_do = ldns_pkt_edns_do(pkt.get());
  }
  const ldns_rr_list* authority = ldns_pkt_authority(pkt.get());
  for (size_t i = 0; i < ldns_rr_list_rr_count(authority); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(authority, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 3) {
      q->has_client_serial = true;
      q->client_serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
    }
  }
  q->has_tsig = ldns_pkt_tsig(pkt.get()) != nullptr;
  return ParseStatus::kOk;
}

}  // namespace repd::dnsbl
