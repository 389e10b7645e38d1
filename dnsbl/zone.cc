#include "dnsbl/zone.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "reputation/range_table.h"

namespace repd::dnsbl {

namespace {

using reputation::Listing;

absl::StatusOr<std::string> WireOf(std::string_view key, std::string_view name) {
  auto wire = NameToWire(name);
  if (!wire || name.empty() || name == ".") {
    return absl::InvalidArgumentError(absl::StrCat("config key '", std::string(key), "': '",
                                                   std::string(name),
                                                   "' is not a valid zone or host name"));
  }
  return *wire;
}

// The RFC 5782 "listed" test point: one category, a score and an allow entry, so that it
// answers in every zone.
const Listing& TestPointListing() {
  static const Listing listing = [] {
    Listing l;
    l.categories = 1u << reputation::kCategorySpam;
    l.has_score = true;
    l.score = 0;
    l.allow_trust = 0;
    l.txt = reputation::InternTxt("RFC 5782 test point: $ is always listed");
    return l;
  }();
  return listing;
}

int HexNibble(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decimal 0..255 without leading zeros: "01.2.3.4" is not an address (inet_pton agrees).
int Octet(const uint8_t* label) {
  const uint8_t n = label[0];
  if (n == 0 || n > 3 || (n > 1 && label[1] == '0')) return -1;
  int v = 0;
  for (int i = 1; i <= n; ++i) {
    if (label[i] < '0' || label[i] > '9') return -1;
    v = v * 10 + (label[i] - '0');
  }
  return v > 255 ? -1 : v;
}

}  // namespace

absl::StatusOr<ZoneSet> ZoneSet::Create(const DnsOptions& options) {
  ZoneSet set;
  set.options_ = options;
  if (options.ns.empty()) return absl::InvalidArgumentError("config key 'dns.ns': needs a name");
  const std::pair<ZoneKind, std::pair<const char*, const std::string*>> kinds[] = {
      {ZoneKind::kIpBlock, {"zones.ip_block", &options.zones.ip_block}},
      {ZoneKind::kDomainBlock, {"zones.domain_block", &options.zones.domain_block}},
      {ZoneKind::kAllow, {"zones.allow", &options.zones.allow}},
      {ZoneKind::kScore, {"zones.score", &options.zones.score}},
  };
  for (const auto& [kind, key_name] : kinds) {
    Zone zone;
    zone.kind = kind;
    auto wire = WireOf(key_name.first, *key_name.second);
    if (!wire.ok()) return wire.status();
    zone.wire = *wire;
    zone.name = WireToName(reinterpret_cast<const uint8_t*>(zone.wire.data()));
    for (const Zone& other : set.zones_) {
      if (other.wire == zone.wire) {
        return absl::InvalidArgumentError(absl::StrCat("config key '", key_name.first, "': zone '",
                                                       zone.name, "' is configured twice"));
      }
    }
    for (const std::string& ns : options.ns) {
      auto ns_wire = WireOf("dns.ns", ns);
      if (!ns_wire.ok()) return ns_wire.status();
      zone.ns.push_back(CompressAgainst(*ns_wire, zone.wire));
    }
    zone.mname = zone.ns.front();
    std::string rname = options.hostmaster.empty() ? "hostmaster." + zone.name : options.hostmaster;
    auto rname_wire = WireOf("dns.hostmaster", rname);
    if (!rname_wire.ok()) return rname_wire.status();
    zone.rname = CompressAgainst(*rname_wire, zone.wire);
    set.zones_.push_back(std::move(zone));
  }
  return set;
}

const Zone* ZoneSet::Find(const uint8_t* lower_wire, size_t wire_len, const uint8_t* label_offsets,
                          size_t label_count, size_t* relative) const {
  const Zone* best = nullptr;
  for (const Zone& zone : zones_) {
    if (zone.wire.size() > wire_len) continue;
    if (best != nullptr && zone.wire.size() <= best->wire.size()) continue;
    const size_t start = wire_len - zone.wire.size();
    if (std::memcmp(lower_wire + start, zone.wire.data(), zone.wire.size()) != 0) continue;
    // The match must start on a label boundary ("xbl.repd.test" is not in "bl.repd.test").
    size_t labels_before = 0;
    while (labels_before < label_count && label_offsets[labels_before] < start) ++labels_before;
    if (start != wire_len - 1 &&
        (labels_before == label_count || label_offsets[labels_before] != start)) {
      continue;
    }
    best = &zone;
    *relative = labels_before;
  }
  return best;
}

bool ZoneSet::DecodeSubject(const Zone& zone, const uint8_t* w, size_t relative, Subject* out) {
  out->is_domain = false;
  if (zone.serves_ips() && relative == 4) {
    uint32_t v4 = 0;
    bool ok = true;
    const uint8_t* p = w;
    for (int i = 0; i < 4 && ok; ++i) {
      int o = Octet(p);
      ok = o >= 0;
      v4 |= static_cast<uint32_t>(o) << (8 * i);  // reversed: the first label is the last octet
      p += p[0] + 1;
    }
    if (ok) {
      out->ip = reputation::IpAddress::FromV4(v4);
      return true;
    }
  }
  if (zone.serves_ips() && relative == 32) {
    std::array<uint8_t, 16> bytes{};
    bool ok = true;
    for (int i = 0; i < 32 && ok; ++i) {
      const uint8_t* label = w + 2 * i;
      int v = label[0] == 1 ? HexNibble(label[1]) : -1;
      ok = v >= 0;
      // Nibble i (from the start of the name) is nibble 31 - i of the address.
      const int nibble = 31 - i;
      bytes[nibble / 2] |= static_cast<uint8_t>(nibble % 2 == 0 ? v << 4 : v);
    }
    if (ok) {
      out->ip = reputation::IpAddress::FromV6(bytes);
      return true;
    }
  }
  if (!zone.serves_domains() || relative == 0) return false;
  // Labels joined with dots; a label holding a dot could forge another name, so it is no
  // subject at all.
  size_t len = 0;
  const uint8_t* p = w;
  for (size_t i = 0; i < relative; ++i) {
    if (i > 0) out->domain[len++] = '.';
    if (std::memchr(p + 1, '.', p[0]) != nullptr) return false;
    std::memcpy(out->domain + len, p + 1, p[0]);
    len += p[0];
    p += p[0] + 1;
  }
  out->domain_len = len;
  out->is_domain = true;
  return true;
}

bool ZoneSet::IsEmptyNonTerminal(const Zone& zone, const uint8_t* w, size_t relative,
                                 const Subject& subject,
                                 const reputation::ListingIndex::Snapshot& snapshot) {
  if (zone.serves_ips() && relative > 0 && relative < 32) {
    bool octets = relative < 4, nibbles = true;
    uint32_t value = 0;  // the first four nibbles read, last label first
    const uint8_t* p = w;
    for (size_t i = 0; i < relative && (octets || nibbles); ++i) {
      octets = octets && Octet(p) >= 0;
      const int nibble = p[0] == 1 ? HexNibble(p[1]) : -1;
      nibbles = nibbles && nibble >= 0;
      if (i < 4) value |= static_cast<uint32_t>(std::max(nibble, 0)) << (4 * i);
      p += p[0] + 1;
    }
    // Four decimal nibbles are an IPv4 address (not listed here) as well as the first 16
    // bits of IPv6 addresses: an empty non-terminal only when some of those are listed.
    if (relative == 4 && nibbles && subject.ip.v4 && !subject.is_domain) {
      return snapshot.HasV6Under(static_cast<uint16_t>(value));
    }
    if (octets || nibbles) return true;
  }
  return subject.is_domain && snapshot.HasNamesBelow(subject.domain_view());
}

TestPoint ClassifyTestPoint(const Subject& s) {
  if (s.is_domain) {
    if (s.domain_view() == "test") return TestPoint::kListed;
    if (s.domain_view() == "invalid") return TestPoint::kNotListed;
    return TestPoint::kNone;
  }
  if (!s.ip.v4) return TestPoint::kNone;
  const uint32_t v4 = s.ip.V4HostOrder();
  if (v4 == 0x7f000002) return TestPoint::kListed;
  if (v4 == 0x7f000001) return TestPoint::kNotListed;
  return TestPoint::kNone;
}

ZoneRecords ZoneSet::RecordsOf(const Zone& zone, const Listing& l) const {
  ZoneRecords r;
  switch (zone.kind) {
    case ZoneKind::kIpBlock:
    case ZoneKind::kDomainBlock:
      r.third = zone.kind == ZoneKind::kIpBlock ? 0 : 1;
      r.lasts = l.categories & ~1u;  // code 0 is no category
      if (r.lasts != 0) r.txt = l.txt;
      break;
    case ZoneKind::kAllow:
      if (l.allow_trust >= 0) {
        r.third = static_cast<uint8_t>(l.shared ? options_.shared_allow_category
                                                : options_.allow_category);
        r.single = std::min<int16_t>(l.allow_trust, 3);
      }
      break;
    case ZoneKind::kScore:
      if (l.has_score) {
        r.third = 4;
        r.single = std::min<int16_t>(l.score, 100);
      }
      break;
  }
  return r;
}

ZoneRecords ZoneSet::TestPointRecords(const Zone& zone) const {
  return RecordsOf(zone, TestPointListing());
}

ZoneRecords ZoneSet::Lookup(const Zone& zone, const Subject& subject,
                            const reputation::ListingIndex::Snapshot& snapshot) const {
  switch (ClassifyTestPoint(subject)) {
    case TestPoint::kListed:
      return TestPointRecords(zone);
    case TestPoint::kNotListed:
      return {};
    case TestPoint::kNone:
      break;
  }
  std::optional<Listing> l =
      subject.is_domain ? snapshot.FindDomain(subject.domain_view()) : snapshot.FindIp(subject.ip);
  return l ? RecordsOf(zone, *l) : ZoneRecords{};
}

size_t SubjectText(const Subject& s, char* buf) {
  if (s.is_domain) {
    const size_t star = s.wildcard ? 2 : 0;  // a wildcard's text is its owner, "*.domain"
    if (star) std::memcpy(buf, "*.", 2);
    const size_t len = std::min(s.domain_len, kMaxName - star);
    std::memcpy(buf + star, s.domain, len);
    return star + len;
  }
  if (inet_ntop(s.ip.v4 ? AF_INET : AF_INET6, s.ip.bytes.data(), buf, kMaxName) == nullptr) {
    return 0;
  }
  size_t len = std::strlen(buf);
  if (s.wildcard) {
    // A wildcard stands for many addresses: its text names the network listed.
    const reputation::IpAddress network = s.ip.Masked(s.network_bits);
    inet_ntop(network.v4 ? AF_INET : AF_INET6, network.bytes.data(), buf, kMaxName);
    len = std::strlen(buf);
    len += static_cast<size_t>(std::snprintf(buf + len, kMaxName - len, "/%d", s.network_bits));
  }
  return len;
}

Subject ZoneEntry::ToSubject() const {
  Subject s;
  s.is_domain = is_domain;
  s.ip = ip;
  s.wildcard = wildcard;
  s.wildcard_bits = wildcard_bits;
  s.network_bits = network_bits;
  s.domain_len = std::min(domain.size(), kMaxName - 1);
  std::memcpy(s.domain, domain.data(), s.domain_len);
  return s;
}

ZoneEntry ZoneEntry::Of(const Subject& subject, const ZoneRecords& records) {
  ZoneEntry e;
  e.is_domain = subject.is_domain;
  e.ip = subject.ip;
  if (subject.is_domain) e.domain = std::string(subject.domain_view());
  e.records = records;
  return e;
}

namespace {

// The network listings of one zone as wildcards. A wildcard cannot leave a name out, so
// around each hole in a network (an exclusion, an allow-listing, an address whose own
// listing has no record in this zone) the zone is spelled out one label deeper: the hole's
// parent gets no wildcard, and each of its other children a wildcard of its own or, at the
// last label, its records. A secondary then answers NXDOMAIN for the hole as repd does.
class NetworkWildcards {
 public:
  using IpAddress = reputation::IpAddress;
  using Node = std::pair<IpAddress, int>;  // the names under the first `bits` of the address

