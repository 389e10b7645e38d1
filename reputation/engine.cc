#include "reputation/engine.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/strings.h"
#include "reputation/keys.h"
#include "spdlog/spdlog.h"

namespace repd::reputation {

namespace {

// Hands free heap pages back to the system. A rebuild's short-lived strings, or the old copy
// of the index after a fold, leave glibc holding hundreds of megabytes it would otherwise
// keep: after a live import of 1.5M listings the resident size stayed at 355 MB, not 74 MB.
void ReleaseFreeMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

constexpr int64_t kDay = 86400;
constexpr size_t kMaxCidrAddresses = 65536;  // an IPv4 /16: dynamic pools, not whole nets

// "a.b.c.d/nn" (/8 to /32) or "v6::/nn" (/16 to /128) -> the network and its length.
std::optional<std::pair<IpAddress, int>> ParseCidr(std::string_view text) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(AsAbsl(text), '/');
  int length;
  if (parts.second.empty() || !absl::SimpleAtoi(parts.second, &length)) return std::nullopt;
  auto ip = IpAddress::Parse(AsStd(parts.first));
  if (!ip || length > ip->Bits() || length < (ip->v4 ? 8 : 16)) return std::nullopt;
  return std::pair{ip->Masked(length), length};
}

// Ranges of at most kMaxCidrAddresses IPv4 addresses are expanded into listings of their
// addresses (exact DNS records, what secondaries transfer); wider ones are network listings.
// So are IPv6 prefixes of at most 8 addresses (below a DNS label of 16).
bool Expanded(const std::pair<IpAddress, int>& cidr) {
  return cidr.second >= (cidr.first.v4 ? 16 : 125);
}

// "*.example.com" (an override of every name under example.com) -> "example.com".
std::optional<std::string_view> SubdomainsOf(const Override& o) {
  if (!o.is_domain || !absl::StartsWith(o.subject, "*.")) return std::nullopt;
  return std::string_view(o.subject).substr(2);
}

// The network listing an override stands for (a range not expanded, or "*.domain"), without
// its listing; nullopt for an override of subjects.
std::optional<ListingChange> NetworkOf(const Override& o) {
  ListingChange c;
  if (auto parent = SubdomainsOf(o)) {
    c.is_domain = c.subdomains = true;
    c.domain = std::string(*parent);
    return c;
  }
  auto cidr = o.is_domain ? std::nullopt : ParseCidr(o.subject);
  if (!cidr || Expanded(*cidr)) return std::nullopt;
  c.ip = cidr->first;
  c.prefix_length = static_cast<uint8_t>(cidr->second);
  return c;
}

std::string Encode64(int64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

// Overrides are stored as tab-separated text: readable with `ldb`, easy to audit.
std::string EncodeOverride(const Override& o) {
  const char* action = o.action == Override::Action::kAllow     ? "allow"
                       : o.action == Override::Action::kPolicy  ? "policy"
                       : o.action == Override::Action::kExclude ? "exclude"
                                                                : "block";
  return absl::StrCat(o.is_domain ? "d" : "i", "\t", o.subject, "\t", action, "\t", o.category,
                      "\t", o.created, "\t", o.expires, "\t",
                      absl::StrReplaceAll(o.reason, {{"\t", " "}}), "\t",
                      absl::StrReplaceAll(o.txt, {{"\t", " "}}), "\t");
}

std::optional<Override> DecodeOverride(std::string_view value) {
  std::vector<std::string> f = absl::StrSplit(AsAbsl(value), absl::MaxSplits('\t', 8));
  Override o;
  if (f.size() != 9 || !absl::SimpleAtoi(f[3], &o.category) ||
      !absl::SimpleAtoi(f[4], &o.created) || !absl::SimpleAtoi(f[5], &o.expires)) {
    return std::nullopt;
  }
  o.is_domain = f[0] == "d";
  o.subject = f[1];
  o.action = f[2] == "allow"     ? Override::Action::kAllow
             : f[2] == "policy"  ? Override::Action::kPolicy
             : f[2] == "exclude" ? Override::Action::kExclude
                                 : Override::Action::kBlock;
  o.reason = f[6];
  o.txt = f[7];
  return o;
}

bool Expired(const Override& o, int64_t now) { return o.expires != 0 && o.expires <= now; }

}  // namespace

absl::StatusOr<std::unique_ptr<Reputation>> Reputation::Open(const ReputationOptions& options) {
  auto store =
      Store::Open(options.data_dir, options.read_only, Model(options.model, nullptr).half_lives());
  if (!store.ok()) return store.status();
  auto engine = std::make_unique<Engine>(options, std::move(*store));
  if (auto s = engine->Rebuild(engine->Now()); !s.ok()) return s;
  return engine;
}

std::string Engine::Subject::Key() const { return is_domain ? DomainKey(domain) : IpKey(ip); }

Engine::Engine(const ReputationOptions& options, std::unique_ptr<Store> store)
    : options_(options),
      store_(std::move(store)),
      clock_(options.clock ? options.clock : std::function<int64_t()>(UnixNow)),
      model_(options.model, [this](std::string_view reporter) {
        auto it = trust_.find(AsAbsl(reporter));
        return it == trust_.end() ? options_.default_reporter_trust : it->second;
      }) {
  for (const auto& r : options.reporters) trust_[r.name] = r.trust;
  index_.AddChangeListener([this](uint32_t a, uint32_t b, const std::vector<ListingChange>& c) {
    CountPrefixes(a, b, c);
  });
  if (!options_.read_only) refresher_ = std::thread([this] { RefreshLoop(); });
}

Engine::~Engine() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

void Engine::Enqueue(std::vector<std::pair<Subject, std::string>> subjects, bool prompt) {
  if (subjects.empty()) return;
  {
    std::lock_guard lock(queue_mu_);
    auto& queue = prompt ? queue_ : volume_queue_;
    auto& queued = prompt ? queued_ : volume_queued_;
    for (auto& [subject, key] : subjects) {
      // Prompt work reads all evidence so far: a pending volume refresh is then redundant.
      if (prompt && !volume_queued_.empty()) volume_queued_.erase(key);
      if (queued.insert(std::move(key)).second) queue.push_back(std::move(subject));
    }
  }
  queue_cv_.notify_one();
}

void Engine::RefreshLoop() {
  // Volume work is taken in chunks, so that prompt work never waits behind more than one.
  constexpr size_t kVolumeChunk = 4096;
  std::unique_lock lock(queue_mu_);
  while (true) {
    queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || !volume_queue_.empty(); });
    if (stopping_) {
      // The evidence is durable and the rebuild at start publishes all of it: draining a
      // backlog here would hold a shutdown for as long as the index is behind a burst.
      if (const size_t left = queue_.size() + volume_queue_.size()) {
        spdlog::info(
            "index refresh stopped with {} subjects queued; the start-up rebuild "
            "publishes them",
            left);
      }
      break;
    }
    std::vector<Subject> work;
    if (!queue_.empty()) {
      work.swap(queue_);
      queued_.clear();
    } else {
      while (work.size() < kVolumeChunk && !volume_queue_.empty()) {
        // Absent from the set: taken over by prompt work since it was queued.
        if (volume_queued_.erase(volume_queue_.back().Key())) {
          work.push_back(std::move(volume_queue_.back()));
        }
        volume_queue_.pop_back();
      }
      if (work.empty()) continue;
    }
    refreshing_ = true;
    lock.unlock();
    if (auto s = Refresh(work, Now()); !s.ok()) {
      // The evidence is durable; the next touch, sweep or restart publishes it.
      spdlog::error("index refresh failed: {}", s.ToString());
    }
    lock.lock();
    refreshing_ = false;
    idle_cv_.notify_all();
  }
}

