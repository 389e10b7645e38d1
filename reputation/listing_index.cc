#include "reputation/listing_index.h"

#include <atomic>
#include <chrono>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_set.h"
#include "common/strings.h"
#include "reputation/listing_base.h"
#include "reputation/range_table.h"

namespace repd::reputation {

std::string_view CategoryName(int code) {
  switch (code) {
    case kCategorySpam:
      return "spam";
    case kCategoryTrap:
      return "trap";
    case kCategoryBot:
      return "bot";
    case kCategoryForgery:
      return "forgery";
    case kCategoryPolicy:
      return "policy";
    case kCategoryManual:
      return "manual";
    default:
      return "other";
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

using internal::ListingBase;
using RangeTable = reputation::RangeTable<Listing>;
using internal::V6Key;

// Subjects changed since the base was built; nullopt for subjects removed since then.
struct DeltaMaps {
  absl::flat_hash_map<uint32_t, std::optional<Listing>> v4;
  absl::flat_hash_map<V6Key, std::optional<Listing>> v6;
  absl::flat_hash_map<std::string, std::optional<Listing>> domains;
  // The parents of domains added since the base was built (kept when one is removed: an
  // empty non-terminal answered as such a little too long is harmless).
  absl::flat_hash_set<std::string> domain_parents;
  absl::flat_hash_set<uint16_t> v6_first16;  // of IPv6 addresses added, likewise
  size_t size() const { return v4.size() + v6.size() + domains.size(); }
};

// Listings of whole networks and of every name under a domain (rbldnsd's ip4trie / ip6trie
// ranges and "*.domain" entries): few, so a change copies them whole.
struct Networks {
  RangeTable ranges;
  absl::flat_hash_map<std::string, Listing> subdomains;  // by the domain they are under
  // The domains of `subdomains` and their parents: names with names below them.
  absl::flat_hash_set<std::string> above_subdomains;
  absl::flat_hash_set<uint16_t> v6_first16;  // of the IPv6 ranges (all at least a /16)

  void IndexNamesBelow() {
    v6_first16.clear();
    ranges.ForEach([&](const IpAddress& ip, int, const Listing&) {
      if (!ip.v4) v6_first16.insert(static_cast<uint16_t>(ip.bytes[0] << 8 | ip.bytes[1]));
    });
    above_subdomains.clear();
    for (const auto& [domain, listing] : subdomains) {
      above_subdomains.insert(domain);
      FindParentDomain(domain, [&](std::string_view parent) {
        return !above_subdomains.emplace(parent).second;
      });
    }
  }

  bool empty() const { return ranges.empty() && subdomains.empty(); }
  size_t size() const { return ranges.size() + subdomains.size(); }
  // The listing of the nearest parent of `domain` whose subdomains are listed.
  const Listing* MatchDomain(std::string_view domain) const {
    if (subdomains.empty()) return nullptr;
    const Listing* found = nullptr;
    FindParentDomain(domain, [&](std::string_view parent) {
      auto it = subdomains.find(AsAbsl(parent));
      if (it != subdomains.end()) found = &it->second;
      return found != nullptr;
    });
    return found;
  }
};

std::optional<Listing> LookupV4(const ListingBase& base, const DeltaMaps& delta, uint32_t key) {
  if (auto it = delta.v4.find(key); it != delta.v4.end()) return it->second;
  if (const Listing* l = base.FindV4(key)) return *l;
  return std::nullopt;
}
std::optional<Listing> LookupV6(const ListingBase& base, const DeltaMaps& delta, const V6Key& key) {
  if (auto it = delta.v6.find(key); it != delta.v6.end()) return it->second;
  if (const Listing* l = base.FindV6(key)) return *l;
  return std::nullopt;
}
std::optional<Listing> LookupDomain(const ListingBase& base, const DeltaMaps& delta,
                                    std::string_view key) {
  if (auto it = delta.domains.find(AsAbsl(key)); it != delta.domains.end()) return it->second;
  if (const Listing* l = base.FindDomain(key)) return *l;
  return std::nullopt;
}

class SnapshotImpl final : public ListingIndex::Snapshot {
 public:
  SnapshotImpl(std::shared_ptr<const ListingBase> base, std::shared_ptr<const DeltaMaps> delta,
               std::shared_ptr<const Networks> networks, uint32_t serial, size_t size)
      : base_(std::move(base)),
        delta_(std::move(delta)),
        networks_(std::move(networks)),
        serial_(serial),
        size_(size) {}

  std::optional<Listing> FindIp(const IpAddress& ip) const override {
    std::optional<Listing> own =
        ip.v4 ? LookupV4(*base_, *delta_, ip.V4HostOrder()) : LookupV6(*base_, *delta_, ip.bytes);
    if (own || networks_->empty()) return own;
    if (const Listing* l = networks_->ranges.Match(ip)) return *l;
    return std::nullopt;
  }
  std::optional<Listing> FindDomain(std::string_view domain) const override {
    std::optional<Listing> own = LookupDomain(*base_, *delta_, domain);
    if (own || networks_->empty()) return own;
    if (const Listing* l = networks_->MatchDomain(domain)) return *l;
    return std::nullopt;
  }
  // Empty sets are skipped without hashing: this runs for every unlisted name.
  bool HasNamesBelow(std::string_view domain) const override {
    const absl::string_view key = AsAbsl(domain);
    return base_->HasDomainBelow(domain) ||
           (!delta_->domain_parents.empty() && delta_->domain_parents.contains(key)) ||
           (!networks_->above_subdomains.empty() && networks_->above_subdomains.contains(key));
  }
  bool HasV6Under(uint16_t first16) const override {
    return base_->HasV6Under(first16) || delta_->v6_first16.contains(first16) ||
           networks_->v6_first16.contains(first16);
  }
  uint32_t Serial() const override { return serial_; }
  size_t Size() const override { return size_; }

  void ForEachIp(const std::function<void(const IpAddress&, const Listing&)>& fn) const override {
    base_->ForEachV4([&](uint32_t k, const Listing& l) {
      if (!delta_->v4.contains(k)) fn(IpAddress::FromV4(k), l);
    });
    for (const auto& [k, v] : delta_->v4) {
      if (v) fn(IpAddress::FromV4(k), *v);
    }
    base_->ForEachV6([&](const V6Key& k, const Listing& l) {
      if (!delta_->v6.contains(k)) fn(IpAddress::FromV6(k), l);
    });
    for (const auto& [k, v] : delta_->v6) {
      if (v) fn(IpAddress::FromV6(k), *v);
    }
  }
  void ForEachDomain(
      const std::function<void(std::string_view, const Listing&)>& fn) const override {
    base_->ForEachDomain([&](std::string_view k, const Listing& l) {
      if (!delta_->domains.contains(AsAbsl(k))) fn(k, l);
    });
    for (const auto& [k, v] : delta_->domains) {
      if (v) fn(k, *v);
    }
  }

  void ForEachRange(
      const std::function<void(const IpAddress&, int, const Listing&)>& fn) const override {
    networks_->ranges.ForEach(fn);
  }
  void ForEachSubdomainListing(
      const std::function<void(std::string_view, const Listing&)>& fn) const override {
    for (const auto& [domain, listing] : networks_->subdomains) fn(domain, listing);
  }

  const std::shared_ptr<const ListingBase>& base() const { return base_; }
  const std::shared_ptr<const DeltaMaps>& delta() const { return delta_; }
  const std::shared_ptr<const Networks>& networks() const { return networks_; }

 private:
  std::shared_ptr<const ListingBase> base_;
  std::shared_ptr<const DeltaMaps> delta_;
  std::shared_ptr<const Networks> networks_;
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

struct ListingIndex::Loader::Impl {
  ListingBase::Builder builder;
  std::shared_ptr<Networks> networks = std::make_shared<Networks>();
};

ListingIndex::Loader::Loader() : impl_(std::make_unique<Impl>()) {}
ListingIndex::Loader::~Loader() = default;
ListingIndex::Loader::Loader(Loader&&) noexcept = default;

void ListingIndex::Loader::Add(const IpAddress& ip, const Listing& listing) {
  if (ip.v4) {
    impl_->builder.AddV4(ip.V4HostOrder(), listing);
  } else {
    impl_->builder.AddV6(ip.bytes, listing);
  }
}

void ListingIndex::Loader::Add(std::string_view domain, const Listing& listing) {
  impl_->builder.AddDomain(domain, listing);
}

void ListingIndex::Loader::Add(const ListingChange& change) {
  if (!change.after) return;
  if (change.is_domain && change.subdomains) {
    impl_->networks->subdomains.insert_or_assign(change.domain, *change.after);
  } else if (change.is_domain) {
    Add(change.domain, *change.after);
  } else if (change.prefix_length != 0) {
    impl_->networks->ranges.Set(RangeKey::Of(change.ip, change.prefix_length), *change.after);
  } else {
    Add(change.ip, *change.after);
  }
}

ListingIndex::ListingIndex() : state_(std::make_unique<State>()) {
  state_->current.store(
      std::make_shared<SnapshotImpl>(std::make_shared<ListingBase>(), std::make_shared<DeltaMaps>(),
                                     std::make_shared<Networks>(), NextSerial(0), 0));
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

// A new base: the old one with the delta applied.
std::shared_ptr<const ListingBase> Fold(const ListingBase& base, const DeltaMaps& delta) {
  ListingBase::Builder builder;
  base.ForEachV4([&](uint32_t k, const Listing& l) {
    if (!delta.v4.contains(k)) builder.AddV4(k, l);
  });
  base.ForEachV6([&](const V6Key& k, const Listing& l) {
    if (!delta.v6.contains(k)) builder.AddV6(k, l);
  });
  base.ForEachDomain([&](std::string_view k, const Listing& l) {
    if (!delta.domains.contains(AsAbsl(k))) builder.AddDomain(k, l);
  });
  for (const auto& [k, v] : delta.v4) {
    if (v) builder.AddV4(k, *v);
  }
  for (const auto& [k, v] : delta.v6) {
    if (v) builder.AddV6(k, *v);
  }
  for (const auto& [k, v] : delta.domains) {
    if (v) builder.AddDomain(k, *v);
  }
  return std::make_shared<ListingBase>(std::move(builder).Build());
}

}  // namespace

void ListingIndex::Apply(std::vector<ListingChange> changes) {
  if (changes.empty()) return;
  std::lock_guard lock(state_->writer_mu);
  auto old = state_->current.load(std::memory_order_acquire);
  auto delta = std::make_shared<DeltaMaps>(*old->delta());
  const ListingBase& old_base = *old->base();
  std::shared_ptr<const Networks> networks = old->networks();
  std::shared_ptr<Networks> new_networks;  // copied at the first network change of the batch
  auto writable_networks = [&]() -> Networks& {
    if (!new_networks) networks = new_networks = std::make_shared<Networks>(*networks);
    return *new_networks;
  };
  size_t size = old->Size();
  std::vector<ListingChange> effective;
  effective.reserve(changes.size());
  for (auto& change : changes) {
    // `before` is what readers see now, including earlier changes of this same batch.
    std::optional<Listing> before;
    if (change.is_network()) {
      if (change.is_domain) {
        auto it = networks->subdomains.find(change.domain);
        if (it != networks->subdomains.end()) before = it->second;
        if (before == change.after) continue;
        if (change.after) {
          writable_networks().subdomains.insert_or_assign(change.domain, *change.after);
        } else {
          writable_networks().subdomains.erase(change.domain);
        }
      } else {
        const RangeKey key = RangeKey::Of(change.ip, change.prefix_length);
        if (const Listing* l = networks->ranges.Find(key)) before = *l;
        if (before == change.after) continue;
        writable_networks().ranges.Set(key, change.after);
        change.ip = key.network;
      }
      size = size + (change.after ? 1 : 0) - (before ? 1 : 0);
      change.before = before;
      effective.push_back(std::move(change));
      continue;
    }
    if (change.is_domain) {
      before = LookupDomain(old_base, *delta, change.domain);
    } else if (change.ip.v4) {
      before = LookupV4(old_base, *delta, change.ip.V4HostOrder());
    } else {
      before = LookupV6(old_base, *delta, change.ip.bytes);
    }
    if (before == change.after) continue;
    size = size + (change.after ? 1 : 0) - (before ? 1 : 0);
    if (change.is_domain) {
      delta->domains.insert_or_assign(change.domain, change.after);
      if (change.after) {
        FindParentDomain(change.domain, [&](std::string_view parent) {
          return !delta->domain_parents.emplace(parent).second;
        });
      }
    } else if (change.ip.v4) {
      delta->v4.insert_or_assign(change.ip.V4HostOrder(), change.after);
    } else {
      delta->v6.insert_or_assign(change.ip.bytes, change.after);
      if (change.after) {
        delta->v6_first16.insert(
            static_cast<uint16_t>(change.ip.bytes[0] << 8 | change.ip.bytes[1]));
      }
    }
    change.before = before;
    effective.push_back(std::move(change));
  }
  if (effective.empty()) return;
  if (new_networks) new_networks->IndexNamesBelow();
  std::shared_ptr<const ListingBase> base = old->base();
  if (delta->size() >= FoldThreshold(base->size())) {
    base = Fold(*base, *delta);
    delta = std::make_shared<DeltaMaps>();
  }
  uint32_t serial = NextSerial(old->Serial());
  state_->current.store(std::make_shared<SnapshotImpl>(base, delta, networks, serial, size),
                        std::memory_order_release);
  for (const auto& listener : state_->listeners) listener(old->Serial(), serial, effective);
}

void ListingIndex::Reset(std::vector<ListingChange> all, uint32_t serial_floor) {
  Loader loader;
  for (const auto& entry : all) loader.Add(entry);
  all = {};
  Reset(std::move(loader), serial_floor);
}

void ListingIndex::Reset(Loader loader, uint32_t serial_floor) {
  auto base = std::make_shared<ListingBase>(std::move(loader.impl_->builder).Build());
  loader.impl_->networks->IndexNamesBelow();
  std::shared_ptr<const Networks> networks = std::move(loader.impl_->networks);
  loader.impl_.reset();  // the builder's working memory, before publishing
  std::lock_guard lock(state_->writer_mu);
  auto old = state_->current.load(std::memory_order_acquire);
  uint32_t floor =
      static_cast<int32_t>(serial_floor - old->Serial()) > 0 ? serial_floor : old->Serial();
  size_t size = base->size() + networks->size();
  state_->current.store(
      std::make_shared<SnapshotImpl>(std::move(base), std::make_shared<DeltaMaps>(),
                                     std::move(networks), NextSerial(floor), size),
      std::memory_order_release);
  uint32_t serial = state_->current.load()->Serial();
  for (const auto& listener : state_->listeners) listener(old->Serial(), serial, {});
}

}  // namespace repd::reputation
