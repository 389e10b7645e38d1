// reputation.h -- the reputation engine: the one entry point of api/, dnsbl/ and cmd/ into
// reputation/. It owns the RocksDB store, applies MODEL.md and keeps the ListingIndex current.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reputation/feedback.h"
#include "reputation/listing_index.h"
#include "reputation/model_params.h"
#include "reputation/subject.h"

namespace repd::reputation {

struct ReporterConfig {
  std::string name;
  double trust = 1.0;
};

struct ReputationOptions {
  std::string data_dir = "var";
  ModelParams model;
  double default_reporter_trust = 0.25;
  std::vector<ReporterConfig> reporters;
  int event_log_retention_days = 90;
  // Text of TXT answers; "$" is replaced by the queried subject.
  std::string txt_template = "Listed by repd: {reason}. See http://repd.test/lookup/$";
  bool read_only = false;  // `repd query` / `repd export` on a stopped service's data dir
  // Unix seconds now; the system clock when empty (simulations and tests set their own).
  std::function<int64_t()> clock;
};

// Outcome of a feedback batch, line by line.
struct IngestOutcome {
  size_t accepted = 0;
  size_t duplicate = 0;
  // Events refused by the engine (e.g. older than the retention), by index in the batch.
  std::vector<std::pair<size_t, std::string>> rejected;
};

struct Override {
  // kExclude: the subject is left out of the operator's network and wildcard listings that
  // hold it (rbldnsd's "!entry"); its own evidence still counts. Not an allow-listing.
  enum class Action { kAllow, kBlock, kPolicy, kExclude };
  bool is_domain = false;
  std::string subject;  // normalised IP text, CIDR prefix, or domain
  Action action = Action::kBlock;
  std::string reason;
  std::string txt;   // optional TXT text for DNS (imports carry their own)
  int category = 0;  // for kBlock/kPolicy: category code served; 0 = manual (20) / policy (10)
  int64_t created = 0;
  int64_t expires = 0;  // unix seconds, 0 = never
};

struct CategoryListing {
  int code = 0;
  std::string name;
  std::string reason;  // in words, e.g. "spamtrap hits from 2 reporters (4.0 weighted)"
};

// Everything the HTTP API says about one subject.
struct SubjectReport {
  std::string kind;  // "ip" | "domain"
  std::string subject;
  bool known = false;  // any evidence or override at all
  int score = 0;
  double confidence = 0;
  std::vector<CategoryListing> listed;
  std::vector<std::string> reasons;  // every statement that shaped the verdict
  double volume = 0, complaints = 0, credible_complaints = 0, traps = 0, bots = 0,
         forgeries = 0;  // decayed, trust-weighted
  int complaint_reporters = 0;
  int64_t first_seen = 0, last_seen = 0;
  bool good_standing = false;
  bool shared = false;  // ip only
  int allow_trust = -1;
  std::string aggregate;         // the /24 or /64 of an IP, the organisational domain of a domain
  int aggregate_listed_ips = 0;  // ip only: listed IPs in the same prefix
  std::optional<Override> override_entry;
  int64_t delisted_at = 0;
  int relistings = 0;
};

struct CheckRequest {
  std::optional<IpAddress> ip;
  std::string helo;
  std::string mail_from;
  std::vector<std::string> dkim_domains;  // verified d= domains, normalised
};

struct CheckResult {
  std::string action;  // accept | reject | tempfail | neutral
  int score = 0;
  std::vector<std::string> reasons;
  std::vector<SubjectReport> subjects;
};

struct DelistOutcome {
  bool delisted = false;
  std::string status;  // "delisted" | "not_listed" | "too_soon" | "override"
  std::string message;
  int64_t retry_after = 0;  // unix seconds when a self-service request can succeed
};

class Reputation {
 public:
  static absl::StatusOr<std::unique_ptr<Reputation>> Open(const ReputationOptions& options);
  virtual ~Reputation() = default;

  virtual const ListingIndex& index() const = 0;

  // Durable (WAL synced) before it returns. Events whose id was seen before count as duplicate.
  virtual absl::StatusOr<IngestOutcome> Ingest(const std::vector<Event>& events) = 0;

  virtual SubjectReport ReportIp(const IpAddress& ip, int64_t now) = 0;
  virtual SubjectReport ReportDomain(const std::string& domain, int64_t now) = 0;
  virtual CheckResult Check(const CheckRequest& request, int64_t now) = 0;

  virtual absl::Status PutOverride(const Override& entry) = 0;
  // Many overrides in one durable batch (`repd import`, the admin import route).
  virtual absl::Status PutOverrides(const std::vector<Override>& entries) = 0;
  virtual std::vector<Override> ListOverrides() = 0;
  // NotFound when there is none.
  virtual absl::Status DeleteOverride(bool is_domain, const std::string& subject) = 0;
  virtual absl::StatusOr<DelistOutcome> Delist(bool is_domain, const std::string& subject,
                                               const std::string& requester, int64_t now) = 0;

  // Ingest returns once events are durable; the index catches up on its own thread within
  // milliseconds. This waits until everything ingested so far is visible in index().
  virtual void WaitForIndex() {}

  // Brings decayed listings up to date (they end on their own); run periodically.
  virtual void Sweep(int64_t now) = 0;

  // Store figures for /metrics (RocksDB properties) as name -> value.
  virtual std::vector<std::pair<std::string, double>> StoreFigures() = 0;
};

}  // namespace repd::reputation