void Engine::WaitForIndex() {
  std::unique_lock lock(queue_mu_);
  idle_cv_.wait(lock, [this] {
    return (queue_.empty() && volume_queue_.empty() && !refreshing_) || !refresher_.joinable();
  });
}

namespace {

template <typename Map>
void AddCount(Map& map, typename Map::key_type key, int delta) {
  auto& count = map[key];
  count = static_cast<uint32_t>(static_cast<int64_t>(count) + delta);
  if (static_cast<int32_t>(count) <= 0) map.erase(key);
}

uint64_t V6PrefixKey(const IpAddress& ip) {
  uint64_t key;
  std::memcpy(&key, ip.bytes.data(), sizeof key);  // the /64
  return key;
}

}  // namespace

void Engine::PrefixCounts::Add(const IpAddress& ip, int delta) {
  if (ip.v4) {
    AddCount(v4, ip.V4HostOrder() >> 8, delta);
  } else {
    AddCount(v6, V6PrefixKey(ip), delta);
  }
}

int Engine::PrefixCounts::Get(const IpAddress& ip) const {
  if (ip.v4) {
    auto it = v4.find(ip.V4HostOrder() >> 8);
    return it == v4.end() ? 0 : static_cast<int>(it->second);
  }
  auto it = v6.find(V6PrefixKey(ip));
  return it == v6.end() ? 0 : static_cast<int>(it->second);
}

void Engine::CountPrefixes(uint32_t, uint32_t, const std::vector<ListingChange>& changes) {
  std::lock_guard lock(prefix_mu_);
  if (changes.empty()) {  // a full reset
    listed_per_prefix_ = PrefixCounts();
    index_.Current()->ForEachIp([&](const IpAddress& ip, const Listing& l) {
      if (l.listed()) listed_per_prefix_.Add(ip, 1);
    });
    return;
  }
  for (const auto& c : changes) {
    if (c.is_domain || c.prefix_length != 0) continue;  // a network is not a listed IP
    int delta = (c.after && c.after->listed() ? 1 : 0) - (c.before && c.before->listed() ? 1 : 0);
    if (delta != 0) listed_per_prefix_.Add(c.ip, delta);
  }
}

int Engine::ListedInPrefix(const IpAddress& ip) const {
  std::lock_guard lock(prefix_mu_);
  return listed_per_prefix_.Get(ip);
}

std::optional<Override> Engine::FindOverride(const Subject& s, int64_t now, bool networks) const {
  // Exact overrides live only in the store (a million imported listings stay out of the
  // heap; the Bloom filter makes the usual miss cheap); ranges are few and kept in memory.
  auto stored = store_->Get(Store::kOverrides, OverrideKey(s.is_domain, s.Text()));
  if (stored.ok() && *stored) {
    auto o = DecodeOverride(**stored);
    if (o && !Expired(*o, now)) return o;
  }
  std::shared_lock lock(overrides_mu_);
  const Override* found = nullptr;
  if (s.is_domain) {
    if (!networks || subdomain_overrides_.empty()) return std::nullopt;
    // The nearest parent whose subdomains are listed.
    FindParentDomain(s.domain, [&](std::string_view parent) {
      auto it = subdomain_overrides_.find(AsAbsl(parent));
      if (it != subdomain_overrides_.end() && !Expired(it->second, now)) found = &it->second;
      return found != nullptr;
    });
  } else {
    found = range_overrides_.Match(s.ip, [&](const RangeKey& key, const Override& o) {
      return !Expired(o, now) && (networks || Expanded({key.network, key.length}));
    });
  }
  if (found == nullptr) return std::nullopt;
  return *found;
}

