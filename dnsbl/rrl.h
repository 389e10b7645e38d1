// rrl.h -- response-rate limiting per client prefix (in the spirit of BIND/NSD RRL): answers
// beyond `rate` per second to one /24 (IPv4) or /56 (IPv6) are dropped, except every
// `slip`-th, which goes out truncated so that a real client behind a spoofed flood can still
// get its answer over TCP.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace repd::dnsbl {

class RateLimiter {
 public:
  enum class Verdict { kAnswer, kDrop, kSlip };

  RateLimiter(uint32_t rate, uint32_t slip, int ipv4_prefix, int ipv6_prefix,
              size_t slots = 1 << 16);

  // Thread-safe and lock-free; `now` in seconds.
  Verdict Check(const sockaddr* client, uint32_t now);

 private:
  uint32_t rate_, slip_;
  int v4_bits_, v6_bits_;
  size_t mask_;
  // Each slot packs: prefix hash (32 bits) | second (16) | count (16). A hash collision
  // just restarts the count, erring towards answering.
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
};

}  // namespace repd::dnsbl
