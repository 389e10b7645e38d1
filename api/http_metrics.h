// http_metrics.h -- the API's own figures for /metrics: requests by route and status, latency
// histograms by route, connections.
#pragma once

#include <array>
#include <atomic>

#include "api/router.h"
#include "common/metrics.h"

namespace repd::api {

class HttpMetrics {
 public:
  HttpMetrics();

  // Counters are registered on first use of a (route, status) pair, so /metrics lists only
  // the pairs that happened; after that, recording takes no lock.
  void Record(Route route, int status, double seconds);

  metrics::Gauge& open_connections;
  metrics::Counter& refused_connections;  // over max_connections
  metrics::Counter& timeouts;             // read or idle timeout closed a connection
  metrics::Counter& tls_handshake_failures;

 private:
  static constexpr int kStatusSlots = 500;  // 100..599
  std::array<std::atomic<metrics::Counter*>, kRouteCount * kStatusSlots> requests_{};
  std::array<metrics::Histogram*, kRouteCount> latency_{};
};

}  // namespace repd::api
