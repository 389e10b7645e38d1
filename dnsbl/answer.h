// answer.h -- building the response to one parsed query: header flags, the question echoed as
// asked, the records of the subject, SOA/NS at the apex, negative answers with the SOA, EDNS0
// and truncation. Writes into a caller-owned buffer; never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dnsbl/query.h"
#include "dnsbl/zone.h"
#include "reputation/listing_index.h"

namespace repd::dnsbl {

struct AnswerInfo {
  const Zone* zone = nullptr;  // the zone asked about, if any
  uint16_t rcode = 0;
  bool truncated = false;
};

enum class Transport { kUdp, kTcp };

// The largest UDP response allowed for `q`: 512 without EDNS, else the client's payload
// capped by ours, and never more than max_amplification times the query (so that repd
// cannot be used to amplify attacks).
size_t UdpLimit(const Query& q, const DnsOptions& options);

// Builds the response for a query parsed with `status` into `out` and returns its size; 0
// means no response at all. `limit` is the largest response allowed (UdpLimit or 65535);
// a response that does not fit is sent truncated (TC=1) with the question and OPT only.
// AXFR and IXFR over TCP are handled by xfr.h, not here.
size_t BuildAnswer(const Query& q, ParseStatus status, const ZoneSet& zones,
                   const reputation::ListingIndex::Snapshot& snapshot, Transport transport,
                   size_t limit, uint8_t* out, size_t out_capacity, AnswerInfo* info);

// Records shared with transfers (xfr.h): `apex` is the offset of the zone apex name in the
// message being written.
void WriteSoaRecord(Writer& w, const Zone& zone, const DnsOptions& options, size_t apex,
                    uint32_t ttl, uint32_t serial);
void WriteNsRecords(Writer& w, const Zone& zone, const DnsOptions& options, size_t apex);
// The owner name of records being written: a pointer to a name already in the message, or
// (first record of a subject in a transfer) labels written in full followed by a pointer to
// the apex; after that record the owner points at those labels.
struct Owner {
  size_t pointer = kHeaderSize;
  std::string_view labels;
};
// The A records (when `a`) and the TXT record (when `txt` and the zone has one) of a subject.
// Returns the number of records written.
uint16_t WriteSubjectRecords(Writer& w, Owner& owner, const ZoneRecords& records,
                             const Subject& subject, uint32_t ttl, bool a, bool txt);

// The CNAME of an excluded name (ZoneEntry::excluded) to "invalid" under the apex at
// `apex`. Returns the number of records written.
uint16_t WriteExcludedCname(Writer& w, Owner& owner, size_t apex, uint32_t ttl);

// The truncated form of any answer to `q` (RRL "slip": the client retries over TCP).
size_t BuildTruncated(const Query& q, const DnsOptions& options, uint8_t* out, size_t out_capacity);

}  // namespace repd::dnsbl
