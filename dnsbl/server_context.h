// server_context.h -- what every DNS transport shares: the zones, the index, the metrics
// handles (looked up once), the transfer ACL and the response-rate limiter.
#pragma once

#include <memory>
#include <vector>

#include "common/metrics.h"
#include "dnsbl/acl.h"
#include "dnsbl/answer.h"
#include "dnsbl/rrl.h"
#include "dnsbl/zone.h"
#include "reputation/listing_index.h"

namespace repd::dnsbl {

class Journal;
class TsigKey;

struct ZoneMetrics {
  metrics::Counter* queries = nullptr;
  metrics::Histogram* latency = nullptr;
};

struct ServerMetrics {
  std::vector<ZoneMetrics> zones;  // parallel to ZoneSet::zones()
  ZoneMetrics other;               // refused, malformed
  metrics::Counter* nxdomain = nullptr;
  metrics::Counter* refused = nullptr;
  metrics::Counter* formerr = nullptr;
  metrics::Counter* truncated = nullptr;
  metrics::Counter* dropped = nullptr;
  metrics::Counter* rate_limited = nullptr;
  metrics::Counter* axfr = nullptr;
  metrics::Counter* ixfr = nullptr;  // answered incrementally (not as a full zone)
  metrics::Counter* transfers_refused = nullptr;
  metrics::Counter* notifies = nullptr;

  static ServerMetrics Register(const ZoneSet& zones);
  // Counts one answer (the zone's queries, its rcode).
  const ZoneMetrics& Count(const ZoneSet& zones, const AnswerInfo& info) const;
};

struct ServerContext {
  ZoneSet zones;
  const reputation::ListingIndex& index;
  ServerMetrics metrics;
  Acl transfer_acl;
  std::unique_ptr<RateLimiter> rrl;  // null: off
  std::shared_ptr<Journal> journal;
  std::shared_ptr<const TsigKey> tsig;  // null: transfers are not signed
};

}  // namespace repd::dnsbl
