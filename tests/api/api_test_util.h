// api_test_util.h -- options with one token per role, and JSON parsing of answers, for the
// API's unit tests.
#pragma once

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/http_server.h"
#include "tests/support/repd_process.h"

namespace repd::api::testing {

inline constexpr const char* kFeedToken = "feed-secret-token";
inline constexpr const char* kAdminToken = "admin-secret-token";

inline HttpOptions OptionsWithTokens() {
  HttpOptions o;
  o.listen = {};
  o.tokens = {{"feed", "feedback", repd::testing::Sha256Hex(kFeedToken)},
              {"ops", "admin", repd::testing::Sha256Hex(kAdminToken)}};
  return o;
}

inline std::string Bearer(const char* token) { return std::string("Bearer ") + token; }

// The answer's JSON, or null when it is not JSON.
inline boost::json::value Json(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

inline std::string ErrorCode(const std::string& body) {
  auto v = Json(body);
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("code").as_string());
}

}  // namespace repd::api::testing
