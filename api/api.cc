#include "api/api.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>

#include "api/json_io.h"
#include "common/metrics.h"
#include "reputation/reputation.h"

namespace repd::api {

namespace {

enum class Access { kPublic, kRead, kFeedback, kAdmin };

Access RouteAccess(Route route) {
  switch (route) {
    case Route::kHealthz:
    case Route::kDelist:  // public by design: a listed sender asks to be removed
      return Access::kPublic;
    case Route::kFeedback:
      return Access::kFeedback;
    case Route::kOverrides:
    case Route::kOverride:
      return Access::kAdmin;
    default:
      return Access::kRead;
  }
}

// "application/json; charset=utf-8" -> "application/json", lower case.
std::string MediaType(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  size_t start = out.find_first_not_of(" \t");
  out.erase(0, start == std::string::npos ? out.size() : start);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The media types a route's body may have; empty for routes without a body.
std::span<const std::string_view> AcceptedTypes(Route route) {
  static constexpr std::string_view kJson[] = {"application/json"};
  static constexpr std::string_view kFeedback[] = {"application/json", "application/x-ndjson"};
  static constexpr std::string_view kNdjson[] = {"application/x-ndjson"};
  // A raw message: curl users say -H 'Content-Type: message/rfc822'.
  static constexpr std::string_view kMessage[] = {"message/rfc822", "text/plain",
                                                  "application/octet-stream"};
  switch (route) {
    case Route::kCheck:
    case Route::kOverride:
    case Route::kDelist:
      return kJson;
    case Route::kFeedback:
      return kFeedback;
    case Route::kOverrides:  // POST; GET has no body
      return kNdjson;
    case Route::kVerify:
      return kMessage;
    default:
      return {};
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Api>> Api::Create(const HttpOptions& options, Services services) {
  if (services.reputation == nullptr) {
    return absl::InvalidArgumentError("http: no reputation engine");
  }
  auto tokens = TokenStore::Create(options.tokens);
  if (!tokens.ok()) return tokens.status();
  return std::unique_ptr<Api>(new Api(options, services, std::move(*tokens)));
}

Api::Api(const HttpOptions& options, Services services, TokenStore tokens)
    : options_(options),
      services_(services),
      tokens_(std::move(tokens)),
      delist_limiter_(options.delist_per_hour, options.delist_burst),
      events_accepted_(metrics::GetCounter("repd_feedback_events_total",
                                           "Feedback events by outcome", "outcome=\"accepted\"")),
      events_duplicate_(metrics::GetCounter("repd_feedback_events_total",
                                            "Feedback events by outcome", "outcome=\"duplicate\"")),
      events_rejected_(metrics::GetCounter("repd_feedback_events_total",
                                           "Feedback events by outcome", "outcome=\"rejected\"")) {}

int64_t Api::Now() const {
  if (now) return now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

size_t Api::BodyLimit(Route route) const {
  switch (route) {
    case Route::kFeedback:
      return options_.feedback_body_limit;
    case Route::kOverrides:
      return options_.overrides_body_limit;
    case Route::kVerify:
      return options_.verify_body_limit;
    default:
      return options_.body_limit;
  }
}

bool Api::Authorize(Route route, const Request& req, Response* res) {
  Access access = RouteAccess(route);
  if (access == Access::kPublic || (access == Access::kRead && options_.public_reads)) {
    return true;
  }
  TokenStore::Identity id = tokens_.Authenticate(req.authorization);
  if (id.outcome != TokenStore::Outcome::kOk) {
    SetError(401, "unauthorized",
             id.outcome == TokenStore::Outcome::kMissing
                 ? "this route needs a bearer token (Authorization: Bearer ...)"
                 : "the bearer token is not valid",
             res);
    res->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"repd\"");
    return false;
  }
  bool allowed = id.role == Role::kAdmin || access == Access::kRead ||
                 (access == Access::kFeedback && id.role == Role::kFeedback);
  if (!allowed) {
    SetError(403, "forbidden", "the token's role may not use this route", res);
    return false;
  }
  return true;
}

bool Api::Admit(const RouteMatch& m, const Request& req, std::optional<uint64_t> content_length,
                Response* res) {
  if (m.route == Route::kUnknown) {
    SetError(404, "not_found", "no such route", res);
    return false;
  }
  if (!m.method_allowed) {
    SetError(405, "method_not_allowed", std::string("allowed methods: ").append(m.allow), res);
    res->headers.emplace_back("Allow", std::string(m.allow));
    return false;
  }
  if (!m.params_ok) {
    SetError(400, "bad_path", "path: bad %-escape", res);
    return false;
  }
  bool ready = services_.ready == nullptr || services_.ready->load(std::memory_order_relaxed);
  if (!ready && m.route != Route::kHealthz && m.route != Route::kMetrics) {
    SetError(503, "starting", "repd is starting; try again shortly", res);
    res->headers.emplace_back("Retry-After", "1");
    return false;
  }
  if (!Authorize(m.route, req, res)) return false;
  auto types = AcceptedTypes(m.route);
  if (!types.empty() && req.method != "DELETE" && req.method != "GET") {
    std::string type = MediaType(req.content_type);
    if (std::find(types.begin(), types.end(), type) == types.end()) {
      std::string accepted;
      for (std::string_view t : types) accepted.append(accepted.empty() ? "" : ", ").append(t);
      SetError(415, "unsupported_media_type", "Content-Type must be one of: " + accepted, res);
      return false;
    }
  }
  if (content_length && *content_length > BodyLimit(m.route)) {
    SetError(413, "body_too_large", "body over " + std::to_string(BodyLimit(m.route)) + " bytes",
             res);
    return false;
  }
  if (m.route == Route::kVerify) {
    if (services_.verifier == nullptr) {
      SetError(503, "unavailable", "DKIM verification is not configured", res);
      return false;
    }
    auto ip = QueryParam(m.query, "ip");
    if (ip && !reputation::IpAddress::Parse(*ip)) {
      SetError(400, "invalid_argument", "query parameter 'ip': not an IP address", res);
      return false;
    }
  }
  if (m.route == Route::kDelist) {
    double t =
        monotonic_now
            ? monotonic_now()
            : std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                  .count();
    double wait = delist_limiter_.Take(req.client, t);
    if (wait > 0) {
      SetError(429, "rate_limited", "too many delisting requests from this address", res);
      res->headers.emplace_back("Retry-After",
                                std::to_string(static_cast<int64_t>(std::ceil(wait))));
      return false;
    }
  }
  return true;
}

void Api::Handle(const RouteMatch& m, const Request& req, Response* res) {
  switch (m.route) {
    case Route::kHealthz:
      return Healthz(res);
    case Route::kMetrics:
      return Metrics(res);
    case Route::kIp:
      return LookupIp(m, res);
    case Route::kDomain:
      return LookupDomain(m, res);
    case Route::kCheck:
      return Check(req, res);
    case Route::kFeedback:
      return Feedback(req, res);
    case Route::kOverrides:
      return req.method == "POST" ? PostOverrides(req, res) : ListOverrides(res);
    case Route::kOverride:
      return req.method == "PUT" ? PutOverride(m, req, res) : DeleteOverride(m, res);
    case Route::kDelist:
      return Delist(req, res);
    case Route::kRepute:
      return Repute(m, res);
    case Route::kReputeTemplate:
      return ReputeTemplate(res);
    case Route::kVerify:
    case Route::kUnknown:
      break;
  }
  SetError(500, "internal", "route needs the streaming path", res);
}

void Api::Serve(const Request& req, Response* res) {
  RouteMatch m = MatchRoute(req.method, req.target);
  if (!Admit(m, req, req.body.size(), res)) return;
  if (m.route == Route::kVerify) {
    auto session = StartVerify();
    if (auto s = session->Feed(req.body); !s.ok()) {
      SetStatusError(s, res);
      return;
    }
    // Only a resolver that answers inline finishes here; the session path handles the rest.
    bool done = false;
    session->Finish([&](dkim::MessageResult result) {
      AnswerVerify(m, result, res);
      done = true;
    });
    if (!done) SetError(500, "internal", "verification did not finish inline", res);
    return;
  }
  Handle(m, req, res);
}

void Api::Healthz(Response* res) {
  bool ready = services_.ready == nullptr || services_.ready->load(std::memory_order_relaxed);
  res->status = ready ? 200 : 503;
  res->content_type = "application/json";
  res->body = ready ? "{\"status\":\"ok\"}\n" : "{\"status\":\"starting\"}\n";
}

void Api::Metrics(Response* res) {
  res->status = 200;
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  res->body = metrics::RenderPrometheus();
  // Store figures are read fresh (RocksDB properties), as gauges named repd_store_<name>.
  std::string last_base;
  char number[64];
  for (const auto& [name, value] : services_.reputation->StoreFigures()) {
    std::string_view base = std::string_view(name).substr(0, name.find('{'));
    if (base != last_base) {
      last_base.assign(base);
      res->body.append("# HELP repd_store_").append(base).append(" store figure\n");
      res->body.append("# TYPE repd_store_").append(base).append(" gauge\n");
    }
    std::snprintf(number, sizeof number, "%.17g", value);
    res->body.append("repd_store_").append(name).append(" ").append(number).append("\n");
  }
}

void Api::ReputeTemplate(Response* res) {
  res->status = 200;
  res->content_type = "text/plain; charset=utf-8";
  res->body = "{scheme}://{service}/v1/repute/{application}/{subject}/{assertion}\n";
}

}  // namespace repd::api
