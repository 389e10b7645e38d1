// zone.h -- the four served zones: their names, SOA and NS, how a query name maps to a
// subject, and which records a subject's Listing gives in each zone (shared by answers,
// transfers and exports so that they can never disagree).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dnsbl/dns_server.h"
#include "dnsbl/wire.h"
#include "reputation/listing_index.h"

namespace repd::dnsbl {

enum class ZoneKind : uint8_t { kIpBlock, kDomainBlock, kAllow, kScore };

struct Zone {
  ZoneKind kind;
  std::string name;  // "bl.repd.test"
  std::string wire;  // lower-case wire form
  std::vector<CompressedName> ns;
  CompressedName mname, rname;

  bool serves_ips() const { return kind != ZoneKind::kDomainBlock; }
  bool serves_domains() const { return kind != ZoneKind::kIpBlock; }
  bool has_txt() const { return kind == ZoneKind::kIpBlock || kind == ZoneKind::kDomainBlock; }
};

// The subject a query name stands for, decoded without allocation.
struct Subject {
  bool is_domain = false;
  reputation::IpAddress ip;
  char domain[kMaxName] = {};  // lower-case text, no trailing dot
  size_t domain_len = 0;
  // Transfers and zone files only: the wildcard "*." for every name under `domain`, or under
  // the first `wildcard_bits` of `ip` (a label boundary) carrying the listing of the network
  // `ip`/`network_bits`.
  bool wildcard = false;
  uint8_t wildcard_bits = 0;
  uint8_t network_bits = 0;
  std::string_view domain_view() const { return {domain, domain_len}; }
};

// The records one subject has in one zone: A records 127.0.<third>.<c> for every bit c of
// `lasts` (block zones: one per category) or one 127.0.<third>.<single> (allow and score
// zones), and an optional TXT. Small, because transfers keep one per subject.
struct ZoneRecords {
  uint8_t third = 0;
  uint32_t lasts = 0;
  int16_t single = -1;
  const std::string* txt = nullptr;  // null: no TXT

  bool empty() const { return lasts == 0 && single < 0 && txt == nullptr; }
  bool has_a() const { return lasts != 0 || single >= 0; }
  template <typename Fn>
  void ForEachA(Fn&& fn) const {  // fn(third, last)
    for (int c = 1; c < 32; ++c) {
      if (lasts & (1u << c)) fn(third, static_cast<uint8_t>(c));
    }
    if (single >= 0) fn(third, static_cast<uint8_t>(single));
  }
};

class ZoneSet {
 public:
  static absl::StatusOr<ZoneSet> Create(const DnsOptions& options);

  const std::vector<Zone>& zones() const { return zones_; }
  const DnsOptions& options() const { return options_; }

  // The zone holding the lower-case wire name (the longest match), or null; *relative gets
  // the number of labels below the apex.
  const Zone* Find(const uint8_t* lower_wire, size_t wire_len, const uint8_t* label_offsets,
                   size_t label_count, size_t* relative) const;

  // Reads `relative` labels of a lower-case wire name as a subject of `zone`'s kind: four
  // decimal labels (IPv4), 32 hex nibbles (IPv6), else a domain in zones that serve them.
  static bool DecodeSubject(const Zone& zone, const uint8_t* lower_wire, size_t relative,
                            Subject* out);
  // Whether the unlisted name of `relative` labels (decoded as `subject` when that
  // succeeded) has names below it: any partial address in a zone of IPs (1-3 octets, 1-31
  // nibbles; claimed without looking, which is harmless), or a domain with subjects below.
  static bool IsEmptyNonTerminal(const Zone& zone, const uint8_t* lower_wire, size_t relative,
                                 const Subject& subject,
                                 const reputation::ListingIndex::Snapshot& snapshot);

  // The records of `subject` in `zone` now; RFC 5782 test points included.
  ZoneRecords Lookup(const Zone& zone, const Subject& subject,
                     const reputation::ListingIndex::Snapshot& snapshot) const;
  // The records a listing gives in a zone (transfers and exports walk the index with this).
  ZoneRecords RecordsOf(const Zone& zone, const reputation::Listing& listing) const;
  // The records of the RFC 5782 "listed" test point.
  ZoneRecords TestPointRecords(const Zone& zone) const;

 private:
  DnsOptions options_;
  std::vector<Zone> zones_;
};

// One subject of a zone as transfers and exports list it (compact: a zone may hold millions).
struct ZoneEntry {
  bool is_domain = false;
  reputation::IpAddress ip;  // an IPv6 twin of a test point keeps v4 = false
  std::string domain;
  ZoneRecords records;
  bool wildcard = false;  // as in Subject
  uint8_t wildcard_bits = 0, network_bits = 0;
  // A name (or, wildcard, the names under it) left out of a listed domain wildcard. Names
  // under a domain cannot be listed one by one to carve around it, so a transfer gives it a
  // CNAME to the "invalid" test point, which is never listed: NXDOMAIN, as repd answers.
  bool excluded = false;

  Subject ToSubject() const;
  static ZoneEntry Of(const Subject& subject, const ZoneRecords& records);
};
// Every subject with records in `zone`: the test points first, then the index sorted (IPs
// by address, then domains by name). A network listing becomes wildcards at the label
// boundary below it, plus a wildcard at each empty non-terminal inside it (the parents of
// names under it), without which a resolver would find no wildcard there (RFC 4592); around
// a name inside it that is not listed, the names beside it are spelled out instead.
std::vector<ZoneEntry> CollectZone(const ZoneSet& zones, const Zone& zone,
                                   const reputation::ListingIndex::Snapshot& snapshot);
// The owner name of a subject relative to the apex, as wire labels without the root byte:
// reversed octets, reversed nibbles or the domain's labels.
std::string OwnerLabels(const Subject& subject);

// RFC 5782 test points, for every zone. Their IPv6 twins (::FFFF:7F00:2 and ::FFFF:7F00:1)
// decode to the same IPv4 subjects, as every IPv4-mapped address does.
enum class TestPoint { kNone, kListed, kNotListed };
TestPoint ClassifyTestPoint(const Subject& subject);

// Writes the subject as text ("1.2.3.4", "2001:db8::1", "example.com") into `buf` (at least
// kMaxName bytes), for '$' in TXT; returns its length.
size_t SubjectText(const Subject& subject, char* buf);

}  // namespace repd::dnsbl