void Engine::RememberRangeOverride(const Override& o, bool remove) {
  if (auto parent = SubdomainsOf(o)) {
    if (remove) {
      subdomain_overrides_.erase(AsAbsl(*parent));
    } else {
      subdomain_overrides_.insert_or_assign(std::string(*parent), o);
    }
    return;
  }
  auto cidr = o.is_domain ? std::nullopt : ParseCidr(o.subject);
  if (!cidr) return;
  range_overrides_.Set(RangeKey::Of(cidr->first, cidr->second),
                       remove ? std::nullopt : std::optional(o));
}

bool Engine::IsShared(const Record& record) const {
  if (record.domains.size() < options_.model.shared_ip_min_domains) return false;
  auto snapshot = index_.Current();
  int good = 0;
  for (const auto& d : record.domains) {
    auto l = snapshot->FindDomain(d);
    if (l && l->good_standing) ++good;
  }
  return good >= options_.model.shared_ip_min_domains;
}

Listing Engine::MakeListing(const Evaluation* e, const std::optional<Override>& o,
                            bool shared) const {
  Listing l;
  std::string reason;
  if (e != nullptr) {
    l.categories = e->listed;
    l.score = static_cast<uint8_t>(e->score);
    l.has_score = true;
    l.allow_trust = static_cast<int8_t>(e->allow_trust);
    l.good_standing = e->good_standing;
    l.shared = shared;
    std::vector<std::string> names;
    for (const auto& c : e->listings) names.push_back(c.name);
    reason = absl::StrJoin(names, ", ");
    if (shared && l.listed()) {
      reason += " (a shared provider IP: mail from it is judged by its DKIM-verified domain)";
    }
  }
  if (o && o->action != Override::Action::kExclude) {
    if (o->action == Override::Action::kAllow) {
      l.categories = 0;
      l.allow_trust = 3;
      l.good_standing = true;
    } else {
      int code = o->category != 0                         ? o->category
                 : o->action == Override::Action::kPolicy ? kCategoryPolicy
                                                          : kCategoryManual;
      l.categories |= 1u << code;
      l.allow_trust = -1;
      l.good_standing = false;
      if (!o->txt.empty()) {
        l.txt = InternTxt(o->txt);
        return l;
      }
      reason = o->reason.empty() ? std::string(CategoryName(code)) : o->reason;
    }
  }
  l.txt = InternTxt(absl::StrReplaceAll(options_.txt_template, {{"{reason}", reason}}));
  return l;
}

template <typename Fn>
void Engine::ForEachOverrideSubject(const Override& o, Fn&& fn) {
  if (SubdomainsOf(o)) {
    return;  // a network listing
  } else if (o.is_domain) {
    fn(Subject{true, {}, o.subject});
  } else if (auto cidr = ParseCidr(o.subject)) {
    if (!Expanded(*cidr)) return;
    // An expanded IPv6 range holds at most 8 addresses: its host bits are in the last octet.
    for (uint32_t i = 0; i < (uint32_t{1} << (cidr->first.Bits() - cidr->second)); ++i) {
      IpAddress ip = cidr->first;
      if (ip.v4) {
        ip = IpAddress::FromV4(ip.V4HostOrder() + i);
      } else {
        ip.bytes[15] = static_cast<uint8_t>(ip.bytes[15] | i);
      }
      fn(Subject{false, ip, {}});
    }
  } else if (auto ip = IpAddress::Parse(o.subject)) {
    fn(Subject{false, *ip, {}});
  }
}