  NetworkWildcards(const ZoneSet& zones, const Zone& zone,
                   const reputation::ListingIndex::Snapshot& snapshot)
      : zones_(zones), zone_(zone), snapshot_(snapshot) {
    snapshot.ForEachRange([&](const IpAddress& ip, int bits, const Listing& l) {
      networks_.Set(reputation::RangeKey::Of(ip, bits), zones.RecordsOf(zone, l));
    });
  }

  // An address whose own listing has no records in the zone.
  void NoteUnlisted(const IpAddress& ip) {
    if (networks_.empty()) return;
    const ZoneRecords* around = networks_.Match(ip);
    if (around != nullptr && !around->empty()) holes_.emplace(ip, ip.Bits());
  }

  // Appends the records of the last-label names around holes (possibly again: the caller
  // drops duplicate addresses). Call after every NoteUnlisted.
  void Carve(std::vector<ZoneEntry>* out) {
    networks_.ForEach([&](const IpAddress& ip, int bits, const ZoneRecords& records) {
      if (!records.empty()) return;
      const ZoneRecords* around = networks_.Match(
          ip,
          [&](const reputation::RangeKey& key, const ZoneRecords&) { return key.length < bits; });
      if (around != nullptr && !around->empty()) {
        ForEachLabelNode(ip, bits, [&](const Node& node) { holes_.insert(node); });
      }
    });
    std::vector<Node> work(holes_.begin(), holes_.end());
    while (!work.empty()) {
      const Node hole = work.back();
      work.pop_back();
      const int label = hole.first.v4 ? 8 : 4;
      const Node parent{hole.first.Masked(hole.second - label), hole.second - label};
      if (parent.second <= 0 || !carved_.insert(parent).second) continue;
      bool any = false;
      for (uint32_t v = 0; v < (uint32_t{1} << label); ++v) {
        const Node child{WithLabel(parent.first, hole.second, v), hole.second};
        if (holes_.contains(child)) continue;
        if (child.second == child.first.Bits()) {
          auto listing = snapshot_.FindIp(child.first);
          ZoneRecords r = listing ? zones_.RecordsOf(zone_, *listing) : ZoneRecords{};
          if (r.empty()) continue;
          out->push_back(ZoneEntry{false, child.first, {}, r});
        } else {
          const ZoneRecords* r = RecordsAt(child.first, child.second);
          if (r == nullptr || r->empty()) continue;
          siblings_.push_back(child);
        }
        any = true;
      }
      // A parent left with no names under it does not exist: it is a hole one label up.
      if (!any && holes_.insert(parent).second) work.push_back(parent);
    }
  }

