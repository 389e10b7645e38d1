// override_json.h -- operator overrides as JSON in requests: the body of
// PUT /v1/overrides/{kind}/{subject}, and the NDJSON lines of POST /v1/overrides (the shape
// GET /v1/overrides writes, so that a listing can be sent back as it is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reputation/reputation.h"

namespace repd::api {

// The spelling the engine stores, so answers show it: a normalised domain, an IP, or an IPv4
// CIDR from /16 to /32 with its host bits cleared. nullopt when `text` is none of them.
std::optional<std::string> NormalizeOverrideSubject(bool is_domain, std::string_view text);

// The fields every override body has: action and reason (required), expires or ttl,
// category, txt. `now` (unix seconds) checks expires and turns ttl into it. Fields outside
// these are not looked at: callers check them with CheckFields.
absl::Status ReadOverrideFields(const boost::json::object& obj, int64_t now,
                                reputation::Override* out);

// One NDJSON line of POST /v1/overrides: the fields above plus "kind" (ip | domain) and
// "subject", and "created" (kept when given, else `now`). The error names the field at fault.
absl::StatusOr<reputation::Override> ParseOverrideLine(std::string_view line, int64_t now);

// The NDJSON line for `entry` (with its trailing newline), as ParseOverrideLine reads it.
void AppendOverrideLine(const reputation::Override& entry, std::string* out);

}  // namespace repd::api
