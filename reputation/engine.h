// engine.h -- the implementation of reputation::Reputation (see reputation.h).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "reputation/model.h"
#include "reputation/range_table.h"
#include "reputation/reputation.h"
#include "reputation/store.h"

namespace repd::reputation {

class Engine final : public Reputation {
 public:
  Engine(const ReputationOptions& options, std::unique_ptr<Store> store);
  ~Engine() override;
  absl::Status Rebuild(int64_t now);
  int64_t Now() const { return clock_(); }

  const ListingIndex& index() const override { return index_; }
  absl::StatusOr<IngestOutcome> Ingest(const std::vector<Event>& events) override;
  SubjectReport ReportIp(const IpAddress& ip, int64_t now) override;
  SubjectReport ReportDomain(const std::string& domain, int64_t now) override;
  CheckResult Check(const CheckRequest& request, int64_t now) override;
  absl::Status PutOverride(const Override& entry) override;
  absl::Status PutOverrides(const std::vector<Override>& entries) override;
  std::vector<Override> ListOverrides() override;
  absl::Status DeleteOverride(bool is_domain, const std::string& subject) override;
  absl::StatusOr<DelistOutcome> Delist(bool is_domain, const std::string& subject,
                                       const std::string& requester, int64_t now) override;
  void WaitForIndex() override;
  void Sweep(int64_t now) override;
  std::vector<std::pair<std::string, double>> StoreFigures() override;

 private:
  struct Subject {
    bool is_domain = false;
    IpAddress ip;
    std::string domain;
    std::string Key() const;
    std::string Text() const { return is_domain ? domain : ip.ToString(); }
  };

  // The override that applies to a subject (exact, or the longest range holding the IP);
  // expired ones do not apply. Without `networks`, ranges that the index serves as network
  // listings (see ForEachOverrideSubject) are left out.
  std::optional<Override> FindOverride(const Subject& s, int64_t now, bool networks = true) const;
  // The subjects an override applies to: a narrow range (IPv4, at most a /16) stands for each
  // of its addresses; a wider one, or an IPv6 prefix, is one network listing in the index and
  // has no subjects here.
  template <typename Fn>
  static void ForEachOverrideSubject(const Override& o, Fn&& fn);
  bool IsShared(const Record& record) const;
  Listing MakeListing(const Evaluation* e, const std::optional<Override>& o, bool shared) const;
  // Re-evaluates subjects after a write: index updates plus hysteresis state in the store.
  absl::Status Refresh(const std::vector<Subject>& subjects, int64_t now);
  SubjectReport Report(const Subject& s, int64_t now);
  int ListedInPrefix(const IpAddress& ip) const;
  void CountPrefixes(uint32_t, uint32_t, const std::vector<ListingChange>& changes);
  absl::Status ApplyOverrides(const std::vector<Override>& entries, bool remove);
  // Keeps range and "*.domain" overrides in memory (under overrides_mu_); others are ignored.
  void RememberRangeOverride(const Override& o, bool remove);
  // Publishes network listings of range overrides, and refreshes the listed addresses inside
  // them (their own listing includes the range's).
  absl::Status ApplyNetworkOverrides(const std::vector<Override>& entries, bool remove,
                                     int64_t now);
  // `prompt`: the subjects drew evidence that can list them (complaints, traps, bots, forgery),
  // published first. Volume evidence only relaxes a standing; it waits while prompt work is
  // queued, so that bulk DMARC data cannot delay a listing.
  // Each subject comes with its store key.
  void Enqueue(std::vector<std::pair<Subject, std::string>> subjects, bool prompt);
  void RefreshLoop();

  ReputationOptions options_;
  std::unique_ptr<Store> store_;
  std::function<int64_t()> clock_;
  Model model_;
  ListingIndex index_;
  absl::flat_hash_map<std::string, double> trust_;

  std::mutex writer_mu_;  // one writer at a time: ingest, overrides, delisting, sweep
  // The ids of Ingest calls whose batches are syncing (under writer_mu_): each call's own set,
  // listed while it syncs, so that no id is copied or hashed twice on the way.
  std::vector<const absl::flat_hash_set<std::string_view>*> in_flight_;
  // One Refresh at a time, reading inside the lock: the last published evaluation is always
  // of the latest evidence.
  std::mutex refresh_mu_;
  // Subjects touched by ingestion, waiting for the refresher (coalesced by key).
  std::mutex queue_mu_;
  std::condition_variable queue_cv_, idle_cv_;
  std::vector<Subject> queue_, volume_queue_;
  absl::flat_hash_set<std::string> queued_, volume_queued_;
  bool refreshing_ = false, stopping_ = false;
  std::thread refresher_;
  mutable std::shared_mutex overrides_mu_;
  RangeTable<Override> range_overrides_;  // ranges only
  // Overrides of every name under a domain ("*.example.com"), by that domain.
  absl::flat_hash_map<std::string, Override> subdomain_overrides_;
  // Overrides that end by themselves, by expiry time (under writer_mu_): the sweep refreshes
  // their subjects when they end instead of re-reading every listed subject each time.
  // Entries of replaced or deleted overrides stay until they pop; refreshing is idempotent.
  std::multimap<int64_t, Override> expiring_overrides_;
  // Listed IPs per /24 (IPv4) and /64 (IPv6), for MODEL.md's neighbour prior. Binary keys:
  // a million listed IPs can span as many prefixes.
  struct PrefixCounts {
    absl::flat_hash_map<uint32_t, uint32_t> v4;
    absl::flat_hash_map<uint64_t, uint32_t> v6;
    void Add(const IpAddress& ip, int delta);
    int Get(const IpAddress& ip) const;
  };
  mutable std::mutex prefix_mu_;
  PrefixCounts listed_per_prefix_;
};

}  // namespace repd::reputation
