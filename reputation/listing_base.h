// listing_base.h -- the immutable bulk of a ListingIndex generation, packed for memory.
//
// A DNSBL holds millions of subjects but only a few thousand distinct listings (category
// set, score, flags, TXT), so each distinct Listing is stored once and subjects point to it
// with a 32-bit id. IPv4 subjects live in an open-addressed table of 8-byte slots (key and
// id), so a lookup, hit or miss, costs one cache line however the addresses cluster (a radix
// directory over sorted keys degraded to a long binary search when a blocklist is dense in
// a few networks); domains are length-prefixed names in one arena behind an open-addressed
// table whose slots carry a hash tag, so a miss (most DNSBL queries) rarely reads the arena.
// About 20 bytes per subject instead of ~100 in node-based maps. Internal to reputation/.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/strings.h"
#include "reputation/listing_index.h"

namespace repd::reputation::internal {

using V6Key = std::array<uint8_t, 16>;

class ListingBase {
 public:
  class Builder;

  const Listing* FindV4(uint32_t key) const;
  const Listing* FindV6(const V6Key& key) const;
  const Listing* FindDomain(std::string_view domain) const;
  // Whether a listed domain lies below `domain` (which is then an empty non-terminal).
  bool HasDomainBelow(std::string_view domain) const {
    return !domain_parents_.empty() && domain_parents_.contains(AsAbsl(domain));
  }
  // Whether an IPv6 address starting with these 16 bits is listed.
  bool HasV6Under(uint16_t first16) const { return v6_first16_.contains(first16); }
  size_t size() const { return v4_count_ + v6_.size() + domain_count_; }

  // In unspecified order.
  template <typename Fn>
  void ForEachV4(Fn&& fn) const {
    for (uint64_t slot : v4_slots_) {
      if (slot != 0) fn(static_cast<uint32_t>(slot >> 32), values_[(slot & 0xffffffffu) - 1]);
    }
  }
  template <typename Fn>
  void ForEachV6(Fn&& fn) const {
    for (const auto& [key, id] : v6_) fn(key, values_[id]);
  }
  template <typename Fn>
  void ForEachDomain(Fn&& fn) const {
    for (uint64_t slot : domain_slots_) {
      if (slot == 0) continue;
      auto [name, id] = RecordAt(slot);
      fn(name, values_[id]);
    }
  }

 private:
  std::pair<std::string_view, uint32_t> RecordAt(uint64_t slot) const;

  std::vector<Listing> values_;  // distinct listings, indexed by id
  // 0 = empty, else the address (host order) in the high 32 bits and id + 1 in the low 32.
  // Linear probing; the start slot is the mixed key scaled to the table size, which need not
  // be a power of two, so the load stays near the target at any size.
  std::vector<uint64_t> v4_slots_;
  size_t v4_count_ = 0;
  absl::flat_hash_map<V6Key, uint32_t> v6_;  // IPv6 listings are few
  // Records: 4-byte listing id, 1-byte length, name. Slots: 0 = empty, else the high 32 bits
  // of the name's hash (tag) and arena offset + 1 in the low 32.
  std::vector<char> domain_arena_;
  std::vector<uint64_t> domain_slots_;
  size_t domain_count_ = 0;
  absl::flat_hash_set<std::string> domain_parents_;  // of every domain: few (mostly TLDs)
  absl::flat_hash_set<uint16_t> v6_first16_;
};

// Collects entries in any order; a later entry for the same subject replaces an earlier one.
class ListingBase::Builder {
 public:
  void AddV4(uint32_t key, const Listing& listing);
  void AddV6(const V6Key& key, const Listing& listing);
  // `domain` is at most 255 octets (a normalised name is at most 253).
  void AddDomain(std::string_view domain, const Listing& listing);
  ListingBase Build() &&;

 private:
  uint32_t Intern(const Listing& listing);

  ListingBase base_;
  struct ListingHash {
    size_t operator()(const Listing& l) const;
  };
  absl::flat_hash_map<Listing, uint32_t, ListingHash> ids_;
  std::vector<std::pair<uint32_t, uint32_t>> v4_;  // key, id; in order of addition
  std::vector<uint32_t> domain_records_;           // arena offsets, in order of addition
};

}  // namespace repd::reputation::internal
