#include "tests/dnsbl/test_util.h"

namespace repd::dnsbl::testing {

using reputation::IpAddress;
using reputation::Listing;
using reputation::ListingChange;

Listing MakeListing(std::vector<int> categories, const std::string& txt, int score,
                    int allow_trust) {
  Listing l;
  for (int c : categories) l.categories |= 1u << c;
  l.txt = reputation::InternTxt(txt);
  if (score >= 0) {
    l.has_score = true;
    l.score = static_cast<uint8_t>(score);
  }
  l.allow_trust = static_cast<int8_t>(allow_trust);
  return l;
}

ListingChange IpChange(const std::string& ip, std::optional<Listing> l) {
  ListingChange c;
  c.ip = *IpAddress::Parse(ip);
  c.after = l;
  return c;
}

ListingChange NetworkChange(const std::string& cidr, std::optional<Listing> l) {
  const size_t slash = cidr.find('/');
  ListingChange c = IpChange(cidr.substr(0, slash), std::move(l));
  c.prefix_length = static_cast<uint8_t>(std::stoi(cidr.substr(slash + 1)));
  return c;
}

ListingChange DomainChange(const std::string& d, std::optional<Listing> l) {
  ListingChange c;
  c.is_domain = true;
  c.domain = d;
  c.after = l;
  return c;
}

void FillIndex(reputation::ListingIndex& index) {
  std::vector<ListingChange> all;
  all.push_back(IpChange("1.2.3.4", MakeListing({2, 4}, "Listed: $ sent spam", 3)));
  all.push_back(IpChange("2001:db8::1", MakeListing({3}, "Trap hits from $")));
  all.push_back(DomainChange("example.com", MakeListing({2}, "Domain $ spams")));
  all.push_back(DomainChange("good.example", MakeListing({}, "", 90, 2)));
  Listing shared = MakeListing({}, "", 75, 1);
  shared.shared = true;
  all.push_back(IpChange("5.6.7.8", shared));
  index.Reset(std::move(all), 0);
}

std::vector<uint8_t> MakeQuery(const std::string& name, ldns_rr_type type, bool edns,
                               uint16_t payload, uint16_t id) {
  ldns_pkt* raw = nullptr;
  EXPECT_EQ(ldns_pkt_query_new_frm_str(&raw, name.c_str(), type, LDNS_RR_CLASS_IN, LDNS_RD),
            LDNS_STATUS_OK);
  LdnsPkt pkt(raw);
  ldns_pkt_set_id(pkt.get(), id);
  if (edns) {
    ldns_pkt_set_edns_udp_size(pkt.get(), payload);
  }
  uint8_t* wire = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, pkt.get(), &size), LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + size);
  free(wire);
  return out;
}

std::vector<uint8_t> Answer(const ZoneSet& zones, const reputation::ListingIndex& index,
                            const std::vector<uint8_t>& query, Transport transport) {
  Query q;
  ParseStatus status = ParseQuery(query.data(), query.size(), &q);
  std::vector<uint8_t> out(65535);
  AnswerInfo info;
  size_t limit = transport == Transport::kUdp ? UdpLimit(q, zones.options()) : 65535;
  size_t n = BuildAnswer(q, status, zones, *index.Current(), transport, limit, out.data(),
                         out.size(), &info);
  out.resize(n);
  return out;
}

LdnsPkt Parse(const std::vector<uint8_t>& wire) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
  return LdnsPkt(raw);
}

std::vector<std::string> Records(const ldns_rr_list* list) {
  std::vector<std::string> out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    char* s = ldns_rr2str(ldns_rr_list_rr(list, i));
    std::string line(s);
    free(s);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    for (char& c : line) {
      if (c == '\t') c = ' ';
    }
    out.push_back(line);
  }
  return out;
}

}  // namespace repd::dnsbl::testing