absl::Status Engine::Rebuild(int64_t now) {
  // Ranges expanded into their addresses, narrowest last: where they nest (an exclusion
  // inside a listed /16), the longest prefix is the listing an address ends up with.
  std::vector<std::pair<int, Override>> expanded_ranges;
  {
    std::unique_lock lock(overrides_mu_);
    range_overrides_.Clear();
    subdomain_overrides_.clear();
    store_->ForEach(Store::kOverrides, "", [&](std::string_view, std::string_view value) {
      auto o = DecodeOverride(value);
      if (!o) return;
      RememberRangeOverride(*o, false);
      auto cidr = o->is_domain ? std::nullopt : ParseCidr(o->subject);
      if (cidr && Expanded(*cidr) && !Expired(*o, now)) {
        expanded_ranges.emplace_back(cidr->second, std::move(*o));
      }
    });
  }
  std::stable_sort(expanded_ranges.begin(), expanded_ranges.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Loaded in an order where the later entry of a subject is the right one: overrides of
  // subjects without evidence first, then subjects with evidence (their listing already
  // includes their override), domains before IPs so that domains' standing is known when
  // IPs are judged shared.
  ListingIndex::Loader loader;
  size_t overrides = 0;
  std::multimap<int64_t, Override> expiring_overrides;
  auto load = [&](const Subject& s, const Listing& listing) {
    if (s.is_domain) {
      loader.Add(s.domain, listing);
    } else {
      loader.Add(s.ip, listing);
    }
  };
  // An address's own override wins over any expanded range holding it, so those are loaded
  // again after the ranges.
  std::vector<std::pair<IpAddress, Listing>> addresses_in_ranges;
  auto load_override = [&](Override&& o) {
    ++overrides;
    Listing listing = MakeListing(nullptr, o, false);
    ForEachOverrideSubject(o, [&](const Subject& s) { load(s, listing); });
    if (auto network = NetworkOf(o)) {
      network->after = listing;
      loader.Add(*network);
    }
    if (o.expires != 0) expiring_overrides.emplace(o.expires, std::move(o));
  };
  store_->ForEach(Store::kOverrides, "", [&](std::string_view, std::string_view value) {
    auto o = DecodeOverride(value);
    if (!o || Expired(*o, now)) return;
    if (o->is_domain || o->subject.find('/') == std::string::npos) {
      auto ip = o->is_domain ? std::nullopt : IpAddress::Parse(o->subject);
      if (ip && !expanded_ranges.empty()) {
        std::shared_lock lock(overrides_mu_);
        if (range_overrides_.Match(*ip, [](const RangeKey& key, const Override&) {
              return Expanded({key.network, key.length});
            }) != nullptr) {
          addresses_in_ranges.emplace_back(*ip, MakeListing(nullptr, *o, false));
        }
      }
    } else if (auto cidr = ParseCidr(o->subject); cidr && Expanded(*cidr)) {
      return;  // loaded below
    }
    load_override(std::move(*o));
  });
  for (auto& [length, o] : expanded_ranges) load_override(std::move(o));
  for (const auto& [ip, listing] : addresses_in_ranges) loader.Add(ip, listing);
  absl::flat_hash_set<std::string> good_domains;
  auto batch = store_->NewBatch();
  absl::Status error;
  for (std::string_view prefix : {"dom:", "ip:"}) {
    store_->ForEach(Store::kSubjects, prefix, [&](std::string_view key, std::string_view value) {
      Record rec;
      if (!DecodeRecord(value, &rec)) {
        error = absl::DataLossError(absl::StrCat("corrupt record for ", AsAbsl(key)));
        return;
      }
      Subject s;
      s.is_domain = prefix == "dom:";
      std::string_view text = key.substr(prefix.size());
      if (s.is_domain) {
        s.domain = std::string(text);
      } else if (auto ip = IpAddress::Parse(text)) {
        s.ip = *ip;
      } else {
        return;
      }
      Evaluation e = model_.Evaluate(rec, now, /*explain=*/false);
      if (e.listed != rec.listed && !options_.read_only) {
        batch.Merge(s.Key(),
                    EncodeSetListed(e.listed, now, model_.params().relist_window_days * kDay));
      }
      bool shared = false;
      if (!s.is_domain && rec.domains.size() >= options_.model.shared_ip_min_domains) {
        int good = 0;
        for (const auto& d : rec.domains) good += good_domains.contains(d);
        shared = good >= options_.model.shared_ip_min_domains;
      }
      if (s.is_domain && e.good_standing) good_domains.insert(s.domain);
      load(s, MakeListing(&e, FindOverride(s, now), shared));
    });
  }
  if (!error.ok()) return error;
  uint32_t floor = 0;
  if (auto stored = store_->Get(Store::kMeta, "serial");
      stored.ok() && *stored && (*stored)->size() == 4) {
    std::memcpy(&floor, (*stored)->data(), 4);
  }
  index_.Reset(std::move(loader), floor);
  expiring_overrides_ = std::move(expiring_overrides);
  size_t count = index_.Current()->Size();
  if (!options_.read_only) {
    uint32_t serial = index_.Current()->Serial();
    batch.Put(Store::kMeta, "serial", std::string(reinterpret_cast<const char*>(&serial), 4));
    if (auto s = store_->Commit(batch, true); !s.ok()) return s;
  }
  spdlog::info("listing index rebuilt: {} subjects, {} overrides", count, overrides);
  ReleaseFreeMemory();
  return absl::OkStatus();
}

absl::StatusOr<IngestOutcome> Engine::Ingest(const std::vector<Event>& events) {
  IngestOutcome outcome;
  if (events.empty()) return outcome;
  std::unique_lock lock(writer_mu_);
  const int64_t now = Now();
  const int64_t oldest = now - options_.event_log_retention_days * kDay;
  std::vector<std::string_view> ids;
  ids.reserve(events.size());
  for (const auto& e : events) ids.push_back(e.id);
  std::vector<bool> seen = store_->Exists(Store::kEvents, ids);

  // Views of the caller's ids, which outlive this call.
  absl::flat_hash_set<std::string_view> batch_ids;
  batch_ids.reserve(events.size());
  // Increments grouped per subject: one merge operand per subject per batch.
  // Per subject key: its place in `touched`, and its increments.
  absl::flat_hash_map<std::string, std::pair<size_t, absl::InlinedVector<Increment, 1>>>
      per_subject;
  per_subject.reserve(events.size() * 2);
  // Subjects in order of first touch, their keys, and whether any of their evidence can list
  // them.
  struct Touched {
    Subject subject;
    std::string key;
    bool can_list;
  };
  std::vector<Touched> touched;
  touched.reserve(events.size() * 2);
  std::vector<const Event*> logged;
  logged.reserve(events.size());
  auto batch = store_->NewBatch();
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const bool syncing = absl::c_any_of(
        in_flight_, [&](const auto* ids_of_call) { return ids_of_call->contains(e.id); });
    if (seen[i] || syncing || !batch_ids.insert(e.id).second) {
      ++outcome.duplicate;
      continue;
    }
    if (e.time < oldest) {
      outcome.rejected.emplace_back(i, absl::StrCat("field 'time': older than the retention of ",
                                                    options_.event_log_retention_days, " days"));
      continue;
    }
    ++outcome.accepted;
    const double trust = model_.Trust(e.reporter);
    Increment inc;
    inc.reporter = e.reporter;
    inc.type = e.type;
    inc.time = e.time;
    inc.raw = e.count;
    inc.weight = IsVolume(e.type) ? 1.0 : trust;
    inc.cap = trust < 1.0 ? model_.params().untrusted_cap_per_day : 0;
    const bool can_list = !IsVolume(e.type);
    auto push = [&](const Subject& s, std::string key, const Increment& increment) {
      auto [it, fresh] = per_subject.try_emplace(key);
      auto& [place, increments] = it->second;
      if (fresh) {
        place = touched.size();
        touched.push_back({s, std::move(key), can_list});
      }
      touched[place].can_list |= can_list;
      increments.push_back(increment);
    };
    if (e.ip) {
      Increment ip_inc = inc;
      if (IsVolume(e.type) && !e.domain.empty()) ip_inc.domain = e.domain;
      // The /24 or /64 needs no record of its own: the one thing MODEL.md asks of it, whether
      // it holds listed IPs, is counted from the index.
      push(Subject{false, *e.ip, {}}, IpKey(*e.ip), ip_inc);
    }
    if (!e.domain.empty()) {
      push(Subject{true, {}, e.domain}, DomainKey(e.domain), inc);
      std::string org = OrganizationalDomain(e.domain);
      if (org != e.domain) push(Subject{true, {}, org}, DomainKey(org), inc);
    }
    logged.push_back(&e);
  }
  // Keys go into the batch in order: RocksDB's memtable reuses the previous insert's position in
  // its skip list, so sorted inserts skip most of the search (about 2x on ingestion).
  std::sort(logged.begin(), logged.end(),
            [](const Event* a, const Event* b) { return a->id < b->id; });
  for (const Event* e : logged) {
    batch.Put(Store::kEvents, e->id,
              absl::StrCat(Encode64(e->time), AsAbsl(EventTypeName(e->type)), "\t",
                           e->ip ? e->ip->ToString() : "", "\t", e->domain, "\t", e->reporter, "\t",
                           e->count, "\t", e->mail_from, "\t", e->helo));
  }
  std::vector<std::pair<std::string_view, const absl::InlinedVector<Increment, 1>*>> merges;
  merges.reserve(per_subject.size());
  for (const auto& [key, entry] : per_subject) merges.emplace_back(key, &entry.second);
  std::sort(merges.begin(), merges.end());
  for (const auto& [key, incs] : merges) batch.Merge(key, EncodeIncrements(*incs));
  if (batch.Count() == 0) return outcome;
  // The ids are reserved while the batch syncs outside the lock, so that concurrent requests
  // share one WAL sync (RocksDB group commit) and still never count an id twice.
  in_flight_.push_back(&batch_ids);
  lock.unlock();
  absl::Status committed = store_->Commit(batch, /*sync=*/true);
  lock.lock();
  in_flight_.erase(absl::c_find(in_flight_, &batch_ids));
  lock.unlock();
  if (!committed.ok()) return committed;
  std::vector<std::pair<Subject, std::string>> prompt, volume;
  for (auto& [subject, key, can_list] : touched)
    (can_list ? prompt : volume).emplace_back(std::move(subject), std::move(key));
  Enqueue(std::move(prompt), /*prompt=*/true);
  Enqueue(std::move(volume), /*prompt=*/false);
  return outcome;
}

