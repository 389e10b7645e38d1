#include "dnsbl/rrl.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace repd::dnsbl {

RateLimiter::RateLimiter(uint32_t rate, uint32_t slip, int ipv4_prefix, int ipv6_prefix,
                         size_t slots)
    : rate_(rate),
      slip_(slip),
      v4_bits_(ipv4_prefix),
      v6_bits_(ipv6_prefix),
      mask_(slots - 1),
      slots_(new std::atomic<uint64_t>[slots]) {
  for (size_t i = 0; i < slots; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

RateLimiter::Verdict RateLimiter::Check(const sockaddr* client, uint32_t now) {
  uint8_t prefix[17] = {};
  int bits = 0;
  if (client->sa_family == AF_INET) {
    std::memcpy(prefix, &reinterpret_cast<const sockaddr_in*>(client)->sin_addr, 4);
    bits = v4_bits_;
    prefix[16] = 4;
  } else {
    std::memcpy(prefix, &reinterpret_cast<const sockaddr_in6*>(client)->sin6_addr, 16);
    bits = v6_bits_;
    prefix[16] = 6;
  }
  for (int i = 0; i < 16; ++i, bits -= 8) {
    if (bits <= 0) {
      prefix[i] = 0;
    } else if (bits < 8) {
      prefix[i] &= static_cast<uint8_t>(0xff << (8 - bits));
    }
  }
  uint64_t hash = 14695981039346656037ull;  // FNV-1a
  for (uint8_t b : prefix) hash = (hash ^ b) * 1099511628211ull;
  const uint64_t key = hash >> 32;
  std::atomic<uint64_t>& slot = slots_[hash & mask_];
  const uint64_t second = now & 0xffff;
  uint64_t old = slot.load(std::memory_order_relaxed);
  uint64_t count;
  while (true) {
    const bool same = (old >> 32) == key && ((old >> 16) & 0xffff) == second;
    count = same ? std::min<uint64_t>((old & 0xffff) + 1, 0xffff) : 1;
    const uint64_t next = key << 32 | second << 16 | count;
    if (slot.compare_exchange_weak(old, next, std::memory_order_relaxed)) break;
  }
  if (count <= rate_) return Verdict::kAnswer;
  return slip_ > 0 && (count - rate_) % slip_ == 0 ? Verdict::kSlip : Verdict::kDrop;
}

}  // namespace repd::dnsbl
