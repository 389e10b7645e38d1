// config_dns.h -- the [zones] and [dns] sections of repd.toml into dnsbl::DnsOptions.
#pragma once

#include <toml++/toml.h>

#include "absl/status/status.h"
#include "dnsbl/dns_server.h"

namespace repd::cmd {

// Reads [zones] (zone names) and [dns] into `out`, leaving absent keys at their defaults.
// Errors name the key ("config key 'dns.ttl': must be a whole number ...").
absl::Status ParseDnsConfig(const toml::table& root, dnsbl::DnsOptions* out);

}  // namespace repd::cmd