absl::Status Engine::Refresh(const std::vector<Subject>& subjects, int64_t now) {
  std::lock_guard refresh_lock(refresh_mu_);
  auto batch = store_->NewBatch();
  // Domains are published before IPs: whether an IP is shared depends on its domains' standing.
  for (bool domains : {true, false}) {
    std::vector<const Subject*> pass;
    std::vector<std::string> keys;
    for (const Subject& s : subjects) {
      if (s.is_domain != domains) continue;
      pass.push_back(&s);
      keys.push_back(s.Key());
    }
    auto records = store_->GetRecords(keys);
    std::vector<ListingChange> changes;
    for (size_t i = 0; i < pass.size(); ++i) {
      const Subject& s = *pass[i];
      auto& rec = records[i];
      if (!rec.ok()) return rec.status();
      if (!*rec) {
        // An address without a record, under a network listing alone, is served by that.
        auto o = FindOverride(s, now, /*networks=*/false);
        changes.push_back({s.is_domain, s.ip, s.domain, std::nullopt,
                           o ? std::optional(MakeListing(nullptr, o, false)) : std::nullopt});
        continue;
      }
      auto o = FindOverride(s, now);
      Evaluation e = model_.Evaluate(**rec, now, /*explain=*/false);
      if (e.listed != (*rec)->listed) {
        batch.Merge(s.Key(),
                    EncodeSetListed(e.listed, now, model_.params().relist_window_days * kDay));
      }
      bool shared = !s.is_domain && IsShared(**rec);
      changes.push_back({s.is_domain, s.ip, s.domain, std::nullopt, MakeListing(&e, o, shared)});
    }
    index_.Apply(std::move(changes));
  }
  uint32_t serial = index_.Current()->Serial();
  batch.Put(Store::kMeta, "serial", std::string(reinterpret_cast<const char*>(&serial), 4));
  return store_->Commit(batch, /*sync=*/false);
}

