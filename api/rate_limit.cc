#include "api/rate_limit.h"

#include <algorithm>

#include "common/strings.h"

namespace repd::api {

RateLimiter::RateLimiter(double per_hour, double burst, size_t max_clients)
    : per_second_(per_hour / 3600.0), burst_(std::max(1.0, burst)), max_clients_(max_clients) {}

void RateLimiter::Prune(double now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& b = it->second;
    if (b.tokens + (now - b.updated) * per_second_ >= burst_) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  // Still full: every client is mid-burst; forget them all rather than grow without bound.
  if (buckets_.size() >= max_clients_) buckets_.clear();
}

double RateLimiter::Take(std::string_view client, double now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(AsAbsl(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) Prune(now);
    it = buckets_.emplace(std::string(client), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, now - b.updated) * per_second_);
  b.updated = std::max(b.updated, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  if (per_second_ <= 0) return 3600;
  return (1 - b.tokens) / per_second_;
}

}  // namespace repd::api
