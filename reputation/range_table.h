// range_table.h -- values per network (IPv4 or IPv6 prefix), matched longest prefix first, as
// rbldnsd's ip4trie / ip6trie do: the index's network listings, the engine's range overrides
// and the wildcards that carry networks in zone transfers.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "reputation/subject.h"

namespace repd::reputation {

struct RangeKey {
  IpAddress network;  // masked to `length`
  uint8_t length = 0;

  static RangeKey Of(const IpAddress& ip, int length) {
    return {ip.Masked(length), static_cast<uint8_t>(length)};
  }
  bool operator==(const RangeKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const RangeKey& k) {
    return H::combine(std::move(h), k.network.bytes, k.network.v4, k.length);
  }
};

template <typename T>
class RangeTable {
 public:
  const T* Find(const RangeKey& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // The value of the longest range holding `ip` for which accept(key, value) holds, if any.
  // Only the prefix lengths in use are probed.
  template <typename Accept>
  const T* Match(const IpAddress& ip, Accept&& accept) const {
    if (entries_.empty()) return nullptr;
    const uint32_t* lengths = ip.v4 ? v4_lengths_.data() : v6_lengths_.data();
    for (int length = ip.Bits(); length >= 0; --length) {
      if (lengths[length] == 0) continue;
      const RangeKey key = RangeKey::Of(ip, length);
      const T* value = Find(key);
      if (value != nullptr && accept(key, *value)) return value;
    }
    return nullptr;
  }
  const T* Match(const IpAddress& ip) const {
    return Match(ip, [](const RangeKey&, const T&) { return true; });
  }
  // nullopt removes the range.
  void Set(const RangeKey& key, const std::optional<T>& value) {
    uint32_t& count = key.network.v4 ? v4_lengths_[key.length] : v6_lengths_[key.length];
    if (value) {
      if (entries_.insert_or_assign(key, *value).second) ++count;
    } else if (entries_.erase(key) != 0) {
      --count;
    }
  }
  void Clear() { *this = RangeTable(); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void ForEach(const std::function<void(const IpAddress&, int, const T&)>& fn) const {
    for (const auto& [key, value] : entries_) fn(key.network, key.length, value);
  }

 private:
  absl::flat_hash_map<RangeKey, T> entries_;
  // Ranges per prefix length, so that a lookup probes only the lengths in use.
  std::array<uint32_t, 33> v4_lengths_{};
  std::array<uint32_t, 129> v6_lengths_{};
};

}  // namespace repd::reputation
