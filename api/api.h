// api.h -- what every route does, on plain requests (exchange.h): admission (readiness,
// method, token, content type, size), then the answer. The session (session.h) only moves
// bytes; this class decides.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/auth.h"
#include "api/exchange.h"
#include "api/http_metrics.h"
#include "api/http_server.h"
#include "api/rate_limit.h"
#include "api/router.h"
#include "dkim/dkim.h"

namespace repd::api {

class Api {
 public:
  // `services.reputation` must be set; `services.verifier` may be null (verify answers 503).
  static absl::StatusOr<std::unique_ptr<Api>> Create(const HttpOptions& options, Services services);

  // Phase one, on the request's headers (req.body is empty): readiness, route, method,
  // token, content type, the declared size and query parameters. Returns false when *res
  // holds the answer and the body must not be read.
  bool Admit(const RouteMatch& match, const Request& req, std::optional<uint64_t> content_length,
             Response* res);
  // The most body bytes a route reads; a larger body gets 413.
  size_t BodyLimit(Route route) const;

  // Phase two, with the whole body: every route but kVerify.
  void Handle(const RouteMatch& match, const Request& req, Response* res);

  // Admit then Handle, for callers that hold the whole request (tests, the fuzzer).
  void Serve(const Request& req, Response* res);

  // kVerify: the session feeds the body into StartVerify()'s session and, once it finishes,
  // AnswerVerify builds the answer (with the reputation of the source and the domains).
  std::unique_ptr<dkim::Verifier::Session> StartVerify();
  void AnswerVerify(const RouteMatch& match, const dkim::MessageResult& result, Response* res);

  HttpMetrics& metrics() { return metrics_; }
  const HttpOptions& options() const { return options_; }

  // Seconds on the wall clock (reputation times) and on a monotonic one (rate limits);
  // replaceable by tests.
  std::function<int64_t()> now = nullptr;
  std::function<double()> monotonic_now = nullptr;

 private:
  Api(const HttpOptions& options, Services services, TokenStore tokens);

  bool Authorize(Route route, const Request& req, Response* res);
  int64_t Now() const;

  void Healthz(Response* res);
  void Metrics(Response* res);
  void ReputeTemplate(Response* res);
  void LookupIp(const RouteMatch& m, Response* res);
  void LookupDomain(const RouteMatch& m, Response* res);
  void Check(const Request& req, Response* res);
  void Repute(const RouteMatch& m, Response* res);
  void Feedback(const Request& req, Response* res);
  void ListOverrides(Response* res);
  void PostOverrides(const Request& req, Response* res);
  void PutOverride(const RouteMatch& m, const Request& req, Response* res);
  void DeleteOverride(const RouteMatch& m, Response* res);
  void Delist(const Request& req, Response* res);

  HttpOptions options_;
  Services services_;
  TokenStore tokens_;
  RateLimiter delist_limiter_;
  HttpMetrics metrics_;
  metrics::Counter& events_accepted_;
  metrics::Counter& events_duplicate_;
  metrics::Counter& events_rejected_;
};

}  // namespace repd::api
