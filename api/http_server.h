// http_server.h -- the HTTP/1.1 JSON API (Boost.Beast lives behind this header, never in it).
#pragma once

#include <atomic>
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

struct HttpOptions {
  std::vector<std::string> listen = {"127.0.0.1:8080"};
  std::vector<TokenConfig> tokens;
  // More keys (public reads, TLS cert/key, limits, timeouts, rate limits) are added by api/
  // and documented in data/repd.toml.
};

struct Services {
  reputation::Reputation* reputation = nullptr;
  dkim::Verifier* verifier = nullptr;
  // False while the service is still starting (index rebuild): answers 503.
  const std::atomic<bool>* ready = nullptr;
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(boost::asio::io_context& io,
                                                            const HttpOptions& options,
                                                            Services services);
  virtual ~HttpServer() = default;
  virtual void Stop() = 0;
};

}  // namespace repd::api
