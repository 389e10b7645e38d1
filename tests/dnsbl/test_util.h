// test_util.h -- shared helpers of the dnsbl tests: an index with known listings, queries
// built with ldns, answers parsed back with ldns.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dnsbl/answer.h"
#include "dnsbl/ldns.h"
#include "dnsbl/query.h"
#include "dnsbl/zone.h"
#include "reputation/listing_index.h"

namespace repd::dnsbl::testing {

reputation::Listing MakeListing(std::vector<int> categories, const std::string& txt, int score = -1,
                                int allow_trust = -1);
reputation::ListingChange IpChange(const std::string& ip, std::optional<reputation::Listing> l);
// A network listing: "10.0.0.0/8", "2001:db8::/32".
reputation::ListingChange NetworkChange(const std::string& cidr,
                                        std::optional<reputation::Listing> l);
reputation::ListingChange DomainChange(const std::string& d, std::optional<reputation::Listing> l);

// 1.2.3.4: spam+bot; 2001:db8::1: trap; example.com: spam (domain); good.example: allow
// trust 2, score 90; 5.6.7.8: score 75, allow trust 1 (shared).
void FillIndex(reputation::ListingIndex& index);

// The wire form of a query built by ldns.
std::vector<uint8_t> MakeQuery(const std::string& name, ldns_rr_type type, bool edns = false,
                               uint16_t payload = 4096, uint16_t id = 4242);

// Parses with ParseQuery and answers with BuildAnswer; empty when there is no answer.
std::vector<uint8_t> Answer(const ZoneSet& zones, const reputation::ListingIndex& index,
                            const std::vector<uint8_t>& query,
                            Transport transport = Transport::kUdp);

LdnsPkt Parse(const std::vector<uint8_t>& wire);
// Records of a section as "name TTL CLASS TYPE RDATA" lines (ldns presentation format).
std::vector<std::string> Records(const ldns_rr_list* list);

}  // namespace repd::dnsbl::testing
