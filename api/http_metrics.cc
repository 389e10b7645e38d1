#include "api/http_metrics.h"

#include <string>

namespace repd::api {

namespace {
constexpr const char* kRequestsName = "repd_http_requests_total";
constexpr const char* kRequestsHelp = "HTTP requests answered, by route and status";
}  // namespace

HttpMetrics::HttpMetrics()
    : open_connections(metrics::GetGauge("repd_http_connections", "Open HTTP connections")),
      refused_connections(metrics::GetCounter("repd_http_connections_refused_total",
                                              "Connections refused over http.max_connections")),
      timeouts(metrics::GetCounter("repd_http_timeouts_total",
                                   "Connections closed by the read or idle timeout")),
      tls_handshake_failures(metrics::GetCounter("repd_http_tls_handshake_failures_total",
                                                 "TLS handshakes that failed or timed out")) {
  for (int r = 0; r < kRouteCount; ++r) {
    std::string labels = "route=\"";
    labels.append(RouteName(static_cast<Route>(r))).append("\"");
    latency_[r] = &metrics::GetHistogram("repd_http_request_duration_seconds",
                                         "Time from a request's headers to its answer", labels);
  }
}

void HttpMetrics::Record(Route route, int status, double seconds) {
  int r = static_cast<int>(route);
  if (r < 0 || r >= kRouteCount) r = static_cast<int>(Route::kUnknown);
  if (status < 100 || status > 599) status = 500;
  auto& slot = requests_[r * kStatusSlots + (status - 100)];
  metrics::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    std::string labels = "route=\"";
    labels.append(RouteName(static_cast<Route>(r)))
        .append("\",status=\"")
        .append(std::to_string(status))
        .append("\"");
    // The registry hands every racing thread the same counter.
    counter = &metrics::GetCounter(kRequestsName, kRequestsHelp, labels);
    slot.store(counter, std::memory_order_release);
  }
  counter->Add();
  latency_[r]->Observe(seconds);
}

}  // namespace repd::api
