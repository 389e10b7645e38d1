#include "reputation/listing_base.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <tuple>

#include "absl/hash/hash.h"

namespace repd::reputation::internal {

namespace {

uint64_t HashName(std::string_view name) { return std::hash<std::string_view>{}(name); }

uint64_t Tag(uint64_t hash) { return hash & 0xffffffff00000000ull; }

// MurmurHash3's finaliser: neighbouring addresses (the usual blocklist) land far apart.
uint32_t MixV4(uint32_t key) {
  key ^= key >> 16;
  key *= 0x85ebca6bu;
  key ^= key >> 13;
  key *= 0xc2b2ae35u;
  key ^= key >> 16;
  return key;
}

size_t StartSlot(uint32_t key, size_t slots) {
  return static_cast<size_t>((uint64_t{MixV4(key)} * slots) >> 32);
}

}  // namespace

size_t ListingBase::Builder::ListingHash::operator()(const Listing& l) const {
  return absl::Hash<std::tuple<uint32_t, uint8_t, bool, int8_t, bool, bool, const void*>>()(
      std::make_tuple(l.categories, l.score, l.has_score, l.allow_trust, l.shared, l.good_standing,
                      static_cast<const void*>(l.txt)));
}

const Listing* ListingBase::FindV4(uint32_t key) const {
  const size_t slots = v4_slots_.size();
  if (slots == 0) return nullptr;
  for (size_t i = StartSlot(key, slots);;) {
    uint64_t slot = v4_slots_[i];
    if (slot == 0) return nullptr;
    if (static_cast<uint32_t>(slot >> 32) == key) return &values_[(slot & 0xffffffffu) - 1];
    if (++i == slots) i = 0;
  }
}

const Listing* ListingBase::FindV6(const V6Key& key) const {
  auto it = v6_.find(key);
  return it == v6_.end() ? nullptr : &values_[it->second];
}

std::pair<std::string_view, uint32_t> ListingBase::RecordAt(uint64_t slot) const {
  const char* record = domain_arena_.data() + (slot & 0xffffffffu) - 1;
  uint32_t id;
  std::memcpy(&id, record, sizeof id);
  auto length = static_cast<uint8_t>(record[4]);
  return {std::string_view(record + 5, length), id};
}

const Listing* ListingBase::FindDomain(std::string_view domain) const {
  if (domain_slots_.empty()) return nullptr;
  uint64_t hash = HashName(domain);
  size_t mask = domain_slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t slot = domain_slots_[i];
    if (slot == 0) return nullptr;
    if ((slot & 0xffffffff00000000ull) != Tag(hash)) continue;
    auto [name, id] = RecordAt(slot);
    if (name == domain) return &values_[id];
  }
}

uint32_t ListingBase::Builder::Intern(const Listing& listing) {
  auto [it, inserted] = ids_.try_emplace(listing, static_cast<uint32_t>(base_.values_.size()));
  if (inserted) base_.values_.push_back(listing);
  return it->second;
}

void ListingBase::Builder::AddV4(uint32_t key, const Listing& listing) {
  v4_.emplace_back(key, Intern(listing));
}

void ListingBase::Builder::AddV6(const V6Key& key, const Listing& listing) {
  base_.v6_.insert_or_assign(key, Intern(listing));
  base_.v6_first16_.insert(static_cast<uint16_t>(key[0] << 8 | key[1]));
}

void ListingBase::Builder::AddDomain(std::string_view domain, const Listing& listing) {
  if (domain.size() > 255) return;  // not a DNS name: no query can ask for it
  auto& arena = base_.domain_arena_;
  domain_records_.push_back(static_cast<uint32_t>(arena.size()));
  uint32_t id = Intern(listing);
  const char* id_bytes = reinterpret_cast<const char*>(&id);
  arena.insert(arena.end(), id_bytes, id_bytes + sizeof id);
  arena.push_back(static_cast<char>(domain.size()));
  arena.insert(arena.end(), domain.begin(), domain.end());
}

ListingBase ListingBase::Builder::Build() && {
  ListingBase& base = base_;
  // IPv4: at most 5/8 full, so that a miss ends within a cache line or two.
  if (!v4_.empty()) {
    base.v4_slots_.assign(v4_.size() * 8 / 5 + 1, 0);
    const size_t slots = base.v4_slots_.size();
    for (const auto& [key, id] : v4_) {
      const uint64_t slot_value = uint64_t{key} << 32 | (uint64_t{id} + 1);
      for (size_t i = StartSlot(key, slots);;) {
        uint64_t& slot = base.v4_slots_[i];
        if (slot == 0) ++base.v4_count_;
        if (slot == 0 || static_cast<uint32_t>(slot >> 32) == key) {
          slot = slot_value;  // a later addition replaces the earlier one
          break;
        }
        if (++i == slots) i = 0;
      }
    }
    std::vector<std::pair<uint32_t, uint32_t>>().swap(v4_);
  }
  // Domains: at most half full, so that a miss ends after a probe or two.
  if (!domain_records_.empty()) {
    base.domain_slots_.assign(std::bit_ceil(domain_records_.size() * 2), 0);
    size_t mask = base.domain_slots_.size() - 1;
    for (uint32_t offset : domain_records_) {
      uint64_t slot_value = uint64_t{offset} + 1;
      auto [name, id] = base.RecordAt(slot_value);
      uint64_t hash = HashName(name);
      slot_value |= Tag(hash);
      for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint64_t& slot = base.domain_slots_[i];
        if (slot == 0) {
          slot = slot_value;
          ++base.domain_count_;
          break;
        }
        if ((slot & 0xffffffff00000000ull) == Tag(hash) && base.RecordAt(slot).first == name) {
          slot = slot_value;  // a later addition replaces the earlier one
          break;
        }
      }
    }
  }
  base.ForEachDomain([&](std::string_view name, const Listing&) {
    FindParentDomain(name, [&](std::string_view parent) {
      return !base.domain_parents_.emplace(parent).second;  // its parents are in already
    });
  });
  base.domain_arena_.shrink_to_fit();
  base.values_.shrink_to_fit();
  return std::move(base_);
}

}  // namespace repd::reputation::internal
