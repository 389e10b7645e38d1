// http_server.h -- the HTTP/1.1 JSON API (Boost.Beast lives behind this header, never in it).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace boost::asio {
class io_context;
}
namespace repd::reputation {
class Reputation;
}
namespace repd::dkim {
class Verifier;
}

namespace repd::api {

struct TokenConfig {
  std::string name;
  std::string role;    // "feedback" | "admin"
  std::string sha256;  // lower-case hex SHA-256 of the bearer token
};

// Every key below is a key of the [http] section of repd.toml with the same name (sizes in
// bytes, times in seconds); data/repd.toml documents them.
struct HttpOptions {
  std::vector<std::string> listen = {"127.0.0.1:8080"};
  std::vector<TokenConfig> tokens;

  // Reads (lookups, check, verify, REPUTE, metrics) without a token. When false, any
  // configured token may read.
  bool public_reads = true;
  // Addresses served with TLS ("ADDR:PORT"), beside the plain `listen` ones; they need
  // tls_cert and tls_key (PEM files).
  std::vector<std::string> tls_listen;
  std::string tls_cert;
  std::string tls_key;

  size_t max_connections = 10000;  // further connections get 503 and are closed
  size_t header_limit = 8 * 1024;  // request line and headers together
  size_t body_limit = 64 * 1024;   // JSON routes: check, overrides, delist
  size_t feedback_body_limit = 16 * 1024 * 1024;
  size_t feedback_max_events = 100000;  // lines of one NDJSON batch
  size_t verify_body_limit = 32 * 1024 * 1024;
  // POST /v1/overrides (NDJSON): about 200,000 rbldnsd entries.
  size_t overrides_body_limit = 32 * 1024 * 1024;
  // A request (headers and body) must arrive within read_timeout of its first byte; an idle
  // keep-alive connection is closed after idle_timeout. Both defeat slowloris clients.
  double read_timeout = 20;
  double idle_timeout = 60;
  double write_timeout = 20;
  // POST /v1/delist per client address: a bucket of delist_burst requests refilled at
  // delist_per_hour.
  double delist_per_hour = 20;
  double delist_burst = 5;
  // The rater name in REPUTE reputons (RFC 7071 "rater").
  std::string rater = "repd";
};

struct Services {
  reputation::Reputation* reputation = nullptr;
  dkim::Verifier* verifier = nullptr;
  // False while the service is still starting (index rebuild): answers 503.
  const std::atomic<bool>* ready = nullptr;
};

class HttpServer {
 public:
  // Binds every listen address (an error names the one that failed) and starts accepting.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(boost::asio::io_context& io,
                                                            const HttpOptions& options,
                                                            Services services);
  virtual ~HttpServer() = default;
  // Stops accepting and closes idle connections; requests in flight finish and are answered
  // with Connection: close.
  virtual void Stop() = 0;
};

}  // namespace repd::api