  // Appends the wildcards; `out` from `first_ip` holds the addresses listed in the zone.
  void AddWildcards(size_t first_ip, std::vector<ZoneEntry>* out) {
    if (networks_.empty()) return;
    out_ = out;
    const size_t first_wildcard = out->size();
    networks_.ForEach([&](const IpAddress& ip, int bits, const ZoneRecords&) {
      ForEachLabelNode(ip, bits, [&](const Node& node) { Add(node.first, node.second); });
    });
    for (const Node& node : siblings_) Add(node.first, node.second);
    for (size_t i = first_wildcard, end = out->size(); i < end; ++i) {
      AddParents((*out)[i].ip, (*out)[i].wildcard_bits);
    }
    for (size_t i = first_ip; i < first_wildcard; ++i) {
      const IpAddress ip = (*out)[i].ip;
      if (networks_.Match(ip) != nullptr) AddParents(ip, ip.Bits());
    }
  }

 private:
  // The 2^(boundary - bits) names at the label boundary that make up a network.
  template <typename Fn>
  static void ForEachLabelNode(const IpAddress& ip, int bits, Fn&& fn) {
    const int label = ip.v4 ? 8 : 4;
    const int boundary = (bits + label - 1) / label * label;
    for (uint32_t i = 0; i < (uint32_t{1} << (boundary - bits)); ++i) {
      fn(Node{WithLabel(ip, boundary, i), boundary});
    }
  }
  // `ip` with `value` or'ed into the bits that end at `bits`.
  static IpAddress WithLabel(IpAddress ip, int bits, uint32_t value) {
    ip.bytes[static_cast<size_t>((bits - 1) / 8)] |=
        static_cast<uint8_t>(value << (7 - (bits - 1) % 8));
    return ip;
  }
  // The records of the longest network holding every name under the node.
  const ZoneRecords* RecordsAt(const IpAddress& ip, int bits, int* network_bits = nullptr) const {
    return networks_.Match(ip.Masked(bits),
                           [&](const reputation::RangeKey& key, const ZoneRecords&) {
                             if (network_bits != nullptr) *network_bits = key.length;
                             return key.length <= bits;
                           });
  }
  void Add(const IpAddress& ip, int bits) {
    const Node node{ip.Masked(bits), bits};
    if (carved_.contains(node) || !done_.insert(node).second) return;
    int network_bits = 0;
    const ZoneRecords* records = RecordsAt(ip, bits, &network_bits);
    if (records == nullptr || records->empty()) return;
    ZoneEntry e;
    e.ip = node.first;
    e.records = *records;
    e.wildcard = true;
    e.wildcard_bits = static_cast<uint8_t>(bits);
    e.network_bits = static_cast<uint8_t>(network_bits);
    out_->push_back(e);
  }
  // The parents of a name at `bits` are empty non-terminals; inside a network each needs a
  // wildcard of its own.
  void AddParents(const IpAddress& ip, int bits) {
    const int label = ip.v4 ? 8 : 4;
    for (int b = bits - label; b >= label; b -= label) Add(ip, b);
  }