SubjectReport Engine::Report(const Subject& s, int64_t now) {
  SubjectReport r;
  r.kind = s.is_domain ? "domain" : "ip";
  r.subject = s.Text();
  r.aggregate = s.is_domain ? OrganizationalDomain(s.domain)
                            : s.ip.Prefix().ToString() + "/" + std::to_string(s.ip.PrefixLength());
  auto rec = store_->GetRecord(s.Key());
  r.override_entry = FindOverride(s, now);
  if (!s.is_domain) r.aggregate_listed_ips = ListedInPrefix(s.ip);
  if (!rec.ok()) {
    r.reasons.push_back("store error: " + std::string(rec.status().message()));
    return r;
  }
  Evaluation e;
  bool have = rec->has_value();
  if (have) {
    const Record& record = **rec;
    e = model_.Evaluate(record, now);
    r.known = true;
    r.first_seen = record.first_seen;
    r.last_seen = record.last_seen;
    r.delisted_at = record.delisted_at;
    r.relistings = static_cast<int>(record.relisted.size());
    r.shared = !s.is_domain && IsShared(record);
  } else {
    e.score = model_.Score(0, 0);
  }
  r.score = e.score;
  r.confidence = e.confidence;
  r.listed = e.listings;
  r.reasons = e.reasons;
  r.volume = e.volume;
  r.complaints = e.complaints;
  r.credible_complaints = e.credible;
  r.traps = e.traps;
  r.bots = e.bots;
  r.forgeries = e.forgeries;
  r.complaint_reporters = e.complaint_reporters;
  r.good_standing = e.good_standing;
  r.allow_trust = e.allow_trust;
  if (r.override_entry) {
    const Override& o = *r.override_entry;
    // An exclusion says nothing about the subject itself.
    r.known |= o.action != Override::Action::kExclude;
    if (o.action == Override::Action::kAllow) {
      r.listed.clear();
      r.allow_trust = 3;
      r.reasons.push_back("operator allow-listed: " + o.reason);
    } else if (o.action == Override::Action::kExclude) {
      r.reasons.push_back("left out of the operator's network listings: " + o.reason);
    } else {
      int code = o.category != 0                         ? o.category
                 : o.action == Override::Action::kPolicy ? kCategoryPolicy
                                                         : kCategoryManual;
      r.listed.push_back({code, std::string(CategoryName(code)), "operator listing: " + o.reason});
      r.reasons.push_back("operator listing: " + o.reason);
      r.good_standing = false;
      r.allow_trust = -1;
    }
  }
  if (!have && !r.override_entry) r.reasons.push_back("no evidence about this subject");
  if (r.shared) {
    r.reasons.push_back(
        "a shared provider IP: it carried verified mail for several domains in good standing");
  }
  return r;
}

SubjectReport Engine::ReportIp(const IpAddress& ip, int64_t now) {
  return Report(Subject{false, ip, {}}, now);
}

SubjectReport Engine::ReportDomain(const std::string& domain, int64_t now) {
  return Report(Subject{true, {}, domain}, now);
}

CheckResult Engine::Check(const CheckRequest& req, int64_t now) {
  CheckResult out;
  auto decide = [&](std::string action, std::string reason) {
    out.action = std::move(action);
    out.reasons.push_back(std::move(reason));
    return out;
  };
  std::optional<SubjectReport> ip;
  if (req.ip) ip = ReportIp(*req.ip, now);
  std::vector<SubjectReport> domains;
  for (const auto& d : req.dkim_domains) domains.push_back(ReportDomain(d, now));
  out.subjects = domains;
  if (ip) out.subjects.insert(out.subjects.begin(), *ip);
  out.score = ip ? ip->score : (domains.empty() ? model_.Score(0, 0) : domains.front().score);
  if (!req.helo.empty() || !req.mail_from.empty()) {
    out.reasons.push_back("HELO and MAIL FROM are unverified claims: they earn no reputation");
  }
  auto has = [](const SubjectReport& r, std::initializer_list<int> codes) {
    for (const auto& l : r.listed) {
      if (std::find(codes.begin(), codes.end(), l.code) != codes.end()) return true;
    }
    return false;
  };
  // 1. Overrides.
  for (const SubjectReport* r : [&] {
         std::vector<const SubjectReport*> all;
         if (ip) all.push_back(&*ip);
         for (const auto& d : domains) all.push_back(&d);
         return all;
       }()) {
    if (!r->override_entry) continue;
    if (r->override_entry->action == Override::Action::kAllow) {
      return decide("accept", absl::StrCat(r->kind, " ", r->subject,
                                           " is allow-listed by the "
                                           "operator: ",
                                           r->override_entry->reason));
    }
    if (r->override_entry->action == Override::Action::kBlock) {
      return decide("reject", absl::StrCat(r->kind, " ", r->subject,
                                           " is blocked by the "
                                           "operator: ",
                                           r->override_entry->reason));
    }
  }
  if (ip) {
    // 2. Hard IP listings; 3. spam or trap listings of an IP that is not a provider's.
    if (has(*ip, {kCategoryBot, kCategoryForgery, kCategoryPolicy, kCategoryManual}) ||
        (!ip->shared && has(*ip, {kCategorySpam, kCategoryTrap}))) {
      std::vector<std::string> why;
      for (const auto& l : ip->listed) why.push_back(l.reason);
      return decide("reject",
                    absl::StrCat("IP ", ip->subject, " is listed: ", absl::StrJoin(why, "; ")));
    }
  }
  // 4. Verified domains.
  for (const auto& d : domains) {
    if (!d.listed.empty()) {
      return decide("reject", absl::StrCat("DKIM-verified domain ", d.subject,
                                           " is listed: ", d.listed.front().reason));
    }
  }
  for (const auto& d : domains) {
    if (d.good_standing) {
      out.score = d.score;
      return decide("accept", absl::StrCat("DKIM-verified domain ", d.subject,
                                           " is in good standing (score ", d.score, ")"));
    }
  }
  if (!ip) return decide("neutral", "no IP and no verified domain in good standing");
  // A provider's IP says little about the sender: once the verified domains are known (after
  // DATA), mail from it is judged by them, and none is in good standing yet.
  if (ip->shared && !domains.empty()) {
    return decide("tempfail", absl::StrCat("shared provider IP ", ip->subject,
                                           ": mail from it is judged by its DKIM-verified "
                                           "domain, and none is in good standing yet"));
  }
  // 5. An IP never seen before: its prefix is only a weak prior.
  if (!ip->known) {
    if (ip->aggregate_listed_ips > 0) {
      return decide("tempfail", absl::StrCat("IP ", ip->subject, " has no history and its prefix ",
                                             ip->aggregate, " holds ", ip->aggregate_listed_ips,
                                             " listed IP(s): try again later"));
    }
    return decide("neutral", absl::StrCat("IP ", ip->subject, " has no history"));
  }
  // 6. A provider's IP with spam or trap evidence: judged by the domain, which is missing.
  if (ip->shared && has(*ip, {kCategorySpam, kCategoryTrap})) {
    return decide("tempfail", absl::StrCat("shared provider IP ", ip->subject,
                                           " is listed and no verified domain in good standing "
                                           "vouches for this mail"));
  }
  // 7. The IP's own score.
  const auto& p = model_.params();
  if (ip->score < p.reject_below_score) {
    return decide("reject", absl::StrCat("IP ", ip->subject, " has a score of ", ip->score));
  }
  if (ip->score < p.tempfail_below_score) {
    return decide("tempfail", absl::StrCat("IP ", ip->subject, " has a low score of ", ip->score));
  }
  return decide("accept", absl::StrCat("IP ", ip->subject, " has a score of ", ip->score));
}

