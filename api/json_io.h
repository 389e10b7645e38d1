// json_io.h -- writing answers: JSON bodies, the error shape, and the status of an absl error.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "absl/status/status.h"
#include "api/exchange.h"

namespace repd::api {

// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, UTF-8
// as it is.
void AppendJsonString(std::string_view text, std::string* out);

// Serialises `value` into res->body (reusing its capacity) with a trailing newline.
void SetJson(const boost::json::value& value, int status, Response* res);

// {"error": {"code": code, "message": message}}.
void SetError(int status, std::string_view code, std::string_view message, Response* res);

// The answer to a failed call into reputation/: InvalidArgument -> 400, NotFound -> 404,
// ResourceExhausted -> 429, Unavailable -> 503, anything else -> 500.
void SetStatusError(const absl::Status& status, Response* res);

}  // namespace repd::api