  const ZoneSet& zones_;
  const Zone& zone_;
  const reputation::ListingIndex::Snapshot& snapshot_;
  reputation::RangeTable<ZoneRecords> networks_;
  std::set<Node> holes_, carved_, done_;
  std::vector<Node> siblings_;  // children of carved parents that take a wildcard
  std::vector<ZoneEntry>* out_ = nullptr;
};

// The listings of every name under a domain as wildcards, plus a wildcard at each empty
// non-terminal below them and a CNAME to "invalid" for each name left out of them.
class SubdomainWildcards {
 public:
  SubdomainWildcards(const ZoneSet& zones, const Zone& zone,
                     const reputation::ListingIndex::Snapshot& snapshot) {
    snapshot.ForEachSubdomainListing([&](std::string_view domain, const Listing& l) {
      if (domain.size() + 2 < kMaxName) parents_[std::string(domain)] = zones.RecordsOf(zone, l);
    });
  }

  // A name whose own listing has no records in the zone.
  void NoteUnlisted(std::string_view name, std::vector<ZoneEntry>* out) {
    if (parents_.empty() || !Covered(name)) return;
    ZoneEntry e;
    e.is_domain = true;
    e.domain = std::string(name);
    e.excluded = true;
    out->push_back(std::move(e));
  }