absl::Status Engine::ApplyOverrides(const std::vector<Override>& entries, bool remove) {
  const int64_t now = Now();
  auto batch = store_->NewBatch();
  std::vector<Subject> subjects;
  for (const auto& o : entries) {
    std::string key = OverrideKey(o.is_domain, o.subject);
    if (remove) {
      batch.Delete(Store::kOverrides, key);
    } else {
      batch.Put(Store::kOverrides, key, EncodeOverride(o));
    }
    ForEachOverrideSubject(o, [&](const Subject& subject) { subjects.push_back(subject); });
    if (!remove && o.expires != 0) expiring_overrides_.emplace(o.expires, o);
  }
  if (auto s = store_->Commit(batch, true); !s.ok()) return s;
  {
    std::unique_lock lock(overrides_mu_);
    for (const auto& o : entries) RememberRangeOverride(o, remove);
  }
  if (auto s = ApplyNetworkOverrides(entries, remove, now); !s.ok()) return s;
  return Refresh(subjects, now);
}

absl::Status Engine::ApplyNetworkOverrides(const std::vector<Override>& entries, bool remove,
                                           int64_t now) {
  std::vector<ListingChange> changes;
  bool domains = false;
  for (const auto& o : entries) {
    auto network = NetworkOf(o);
    if (!network) continue;
    domains |= network->is_domain;
    if (!remove) network->after = MakeListing(nullptr, o, false);
    changes.push_back(std::move(*network));
  }
  if (changes.empty()) return absl::OkStatus();
  std::vector<Subject> inside;
  auto snapshot = index_.Current();
  snapshot->ForEachIp([&](const IpAddress& ip, const Listing&) {
    for (const auto& c : changes) {
      if (!c.is_domain && ip.v4 == c.ip.v4 && ip.Masked(c.prefix_length) == c.ip) {
        inside.push_back(Subject{false, ip, {}});
        break;
      }
    }
  });
  if (domains) {
    snapshot->ForEachDomain([&](std::string_view d, const Listing&) {
      const bool under = FindParentDomain(d, [&](std::string_view parent) {
                           return std::any_of(changes.begin(), changes.end(), [&](const auto& c) {
                             return c.is_domain && c.domain == parent;
                           });
                         }).has_value();
      if (under) inside.push_back(Subject{true, {}, std::string(d)});
    });
  }
  snapshot.reset();
  {
    std::lock_guard refresh_lock(refresh_mu_);
    index_.Apply(std::move(changes));
  }
  return inside.empty() ? absl::OkStatus() : Refresh(inside, now);
}

