#include "dnsbl/server_context.h"

#include <string>

namespace repd::dnsbl {

namespace {

ZoneMetrics ZoneMetricsFor(const std::string& zone) {
  const std::string labels = "zone=\"" + zone + "\"";
  return {&metrics::GetCounter("repd_dns_queries_total", "DNS queries answered, by zone", labels),
          &metrics::GetHistogram("repd_dns_answer_seconds",
                                 "Time from receiving a DNS query to sending its answer", labels)};
}

metrics::Counter& Answers(const char* rcode) {
  return metrics::GetCounter("repd_dns_responses_total", "DNS responses by rcode",
                             std::string("rcode=\"") + rcode + "\"");
}

}  // namespace

ServerMetrics ServerMetrics::Register(const ZoneSet& zones) {
  ServerMetrics m;
  for (const Zone& zone : zones.zones()) m.zones.push_back(ZoneMetricsFor(zone.name));
  m.other = ZoneMetricsFor("none");
  m.nxdomain = &Answers("NXDOMAIN");
  m.refused = &Answers("REFUSED");
  m.formerr = &Answers("FORMERR");
  m.truncated =
      &metrics::GetCounter("repd_dns_truncated_total", "UDP answers sent truncated (TC=1)");
  m.dropped = &metrics::GetCounter("repd_dns_dropped_total",
                                   "DNS messages not answered (responses, garbage)");
  m.rate_limited = &metrics::GetCounter("repd_dns_rate_limited_total",
                                        "Answers dropped or slipped by response-rate limiting");
  m.axfr = &metrics::GetCounter("repd_dns_transfers_total", "Zone transfers served, by kind",
                                "kind=\"full\"");
  m.ixfr = &metrics::GetCounter("repd_dns_transfers_total", "Zone transfers served, by kind",
                                "kind=\"incremental\"");
  m.transfers_refused =
      &metrics::GetCounter("repd_dns_transfers_refused_total", "AXFR/IXFR refused (ACL, TSIG)");
  m.notifies = &metrics::GetCounter("repd_dns_notify_sent_total", "NOTIFY messages sent");
  return m;
}

const ZoneMetrics& ServerMetrics::Count(const ZoneSet& zones, const AnswerInfo& info) const {
  if (info.rcode == kNxDomain) nxdomain->Add();
  if (info.rcode == kRefused) refused->Add();
  if (info.rcode == kFormErr) formerr->Add();
  if (info.truncated) truncated->Add();
  const ZoneMetrics& m = info.zone == nullptr
                             ? other
                             : this->zones[static_cast<size_t>(info.zone - zones.zones().data())];
  m.queries->Add();
  return m;
}

}  // namespace repd::dnsbl
