// router.h -- maps a request line to one of the API's routes, with its decoded path parameters.
//
// The table in router.cc is the one list of routes; api/openapi.yaml describes the same list
// and tests/api/openapi_test.cc checks that they agree.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace repd::api {

enum class Route : int {
  kHealthz,
  kMetrics,
  kIp,              // GET /v1/ip/{addr}
  kDomain,          // GET /v1/domain/{name}
  kCheck,           // POST /v1/check
  kVerify,          // POST /v1/verify
  kFeedback,        // POST /v1/feedback
  kOverrides,       // GET|POST /v1/overrides
  kOverride,        // PUT|DELETE /v1/overrides/{kind}/{subject}
  kDelist,          // POST /v1/delist
  kRepute,          // GET /v1/repute/{application}/{subject}/{assertion}
  kReputeTemplate,  // GET /.well-known/repute-template (RFC 7072 section 3.1)
  kUnknown,         // no route has this path
};
inline constexpr int kRouteCount = static_cast<int>(Route::kUnknown) + 1;

// Short stable name, used as the `route` label of the metrics.
std::string_view RouteName(Route route);

struct RouteMatch {
  Route route = Route::kUnknown;
  // False when the path exists but not for this method: answer 405 with `allow`.
  bool method_allowed = false;
  std::string_view allow;  // e.g. "PUT, DELETE"
  // False when a path parameter holds a bad %-escape: answer 400.
  bool params_ok = true;
  std::array<std::string, 3> params;  // %-decoded path parameters, in order
  std::string_view query;             // after '?', without it; not decoded
};

RouteMatch MatchRoute(std::string_view method, std::string_view target);

// The %-decoded value of `name` in a query string ("a=1&b=x%20y"), or nullopt when absent or
// badly escaped. '+' stands for a space (HTML forms).
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

// %-decodes `in` into *out; false on a bad escape.
bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space = false);

}  // namespace repd::api