  // Appends the wildcards; `out` from `first_domain` holds the domains in the zone.
  void AddWildcards(size_t first_domain, std::vector<ZoneEntry>* out) {
    if (parents_.empty()) return;
    out_ = out;
    const size_t first_wildcard = out->size();
    for (const auto& [parent, records] : parents_) {
      if (!records.empty()) {
        Add(parent, &records);
      } else if (Covered(parent)) {
        Add(parent, nullptr);  // the names under it are left out of a wider wildcard
      }
    }
    for (const auto& [parent, records] : parents_) AddParents(parent);
    for (size_t i = first_domain; i < first_wildcard; ++i) {
      const std::string name = (*out)[i].domain;
      if (Holder(name) != nullptr) AddParents(name);
    }
  }

 private:
  // The records of the nearest listed parent strictly above `name`, if any.
  const ZoneRecords* Holder(std::string_view name) const {
    auto parent = reputation::FindParentDomain(
        name, [&](std::string_view p) { return parents_.find(p) != parents_.end(); });
    return parent ? &parents_.find(*parent)->second : nullptr;
  }
  bool Covered(std::string_view name) const {
    const ZoneRecords* r = Holder(name);
    return r != nullptr && !r->empty();
  }
  // The wildcard at `parent`: `records`, or a CNAME to "invalid" when null.
  void Add(std::string_view parent, const ZoneRecords* records) {
    if ((records != nullptr && records->empty()) || !done_.emplace(parent).second) return;
    ZoneEntry e;
    e.is_domain = true;
    e.domain = std::string(parent);
    if (records != nullptr) e.records = *records;
    e.excluded = records == nullptr;
    e.wildcard = true;
    out_->push_back(e);
  }
  // A name under a listed parent makes its own parents empty non-terminals, each needing the
  // wildcard of the nearest listed parent above it; a listed parent has its own, and the
  // names above it are handled from there.
  void AddParents(std::string_view name) {
    reputation::FindParentDomain(name, [&](std::string_view parent) {
      if (parents_.contains(parent)) return true;
      const ZoneRecords* records = Holder(parent);
      if (records == nullptr) return true;
      Add(parent, records);
      return false;
    });
  }

