#include "api/router.h"

namespace repd::api {

namespace {

struct RouteSpec {
  Route route;
  std::string_view pattern;  // "{}" is one non-empty path segment
  std::string_view methods;  // the Allow header value
};

constexpr RouteSpec kRoutes[] = {
    {Route::kHealthz, "/healthz", "GET"},
    {Route::kMetrics, "/metrics", "GET"},
    {Route::kIp, "/v1/ip/{}", "GET"},
    {Route::kDomain, "/v1/domain/{}", "GET"},
    {Route::kCheck, "/v1/check", "POST"},
    {Route::kVerify, "/v1/verify", "POST"},
    {Route::kFeedback, "/v1/feedback", "POST"},
    {Route::kOverrides, "/v1/overrides", "GET, POST"},
    {Route::kOverride, "/v1/overrides/{}/{}", "PUT, DELETE"},
    {Route::kDelist, "/v1/delist", "POST"},
    {Route::kRepute, "/v1/repute/{}/{}/{}", "GET"},
    {Route::kReputeTemplate, "/.well-known/repute-template", "GET"},
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Next segment of `path` after position *pos (which points at a '/'); advances *pos.
std::string_view NextSegment(std::string_view path, size_t* pos) {
  size_t start = *pos + 1;
  size_t end = path.find('/', start);
  if (end == std::string_view::npos) end = path.size();
  *pos = end;
  return path.substr(start, end - start);
}

// Matches `path` against `pattern`; captured segments go to *params (still escaped).
bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::array<std::string_view, 3>* params) {
  size_t pp = 0, tp = 0;
  int captured = 0;
  while (pp < pattern.size() && tp < path.size()) {
    if (pattern[pp] != '/' || path[tp] != '/') return false;
    std::string_view want = NextSegment(pattern, &pp);
    std::string_view got = NextSegment(path, &tp);
    if (want == "{}") {
      if (got.empty()) return false;
      (*params)[captured++] = got;
    } else if (want != got) {
      return false;
    }
  }
  return pp == pattern.size() && tp == path.size();
}

bool MethodIn(std::string_view method, std::string_view methods) {
  while (!methods.empty()) {
    size_t comma = methods.find(',');
    std::string_view one = methods.substr(0, comma);
    if (one == method) return true;
    if (comma == std::string_view::npos) break;
    methods.remove_prefix(comma + 1);
    while (!methods.empty() && methods.front() == ' ') methods.remove_prefix(1);
  }
  return false;
}

}  // namespace

std::string_view RouteName(Route route) {
  static constexpr std::string_view kNames[kRouteCount] = {
      "healthz",   "metrics",  "ip",     "domain", "check",           "verify", "feedback",
      "overrides", "override", "delist", "repute", "repute_template", "unknown"};
  int i = static_cast<int>(route);
  return i >= 0 && i < kRouteCount ? kNames[i] : "unknown";
}

bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key == name) {
      std::string value;
      if (eq == std::string_view::npos) return value;
      if (!PercentDecode(pair.substr(eq + 1), &value, true)) return std::nullopt;
      return value;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

RouteMatch MatchRoute(std::string_view method, std::string_view target) {
  RouteMatch m;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) m.query = target.substr(q + 1);
  for (const RouteSpec& spec : kRoutes) {
    std::array<std::string_view, 3> raw{};
    if (!MatchPattern(spec.pattern, path, &raw)) continue;
    m.route = spec.route;
    m.allow = spec.methods;
    m.method_allowed = MethodIn(method, spec.methods);
    for (size_t i = 0; i < raw.size() && !raw[i].empty(); ++i) {
      if (!PercentDecode(raw[i], &m.params[i])) m.params_ok = false;
    }
    return m;
  }
  return m;
}

}  // namespace repd::api
