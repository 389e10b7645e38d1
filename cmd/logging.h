// logging.h -- spdlog to stderr, one line per event, with the level.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace repd::cmd {
absl::Status SetUpLogging(const std::string& level);
}
