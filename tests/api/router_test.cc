#include "api/router.h"

#include <gtest/gtest.h>

namespace repd::api {
namespace {

TEST(RouterTest, MatchesEveryRoute) {
  struct Case {
    const char* method;
    const char* target;
    Route route;
  } cases[] = {
      {"GET", "/healthz", Route::kHealthz},
      {"GET", "/metrics", Route::kMetrics},
      {"GET", "/v1/ip/1.2.3.4", Route::kIp},
      {"GET", "/v1/domain/example.com", Route::kDomain},
      {"POST", "/v1/check", Route::kCheck},
      {"POST", "/v1/verify?ip=1.2.3.4", Route::kVerify},
      {"POST", "/v1/feedback", Route::kFeedback},
      {"GET", "/v1/overrides", Route::kOverrides},
      {"PUT", "/v1/overrides/ip/1.2.3.4", Route::kOverride},
      {"DELETE", "/v1/overrides/domain/x.com", Route::kOverride},
      {"POST", "/v1/delist", Route::kDelist},
      {"GET", "/v1/repute/email-id/x.com/spam", Route::kRepute},
      {"GET", "/.well-known/repute-template", Route::kReputeTemplate},
  };
  for (const auto& c : cases) {
    RouteMatch m = MatchRoute(c.method, c.target);
    EXPECT_EQ(m.route, c.route) << c.target;
    EXPECT_TRUE(m.method_allowed) << c.method << " " << c.target;
    EXPECT_TRUE(m.params_ok);
  }
}

TEST(RouterTest, CapturesAndDecodesParameters) {
  RouteMatch m = MatchRoute("GET", "/v1/repute/email-id/ex%41mple.com/spam?identity=dkim&x");
  ASSERT_EQ(m.route, Route::kRepute);
  EXPECT_EQ(m.params[0], "email-id");
  EXPECT_EQ(m.params[1], "exAmple.com");
  EXPECT_EQ(m.params[2], "spam");
  EXPECT_EQ(m.query, "identity=dkim&x");
  EXPECT_EQ(QueryParam(m.query, "identity"), "dkim");
  EXPECT_EQ(QueryParam(m.query, "x"), "");
  EXPECT_EQ(QueryParam(m.query, "y"), std::nullopt);
  EXPECT_EQ(QueryParam("a=b%20c+d", "a"), "b c d");
  EXPECT_EQ(QueryParam("a=%4", "a"), std::nullopt);
}

TEST(RouterTest, RejectsNearMisses) {
  for (const char* target :
       {"/", "", "/v1/ip", "/v1/ip/", "/v1/ip/1.2.3.4/", "/v1/ip//x", "/v1/ip/a/b", "/healthz/",
        "/v1/overrides/ip", "/V1/check", "/v1/repute/a/b", "healthz", "/v1/checkx"}) {
    EXPECT_EQ(MatchRoute("GET", target).route, Route::kUnknown) << target;
  }
}

TEST(RouterTest, WrongMethodKeepsTheAllowList) {
  RouteMatch m = MatchRoute("PATCH", "/v1/overrides/ip/1.2.3.4");
  EXPECT_EQ(m.route, Route::kOverride);
  EXPECT_FALSE(m.method_allowed);
  EXPECT_EQ(m.allow, "PUT, DELETE");
  EXPECT_FALSE(MatchRoute("get", "/healthz").method_allowed);  // methods are case-sensitive
}

TEST(RouterTest, BadEscapesAreFlagged) {
  for (const char* target : {"/v1/ip/%", "/v1/ip/%4", "/v1/ip/%zz", "/v1/ip/1%2"}) {
    RouteMatch m = MatchRoute("GET", target);
    EXPECT_EQ(m.route, Route::kIp) << target;
    EXPECT_FALSE(m.params_ok) << target;
  }
}

TEST(RouterTest, EveryRouteHasAName) {
  for (int r = 0; r < kRouteCount; ++r) {
    EXPECT_FALSE(RouteName(static_cast<Route>(r)).empty());
  }
  EXPECT_EQ(RouteName(Route::kIp), "ip");
}

}  // namespace
}  // namespace repd::api
