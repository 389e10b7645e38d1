// config_http.h -- reads the [http] section and the [[tokens]] of repd.toml into HttpOptions.
#pragma once

#include <toml++/toml.h>

#include "absl/status/status.h"
#include "api/http_server.h"

namespace repd::cmd {

// Leaves out->listen alone ([server] http_listen owns it). Errors name the key:
// "config key 'http.body_limit': must be a positive integer".
absl::Status ParseHttpConfig(const toml::table& root, api::HttpOptions* out);

}  // namespace repd::cmd
