#include "common/metrics.h"

#include <map>
#include <memory>
#include <sstream>
#include <variant>

namespace repd::metrics {

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

double Histogram::Sum() const { return sum_micros_.load(std::memory_order_relaxed) / 1e6; }

namespace {

enum class Kind { kCounter, kGauge, kHistogram };

struct Family {
  Kind kind;
  std::string help;
  // labels -> metric; std::map keeps the output stable and node addresses fixed.
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
  std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, Family, std::less<>> families;
};

Registry& TheRegistry() {
  static Registry* registry = new Registry;  // never destroyed: metrics outlive every thread
  return *registry;
}

Family& FamilyFor(Registry& r, std::string_view name, std::string_view help, Kind kind) {
  auto it = r.families.find(name);
  if (it == r.families.end()) {
    it = r.families.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}}).first;
  }
  return it->second;
}

template <typename T>
T& Slot(std::map<std::string, std::unique_ptr<T>, std::less<>>& m, std::string_view labels) {
  auto it = m.find(labels);
  if (it == m.end()) it = m.emplace(std::string(labels), std::make_unique<T>()).first;
  return *it->second;
}

std::string WithLabels(std::string_view name, std::string_view labels,
                       std::string_view extra = {}) {
  std::string out(name);
  if (labels.empty() && extra.empty()) return out;
  out += '{';
  out += labels;
  if (!labels.empty() && !extra.empty()) out += ',';
  out += extra;
  out += '}';
  return out;
}

}  // namespace

Counter& GetCounter(std::string_view name, std::string_view help, std::string_view labels) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  return Slot(FamilyFor(r, name, help, Kind::kCounter).counters, labels);
}

Gauge& GetGauge(std::string_view name, std::string_view help, std::string_view labels) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  return Slot(FamilyFor(r, name, help, Kind::kGauge).gauges, labels);
}

Histogram& GetHistogram(std::string_view name, std::string_view help, std::string_view labels) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  return Slot(FamilyFor(r, name, help, Kind::kHistogram).histograms, labels);
}

std::string RenderPrometheus() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  std::ostringstream out;
  for (const auto& [name, family] : r.families) {
    static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
    out << "# HELP " << name << ' ' << family.help << '\n';
    out << "# TYPE " << name << ' ' << kTypeNames[static_cast<int>(family.kind)] << '\n';
    for (const auto& [labels, c] : family.counters) {
      out << WithLabels(name, labels) << ' ' << c->Value() << '\n';
    }
    for (const auto& [labels, g] : family.gauges) {
      out << WithLabels(name, labels) << ' ' << g->Value() << '\n';
    }
    for (const auto& [labels, h] : family.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= Histogram::kBounds.size(); ++i) {
        cumulative += h->BucketCount(i);
        std::ostringstream le;
        if (i < Histogram::kBounds.size()) {
          le << "le=\"" << Histogram::kBounds[i] << '"';
        } else {
          le << "le=\"+Inf\"";
        }
        out << WithLabels(name + "_bucket", labels, le.str()) << ' ' << cumulative << '\n';
      }
      out << WithLabels(name + "_sum", labels) << ' ' << h->Sum() << '\n';
      out << WithLabels(name + "_count", labels) << ' ' << h->Count() << '\n';
    }
  }
  return out.str();
}

}  // namespace repd::metrics