  std::map<std::string, ZoneRecords, std::less<>> parents_;
  std::set<std::string, std::less<>> done_;
  std::vector<ZoneEntry>* out_ = nullptr;
};

}  // namespace

std::vector<ZoneEntry> CollectZone(const ZoneSet& zones, const Zone& zone,
                                   const reputation::ListingIndex::Snapshot& snapshot) {
  std::vector<ZoneEntry> out;
  const ZoneRecords test_point = zones.TestPointRecords(zone);
  if (zone.serves_ips()) {
    ZoneEntry e;
    e.ip = reputation::IpAddress::FromV4(0x7f000002);
    e.records = test_point;
    out.push_back(e);
    e.ip.v4 = false;
    e.ip.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x7f, 0, 0, 2};
    out.push_back(e);
  }
  if (zone.serves_domains()) {
    ZoneEntry e;
    e.is_domain = true;
    e.domain = "test";
    e.records = test_point;
    out.push_back(e);
  }
  const size_t fixed = out.size();
  size_t ips_end = fixed;
  if (zone.serves_ips()) {
    NetworkWildcards networks(zones, zone, snapshot);
    Subject s;
    snapshot.ForEachIp([&](const reputation::IpAddress& ip, const Listing& l) {
      s.ip = ip;
      if (ClassifyTestPoint(s) != TestPoint::kNone) return;
      ZoneRecords r = zones.RecordsOf(zone, l);
      if (r.empty()) {
        networks.NoteUnlisted(ip);
      } else {
        out.push_back(ZoneEntry{false, ip, {}, r});
      }
    });
    networks.Carve(&out);
    std::sort(out.begin() + fixed, out.end(),
              [](const ZoneEntry& a, const ZoneEntry& b) { return a.ip < b.ip; });
    out.erase(std::unique(out.begin() + fixed, out.end(),
                          [](const ZoneEntry& a, const ZoneEntry& b) { return a.ip == b.ip; }),
              out.end());
    ips_end = out.size();
    networks.AddWildcards(fixed, &out);
  }
  const size_t wildcards_end = out.size();
  std::optional<SubdomainWildcards> subdomains;
  if (zone.serves_domains()) {
    subdomains.emplace(zones, zone, snapshot);
    snapshot.ForEachDomain([&](std::string_view domain, const Listing& l) {
      if (domain.empty() || domain.size() >= kMaxName || domain == "test" || domain == "invalid") {
        return;
      }
      ZoneRecords r = zones.RecordsOf(zone, l);
      if (r.empty()) {
        subdomains->NoteUnlisted(domain, &out);
      } else {
        out.push_back(ZoneEntry{true, {}, std::string(domain), r});
      }
    });
  }
  std::sort(out.begin() + ips_end, out.begin() + wildcards_end,
            [](const ZoneEntry& a, const ZoneEntry& b) {
              return std::tie(a.ip, a.wildcard_bits) < std::tie(b.ip, b.wildcard_bits);
            });
  const size_t domains_end = out.size();
  if (subdomains) subdomains->AddWildcards(wildcards_end, &out);
  std::sort(out.begin() + wildcards_end, out.begin() + domains_end,
            [](const ZoneEntry& a, const ZoneEntry& b) { return a.domain < b.domain; });
  std::sort(out.begin() + domains_end, out.end(),
            [](const ZoneEntry& a, const ZoneEntry& b) { return a.domain < b.domain; });
  return out;
}

std::string OwnerLabels(const Subject& s) {
  std::string out;
  if (s.wildcard) out += {1, '*'};
  if (s.is_domain) {
    std::string_view d = s.domain_view();
    size_t start = 0;
    while (start <= d.size()) {
      size_t dot = d.find('.', start);
      if (dot == std::string_view::npos) dot = d.size();
      out.push_back(static_cast<char>(dot - start));
      out.append(d.substr(start, dot - start));
      start = dot + 1;
    }
  } else if (s.ip.v4) {
    for (int i = (s.wildcard ? s.wildcard_bits : 32) / 8 - 1; i >= 0; --i) {
      std::string octet = std::to_string(s.ip.bytes[i]);
      out.push_back(static_cast<char>(octet.size()));
      out += octet;
    }
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int nibble = (s.wildcard ? s.wildcard_bits : 128) / 4 - 1; nibble >= 0; --nibble) {
      const uint8_t byte = s.ip.bytes[static_cast<size_t>(nibble / 2)];
      out += {1, kHex[nibble % 2 == 0 ? byte >> 4 : byte & 0xf]};
    }
  }
  return out;
}

}  // namespace repd::dnsbl
