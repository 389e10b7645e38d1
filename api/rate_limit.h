// rate_limit.h -- per-client token buckets for the public write routes (POST /v1/delist).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace repd::api {

class RateLimiter {
 public:
  // Each client holds up to `burst` requests, refilled at `per_hour`. At most `max_clients`
  // buckets are kept; full buckets are forgotten first, since forgetting them changes nothing.
  RateLimiter(double per_hour, double burst, size_t max_clients = 100000);

  // Takes one request for `client` at `now` (seconds on a monotonic clock). Returns 0 when
  // allowed, else the seconds until the next request would be.
  double Take(std::string_view client, double now);

 private:
  struct Bucket {
    double tokens;
    double updated;
  };
  void Prune(double now);

  const double per_second_;
  const double burst_;
  const size_t max_clients_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
};

}  // namespace repd::api