namespace {
absl::Status ValidateOverride(Override& o) {
  if (o.is_domain) {
    // "*.example.com": every name under example.com (rbldnsd's wildcard entries).
    const bool subdomains = absl::StartsWith(o.subject, "*.");
    auto d = NormalizeDomain(subdomains ? o.subject.substr(2) : o.subject);
    if (!d) return absl::InvalidArgumentError("subject: not a valid domain name: " + o.subject);
    o.subject = subdomains ? "*." + *d : *d;
  } else if (o.subject.find('/') != std::string::npos) {
    auto cidr = ParseCidr(o.subject);
    if (!cidr) {
      return absl::InvalidArgumentError(
          "subject: ranges must be IPv4 CIDRs from /8 to /32 or IPv6 prefixes from /16 to "
          "/128: " +
          o.subject);
    }
    o.subject = cidr->first.ToString() + "/" + std::to_string(cidr->second);
  } else {
    auto ip = IpAddress::Parse(o.subject);
    if (!ip) return absl::InvalidArgumentError("subject: not an IP address: " + o.subject);
    o.subject = ip->ToString();
  }
  if (o.category < 0 || o.category > 31) {
    return absl::InvalidArgumentError("category: must be a code from 1 to 31");
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status Engine::PutOverride(const Override& entry) { return PutOverrides({entry}); }

absl::Status Engine::PutOverrides(const std::vector<Override>& entries) {
  std::vector<Override> valid = entries;
  size_t addresses = 0;
  for (auto& o : valid) {
    if (auto s = ValidateOverride(o); !s.ok()) return s;
    auto cidr = ParseCidr(o.subject);
    if (cidr && Expanded(*cidr)) addresses += size_t{1} << (cidr->first.Bits() - cidr->second);
  }
  if (addresses > 16 * kMaxCidrAddresses) {
    return absl::InvalidArgumentError("ranges in one request cover too many addresses");
  }
  std::lock_guard lock(writer_mu_);
  return ApplyOverrides(valid, false);
}

std::vector<Override> Engine::ListOverrides() {
  std::vector<Override> out;
  store_->ForEach(Store::kOverrides, "", [&](std::string_view, std::string_view value) {
    if (auto o = DecodeOverride(value)) out.push_back(std::move(*o));
  });
  return out;
}

absl::Status Engine::DeleteOverride(bool is_domain, const std::string& subject) {
  Override o;
  o.is_domain = is_domain;
  o.subject = subject;
  if (auto s = ValidateOverride(o); !s.ok()) return s;
  std::lock_guard lock(writer_mu_);
  auto existing = store_->Get(Store::kOverrides, OverrideKey(is_domain, o.subject));
  if (!existing.ok()) return existing.status();
  if (!*existing) return absl::NotFoundError("no override for " + o.subject);
  return ApplyOverrides({o}, true);
}

absl::StatusOr<DelistOutcome> Engine::Delist(bool is_domain, const std::string& subject,
                                             const std::string& requester, int64_t now) {
  Subject s;
  s.is_domain = is_domain;
  if (is_domain) {
    auto d = NormalizeDomain(subject);
    if (!d) return absl::InvalidArgumentError("subject: not a valid domain name");
    s.domain = *d;
  } else {
    auto ip = IpAddress::Parse(subject);
    if (!ip) return absl::InvalidArgumentError("subject: not an IP address");
    s.ip = *ip;
  }
  std::lock_guard lock(writer_mu_);
  DelistOutcome out;
  auto rec = store_->GetRecord(s.Key());
  if (!rec.ok()) return rec.status();
  Evaluation e;
  if (*rec) e = model_.Evaluate(**rec, now);
  auto o = FindOverride(s, now);
  if (o && (o->action == Override::Action::kBlock || o->action == Override::Action::kPolicy)) {
    out.status = "override";
    out.message = "listed by the operator (" + o->reason +
                  "): self-service delisting does not apply; contact the operator";
  } else if (e.listed == 0) {
    out.status = "not_listed";
    out.message = s.Text() + " is not listed";
  } else {
    int64_t wait = model_.DelistWait(**rec, now);
    if (now - (*rec)->last_bad < wait) {
      out.status = "too_soon";
      out.retry_after = (*rec)->last_bad + wait;
      out.message = absl::StrCat(
          "the latest evidence is recent; self-service delisting is "
          "possible from ",
          out.retry_after, " (unix time)");
    } else {
      out.status = "delisted";
      out.delisted = true;
      out.message = s.Text() + " is delisted; new evidence will list it again";
    }
  }
  auto batch = store_->NewBatch();
  if (out.delisted) batch.Merge(s.Key(), EncodeDelist(now));
  std::vector<std::string> evidence;
  for (const auto& l : e.listings) evidence.push_back(l.reason);
  batch.Put(Store::kAudit, s.Key() + "\t" + Store::TimeKey(now, requester),
            absl::StrCat("requester=", requester, "\toutcome=", out.status,
                         "\tevidence=", absl::StrJoin(evidence, "; ")));
  if (auto st = store_->Commit(batch, true); !st.ok()) return st;
  if (out.delisted) {
    if (auto st = Refresh({s}, now); !st.ok()) return st;
  }
  spdlog::info("delist request for {} by {}: {}", s.Text(), requester, out.status);
  return out;
}

void Engine::Sweep(int64_t now) {
  // Refreshed in bounded chunks: a million listed subjects must not mean a million-entry
  // vector of subjects, records and changes at once.
  constexpr size_t kChunk = 4096;
  std::vector<Subject> chunk;
  absl::Status status;
  auto add = [&](Subject s) {
    chunk.push_back(std::move(s));
    if (chunk.size() < kChunk) return;
    if (status.ok()) status = Refresh(chunk, now);
    chunk.clear();
  };
  // Time alone changes two things: evidence decays (listings end, good standing begins), and
  // overrides expire. Subjects known only from an override that does not expire (a whole
  // imported blocklist) are left alone.
  auto snapshot = index_.Current();
  snapshot->ForEachDomain([&](std::string_view d, const Listing& l) {
    if (l.has_score) add(Subject{true, {}, std::string(d)});
  });
  snapshot->ForEachIp([&](const IpAddress& ip, const Listing& l) {
    if (l.has_score) add(Subject{false, ip, {}});
  });
  snapshot.reset();
  // Ingestion waits only for the overrides part: Refresh serialises itself, and a sweep over a
  // million scored subjects takes seconds.
  std::unique_lock lock(writer_mu_);
  // An override that has ended leaves the store too, so that GET /v1/overrides shows only
  // those in force; unless what is stored now is a later version with a later expiry.
  std::vector<Override> ended;
  while (!expiring_overrides_.empty() && expiring_overrides_.begin()->first <= now) {
    const Override& o = expiring_overrides_.begin()->second;
    auto stored = store_->Get(Store::kOverrides, OverrideKey(o.is_domain, o.subject));
    if (stored.ok() && *stored) {
      auto current = DecodeOverride(**stored);
      if (current && current->expires != 0 && current->expires <= now) ended.push_back(*current);
    }
    ForEachOverrideSubject(o, add);
    expiring_overrides_.erase(expiring_overrides_.begin());
  }
  if (!ended.empty()) {
    if (auto s = ApplyOverrides(ended, true); !s.ok() && status.ok()) status = s;
  }
  if (status.ok() && !chunk.empty()) status = Refresh(chunk, now);
  lock.unlock();
  if (!status.ok()) spdlog::error("sweep: {}", status.ToString());
  store_->ExpireBefore(now - options_.event_log_retention_days * kDay);
  // Index folds and import batches since the last sweep freed their old copies.
  ReleaseFreeMemory();
}

std::vector<std::pair<std::string, double>> Engine::StoreFigures() {
  auto figures = store_->Figures();
  figures.emplace_back("listing_index_subjects", static_cast<double>(index_.Current()->Size()));
  return figures;
}

}  // namespace repd::reputation
