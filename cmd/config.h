// config.h -- repd.toml parsed once into the plain option structs of every component.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/http_server.h"
#include "dkim/dkim.h"
#include "dnsbl/dns_server.h"
#include "reputation/reputation.h"

namespace repd::cmd {

struct Config {
  std::vector<std::string> dns_listen = {"127.0.0.1:5353"};
  std::vector<std::string> http_listen = {"127.0.0.1:8080"};
  int threads = 0;
  std::string log_level = "info";
  int sweep_interval_s = 60;
  reputation::ReputationOptions reputation;
  dnsbl::DnsOptions dns;
  api::HttpOptions http;
  dkim::ResolverOptions resolver;
  dkim::VerifierOptions verifier;
};

// Reads `path` (empty: built-in defaults, the same as data/repd.toml). Errors name the file,
// the key and what is wrong, in one line.
absl::StatusOr<Config> LoadConfig(const std::string& path);

}  // namespace repd::cmd
