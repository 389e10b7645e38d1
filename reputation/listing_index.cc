#include "reputation/listing_index.h"

#include <atomic>
#include <chrono>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_set.h"
#include "common/strings.h"

namespace repd::reputation {

std::string_view CategoryName(int code) {
  switch (code) {
    case kCategorySpam: return "spam";
    case kCategoryTrap: return "trap";
    case kCategoryBot: return "bot";
    case kCategoryForgery: return "forgery";
    case kCategoryPolicy: return "policy";
    case kCategoryManual: return "manual";
    default: return "other";
  }
}

std::optional<int> CategoryFromName(std::string_view name) {
  for (int code : {kCategorySpam, kCategoryTrap, kCategoryBot, kCategoryForgery, kCategoryPolicy,
                   kCategoryManual}) {
    if (CategoryName(code) == name) return code;
  }
  return std::nullopt;
}

const std::string* InternTxt(std::string_view text) {
  static std::mutex mu;
  static auto* table = new absl::node_hash_set<std::string>;  // never freed: pointers escape
  std::lock_guard lock(mu);
  return &*table->emplace(text).first;
}

namespace {

using V6Key = std::array<uint8_t, 16>;

// The maps of one generation. Base maps hold present entries only; delta maps hold
// nullopt for subjects removed since the base was built.
template <typename Value>
struct Maps {
  absl::flat_hash_map<uint32_t, Value> v4;
  absl::flat_hash_map<V6Key, Value> v6;
  absl::flat_hash_map<std::string, Value> domains;
  size_t size() const { return v4.size() + v6.size() + domains.size(); }
};
using BaseMaps = Maps<Listing>;
using DeltaMaps = Maps<std::optional<Listing>>;

template <typename Map, typename Key>
auto* FindIn(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

template <typename Key>
std::optional<Listing> Lookup(const BaseMaps& base, const DeltaMaps& delta,
                              absl::flat_hash_map<Key, Listing> BaseMaps::*base_map,
                              absl::flat_hash_map<Key, std::optional<Listing>> DeltaMaps::*delta_map,
                              const auto& key) {
  if (const auto* d = FindIn(delta.*delta_map, key)) return *d;
  if (const auto* b = FindIn(base.*base_map, key)) return *b;
  return std::nullopt;
}

class SnapshotImpl final : public ListingIndex::Snapshot {
 public:
  SnapshotImpl(std::shared_ptr<const BaseMaps> base, std::shared_ptr<const DeltaMaps> delta,
               uint32_t serial, size_t size)
      : base_(std::move(base)), delta_(std::move(delta)), serial_(serial), size_(size) {}

  std::optional<Listing> FindIp(const IpAddress& ip) const override {
    if (ip.v4) return Lookup(*base_, *delta_, &BaseMaps::v4, &DeltaMaps::v4, ip.V4HostOrder());
    return Lookup(*base_, *delta_, &BaseMaps::v6, &DeltaMaps::v6, ip.bytes);
  }
  std::optional<Listing> FindDomain(std::string_view domain) const override {
    return Lookup(*base_, *delta_, &BaseMaps::domains, &DeltaMaps::domains, AsAbsl(domain));
  }
  uint32_t Serial() const override { return serial_; }
  size_t Size() const override { return size_; }

  void ForEachIp(const std::function<void(const IpAddress&, const Listing&)>& fn) const override {
    Walk(&BaseMaps::v4, &DeltaMaps::v4, [&](uint32_t k, const Listing& l) {
      fn(IpAddress::FromV4(k), l);
    });
    Walk(&BaseMaps::v6, &DeltaMaps::v6, [&](const V6Key& k, const Listing& l) {
      fn(IpAddress::FromV6(k), l);
    });
  }
  void ForEachDomain(
      const std::function<void(std::string_view, const Listing&)>& fn) const override {
    Walk(&BaseMaps::domains, &DeltaMaps::domains,
         [&](const std::string& k, const Listing& l) { fn(k, l); });
  }

  const std::shared_ptr<const BaseMaps>& base() const { return base_; }
  const std::shared_ptr<const DeltaMaps>& delta() const { return delta_; }

 private:
  template <typename Key, typename Fn>
  void Walk(absl::flat_hash_map<Key, Listing> BaseMaps::*base_map,
            absl::flat_hash_map<Key, std::optional<Listing>> DeltaMaps::*delta_map,
            Fn&& fn) const {
    const auto& delta = (*delta_).*delta_map;
    for (const auto& [k, v] : (*base_).*base_map) {
      if (!delta.contains(k)) fn(k, v);
    }
    for (const auto& [k, v] : delta) {
      if (v) fn(k, *v);
    }
  }

  std::shared_ptr<const BaseMaps> base_;
  std::shared_ptr<const DeltaMaps> delta_;
  uint32_t serial_;
  size_t size_;
};

uint32_t NextSerial(uint32_t previous) {
  auto now = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  // RFC 1982: the clock gives a serial that also grows across restarts; bursts of changes
  // within one second run ahead of it, which is harmless.
  return static_cast<int32_t>(now - previous) > 0 ? now : previous + 1;
}

// Delta size at which it is folded into a new base: large enough that folding (a copy of
// the base) is rare, small enough that copying the delta per batch stays cheap.
size_t FoldThreshold(size_t base_size) { return std::max<size_t>(4096, base_size / 16); }

}  // namespace

struct ListingIndex::State {
  std::atomic<std::shared_ptr<const SnapshotImpl>> current;
  std::mutex writer_mu;
  std::vector<ChangeListener> listeners;
};

ListingIndex::ListingIndex() : state_(std::make_unique<State>()) {
  state_->current.store(std::make_shared<SnapshotImpl>(std::make_shared<BaseMaps>(),
                                                       std::make_shared<DeltaMaps>(),
                                                       NextSerial(0), 0));
}

ListingIndex::~ListingIndex() = default;

std::shared_ptr<const ListingIndex::Snapshot> ListingIndex::Current() const {
  return state_->current.load(std::memory_order_acquire);
}

void ListingIndex::AddChangeListener(ChangeListener listener) const {
  std::lock_guard lock(state_->writer_mu);
  state_->listeners.push_back(std::move(listener));
}

namespace {

template <typename Key>
void Put(absl::flat_hash_map<Key, std::optional<Listing>>& delta, Key key,
         const std::optional<Listing>& value) {
  delta.insert_or_assign(std::move(key), value);
}

template <typename Key>
void Fold(absl::flat_hash_map<Key, Listing>& base,
          const absl::flat_hash_map<Key, std::optional<Listing>>& delta) {
  for (const auto& [k, v] : delta) {
    if (v) {
      base.insert_or_assign(k, *v);
    } else {
      base.erase(k);
    }
  }
}

}  // namespace

void ListingIndex::Apply(std::vector<ListingChange> changes) {
  if (changes.empty()) return;
  std::lock_guard lock(state_->writer_mu);
  auto old = state_->current.load(std::memory_order_acquire);
  auto delta = std::make_shared<DeltaMaps>(*old->delta());
  size_t size = old->Size();
  std::vector<ListingChange> effective;
  effective.reserve(changes.size());
  for (auto& change : changes) {
    // `before` is what readers see now, including earlier changes of this same batch.
    std::optional<Listing> before;
    if (change.is_domain) {
      before = Lookup(*old->base(), *delta, &BaseMaps::domains, &DeltaMaps::domains,
                      change.domain);
    } else if (change.ip.v4) {
      before = Lookup(*old->base(), *delta, &BaseMaps::v4, &DeltaMaps::v4,
                      change.ip.V4HostOrder());
    } else {
      before = Lookup(*old->base(), *delta, &BaseMaps::v6, &DeltaMaps::v6, change.ip.bytes);
    }
    if (before == change.after) continue;
    size = size + (change.after ? 1 : 0) - (before ? 1 : 0);
    if (change.is_domain) {
      Put(delta->domains, change.domain, change.after);
    } else if (change.ip.v4) {
      Put(delta->v4, change.ip.V4HostOrder(), change.after);
    } else {
      Put(delta->v6, change.ip.bytes, change.after);
    }
    change.before = before;
    effective.push_back(std::move(change));
  }
  if (effective.empty()) return;
  std::shared_ptr<const BaseMaps> base = old->base();
  if (delta->size() >= FoldThreshold(base->size())) {
    auto folded = std::make_shared<BaseMaps>(*base);
    Fold(folded->v4, delta->v4);
    Fold(folded->v6, delta->v6);
    Fold(folded->domains, delta->domains);
    base = std::move(folded);
    delta = std::make_shared<DeltaMaps>();
  }
  uint32_t serial = NextSerial(old->Serial());
  state_->current.store(std::make_shared<SnapshotImpl>(base, delta, serial, size),
                        std::memory_order_release);
  for (const auto& listener : state_->listeners) listener(old->Serial(), serial, effective);
}

void ListingIndex::Reset(std::vector<ListingChange> all, uint32_t serial_floor) {
  auto base = std::make_shared<BaseMaps>();
  for (auto& entry : all) {
    if (!entry.after) continue;
    if (entry.is_domain) {
      base->domains.insert_or_assign(std::move(entry.domain), *entry.after);
    } else if (entry.ip.v4) {
      base->v4.insert_or_assign(entry.ip.V4HostOrder(), *entry.after);
    } else {
      base->v6.insert_or_assign(entry.ip.bytes, *entry.after);
    }
  }
  std::lock_guard lock(state_->writer_mu);
  auto old = state_->current.load(std::memory_order_acquire);
  uint32_t floor = static_cast<int32_t>(serial_floor - old->Serial()) > 0 ? serial_floor
                                                                          : old->Serial();
  size_t size = base->size();
  state_->current.store(std::make_shared<SnapshotImpl>(std::move(base),
                                                       std::make_shared<DeltaMaps>(),
                                                       NextSerial(floor), size),
                        std::memory_order_release);
  uint32_t serial = state_->current.load()->Serial();
  for (const auto& listener : state_->listeners) listener(old->Serial(), serial, {});
}

}  // namespace repd::reputation
