// dns_server.h -- the DNSBL server: UDP and TCP, answers from the ListingIndex.
#pragma once

#include <cstddef>
#include <cstdint>
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
  // Every key below is documented in the [dns] section of data/repd.toml.
  uint32_t ttl = 300;          // A and TXT records of listed subjects
  uint32_t negative_ttl = 60;  // SOA MINIMUM: how long NXDOMAIN / NODATA are cached
  uint32_t soa_ttl = 3600;     // SOA and NS records
  uint32_t refresh = 3600;     // SOA timers for secondaries
  uint32_t retry = 600;
  uint32_t expire = 604800;
  std::vector<std::string> ns = {"ns1.repd.test"};
  std::string hostmaster;           // SOA RNAME as a name; empty: "hostmaster.<zone>"
  int allow_category = 20;          // <cat> of wl answers 127.0.<cat>.<trust> (dnswl: 20 = other)
  int shared_allow_category = 3;    // <cat> for a provider's shared IP (dnswl: 3 = ESP)
  uint16_t max_udp_payload = 1232;  // EDNS payload advertised and honoured (RFC 9715)
  uint32_t max_amplification = 6;   // a UDP answer is at most this many times the query
  int udp_sockets = 0;              // sockets (SO_REUSEPORT) per UDP address; 0 = cores
                                    // (repd serve passes its thread count)
  int tcp_idle_timeout_ms = 10000;
  int tcp_max_connections = 256;
  std::vector<std::string> transfer_allow = {"127.0.0.1/32", "::1/128"};  // AXFR/IXFR ACL
  std::vector<std::string> notify;  // secondaries told of new serials, "ADDR:PORT"
  std::string tsig_name;            // empty: no TSIG; else transfers must be signed
  std::string tsig_algorithm = "hmac-sha256";
  std::string tsig_secret;       // base64
  size_t ixfr_journal = 100000;  // subject changes kept for IXFR; older: full transfer
  uint32_t rrl_rate = 0;         // responses per second per client prefix; 0 = off
  uint32_t rrl_slip = 2;         // every Nth limited answer is sent truncated (TC=1)
  int rrl_ipv4_prefix = 24;
  int rrl_ipv6_prefix = 56;
};

class DnsServer {
 public:
  // Binds every listen address (a busy port is an error naming it) and starts serving on `io`.
  static absl::StatusOr<std::unique_ptr<DnsServer>> Create(boost::asio::io_context& io,
                                                           const DnsOptions& options,
                                                           const reputation::ListingIndex& index);
  virtual ~DnsServer() = default;
  // Stops accepting; in-flight answers may complete.
  virtual void Stop() = 0;
};

}  // namespace repd::dnsbl
