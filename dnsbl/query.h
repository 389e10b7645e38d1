// query.h -- one incoming DNS message, parsed into the few fields an authoritative answer
// needs. A hand-written fast path reads the common shape (one question, at most an OPT
// record); everything else goes through ldns. Tests and the fuzzer check that both agree.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dnsbl/wire.h"

namespace repd::dnsbl {

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // the request's second header word (opcode, RD, CD, ...)
  uint8_t opcode = 0;
  bool has_question = false;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  // The question name as asked (case preserved, echoed in the answer) and lower-cased (for
  // matching), both in uncompressed wire form.
  uint8_t qname[kMaxName] = {};
  uint8_t qname_lower[kMaxName] = {};
  uint16_t qname_len = 0;
  uint8_t label_count = 0;           // labels before the root
  uint8_t label_offset[kMaxLabels];  // offset of each label in qname
  // EDNS0 (RFC 6891).
  bool edns = false;
  uint8_t edns_version = 0;
  uint16_t edns_payload = 0;
  bool edns_do = false;
  // IXFR (RFC 1995): the client's serial, from the SOA in the authority section.
  bool has_client_serial = false;
  uint32_t client_serial = 0;
  // A TSIG record is present (the last additional record); its checking needs ldns.
  bool has_tsig = false;
  size_t size = 0;  // bytes of the message
};

enum class ParseStatus {
  kOk,
  kDrop,     // not answered at all: a response (QR=1) or too short for a header
  kFormErr,  // answered with FORMERR (header fields of `query` are valid)
  kNotImp,   // an opcode we do not implement (header fields valid)
  kSlow,     // not the common shape: hand it to ParseQueryLdns
};

// Fast path: no allocation, no ldns.
ParseStatus ParseQueryFast(const uint8_t* data, size_t len, Query* query);
// Full parser (ldns): every legal message, including compressed names and several
// sections. Never returns kSlow.
ParseStatus ParseQueryLdns(const uint8_t* data, size_t len, Query* query);
// The fast path, falling back to ldns when it must.
inline ParseStatus ParseQuery(const uint8_t* data, size_t len, Query* query) {
  ParseStatus s = ParseQueryFast(data, len, query);
  return s == ParseStatus::kSlow ? ParseQueryLdns(data, len, query) : s;
}

}  // namespace repd::dnsbl
