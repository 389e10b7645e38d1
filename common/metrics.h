// metrics.h -- the process-wide metrics registry rendered by GET /metrics (Prometheus text).
//
// The only global mutable state in repd. Counters and histograms are registered once (at
// start-up, by name and labels) and then updated lock-free from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace repd::metrics {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A gauge whose value is set by its owner.
class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Latency histogram with fixed bucket bounds in seconds (Prometheus cumulative `le` buckets).
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0};
  void Observe(double seconds);
  uint64_t BucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

// Returns the counter/gauge/histogram registered under `name` with `labels` (e.g.
// `zone="bl.repd.test"`), creating it on first use. The reference stays valid for the
// life of the process, so callers look it up once and keep it.
Counter& GetCounter(std::string_view name, std::string_view help, std::string_view labels = {});
Gauge& GetGauge(std::string_view name, std::string_view help, std::string_view labels = {});
Histogram& GetHistogram(std::string_view name, std::string_view help, std::string_view labels = {});

// Prometheus text exposition format 0.0.4 of everything registered.
std::string RenderPrometheus();

}  // namespace repd::metrics
