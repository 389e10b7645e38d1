// dns_server.h -- the DNSBL server: UDP and TCP, answers from the ListingIndex.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reputation/listing_index.h"

namespace boost::asio {
class io_context;
}

namespace repd::dnsbl {

struct ZoneNames {
  std::string ip_block = "bl.repd.test";
  std::string domain_block = "dbl.repd.test";
  std::string allow = "wl.repd.test";
  std::string score = "score.repd.test";
};

struct DnsOptions {
  std::vector<std::string> listen = {"127.0.0.1:5353"};  // "ADDR:PORT", IPv6 as "[::1]:5353"
  ZoneNames zones;
  // More keys (TTLs, SOA fields, NS names, transfer ACL, NOTIFY targets, TSIG, rate limits)
  // are added by dnsbl/ and documented in data/repd.toml.
};

class DnsServer {
 public:
  // Binds every listen address (a busy port is an error naming it) and starts serving on `io`.
  static absl::StatusOr<std::unique_ptr<DnsServer>> Create(
      boost::asio::io_context& io, const DnsOptions& options,
      const reputation::ListingIndex& index);
  virtual ~DnsServer() = default;
  // Stops accepting; in-flight answers may complete.
  virtual void Stop() = 0;
};

}  // namespace repd::dnsbl
