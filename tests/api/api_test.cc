// Every route through Api::Serve with a fake reputation engine: statuses, schemas, errors.
#include "api/api.h"

#include <limits>

#include "api/json_io.h"
#include "api/override_json.h"

#include <gtest/gtest.h>

#include "tests/api/api_test_util.h"
#include "tests/api/fake_reputation.h"

namespace repd::api {
namespace {

using testing::Bearer;
using testing::ErrorCode;
using testing::FakeReputation;
using testing::Json;
using testing::kAdminToken;
using testing::kFeedToken;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(testing::OptionsWithTokens()); }

  void Make(HttpOptions options) {
    auto api = Api::Create(options, Services{&rep_, nullptr, &ready_});
    ASSERT_TRUE(api.ok()) << api.status();
    api_ = std::move(*api);
    api_->now = [] { return int64_t{1700000000}; };
    api_->monotonic_now = [this] { return clock_; };
  }

  Response Call(std::string_view method, std::string_view target, std::string_view body = {},
                std::string_view content_type = "application/json",
                std::string_view authorization = {}) {
    Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.content_type = content_type;
    req.authorization = authorization;
    req.client = "192.0.2.7";
    Response res;
    api_->Serve(req, &res);
    return res;
  }

  FakeReputation rep_;
  std::atomic<bool> ready_{true};
  double clock_ = 1000;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, HealthzFollowsReadiness) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  ready_ = false;
  Response res = Call("GET", "/healthz");
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(Json(res.body).at("status"), "starting");
  res = Call("GET", "/v1/ip/192.0.2.1");
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(ErrorCode(res.body), "starting");
  EXPECT_EQ(Call("GET", "/metrics").status, 200);
}

TEST_F(ApiTest, IpLookupNormalisesAndReports) {
  rep_.listed.insert("192.0.2.1");
  Response res = Call("GET", "/v1/ip/::ffff:192.0.2.1");
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = Json(res.body);
  EXPECT_EQ(v.at("subject"), "192.0.2.1");
  EXPECT_EQ(v.at("kind"), "ip");
  EXPECT_EQ(v.at("known"), true);
  EXPECT_EQ(v.at("score"), 3);
  EXPECT_EQ(v.at("listed").at(0).at("code"), 2);
  EXPECT_EQ(v.at("aggregate").at("subject"), "192.0.2.0/24");
  EXPECT_TRUE(v.at("override").is_null());
  EXPECT_EQ(v.at("counts").at("volume").to_number<double>(), 1000.0);

  res = Call("GET", "/v1/ip/2001%3adb8%3a%3a1");  // escaped colons
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(Json(res.body).at("subject"), "2001:db8::1");

  res = Call("GET", "/v1/ip/not-an-ip");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("'addr'"), std::string::npos);
  EXPECT_EQ(Call("GET", "/v1/ip/1.2.3.4%zz").status, 400);
  EXPECT_EQ(Call("GET", "/v1/ip/").status, 404);
}

TEST_F(ApiTest, DomainLookupNormalises) {
  Response res = Call("GET", "/v1/domain/Mail.Example.COM.");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(Json(res.body).at("subject"), "mail.example.com");
  EXPECT_EQ(Json(res.body).at("aggregate").at("kind"), "org-domain");
  res = Call("GET", "/v1/domain/bad..name");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("'name'"), std::string::npos);
}

TEST_F(ApiTest, CheckValidatesAndAnswers) {
  rep_.listed.insert("198.51.100.9");
  Response res = Call("POST", "/v1/check",
                      R"({"ip":"198.51.100.9","helo":"x","dkim_domains":["Example.ORG"]})");
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = Json(res.body);
  EXPECT_EQ(v.at("action"), "reject");
  EXPECT_EQ(v.at("subjects").as_array().size(), 2u);
  ASSERT_EQ(rep_.last_check.dkim_domains.size(), 1u);
  EXPECT_EQ(rep_.last_check.dkim_domains[0], "example.org");
  EXPECT_EQ(rep_.last_check.helo, "x");

  struct Case {
    const char* body;
    const char* needle;
  } cases[] = {
      {R"({"helo":"x"})", "field 'ip': required"},
      {R"({"ip":"nope"})", "field 'ip': not an IP"},
      {R"({"ip":7})", "field 'ip': must be a string"},
      {R"({"ip":"1.2.3.4","dkim_domains":"x"})", "field 'dkim_domains'"},
      {R"({"ip":"1.2.3.4","dkim_domains":["ok.com","a..b"]})", "field 'dkim_domains[1]'"},
      {R"({"ip":"1.2.3.4","mailfrom":"a@b"})", "field 'mailfrom': unknown"},
      {R"({"ip":)", "malformed JSON"},
      {R"([1,2])", "must be a JSON object"},
  };
  for (const auto& c : cases) {
    res = Call("POST", "/v1/check", c.body);
    EXPECT_EQ(res.status, 400) << c.body;
    EXPECT_EQ(ErrorCode(res.body), "invalid_argument") << res.body;
    EXPECT_NE(res.body.find(c.needle), std::string::npos) << c.body << " -> " << res.body;
  }
}

TEST_F(ApiTest, ContentTypeAndMethodErrors) {
  Response res = Call("POST", "/v1/check", R"({"ip":"1.2.3.4"})", "text/plain");
  EXPECT_EQ(res.status, 415);
  EXPECT_EQ(
      Call("POST", "/v1/check", R"({"ip":"1.2.3.4"})", "Application/JSON; charset=utf-8").status,
      200);
  res = Call("GET", "/v1/check");
  EXPECT_EQ(res.status, 405);
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "Allow");
  EXPECT_EQ(res.headers[0].second, "POST");
  res = Call("POST", "/v1/overrides/ip/1.2.3.4", "{}", "application/json", Bearer(kAdminToken));
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers[0].second, "PUT, DELETE");
  res = Call("GET", "/v2/nothing");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(ErrorCode(res.body), "not_found");
}

TEST_F(ApiTest, DeclaredBodyOverLimitIs413) {
  HttpOptions o = testing::OptionsWithTokens();
  o.body_limit = 16;
  Make(o);
  Response res = Call("POST", "/v1/check", R"({"ip":"1.2.3.4","helo":"long"})");
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(ErrorCode(res.body), "body_too_large");
}

TEST_F(ApiTest, FeedbackNeedsAFeedbackOrAdminToken) {
  const std::string event =
      R"({"id":"e1","type":"complaint","ip":"192.0.2.1","reporter":"fbl","time":1699999000})";
  Response res = Call("POST", "/v1/feedback", event);
  EXPECT_EQ(res.status, 401);
  ASSERT_FALSE(res.headers.empty());
  EXPECT_EQ(res.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(Call("POST", "/v1/feedback", event, "application/json", "Bearer wrong").status, 401);
  EXPECT_EQ(Call("POST", "/v1/feedback", event, "application/json", "Basic abc").status, 401);
  res = Call("POST", "/v1/feedback", event, "application/json", Bearer(kFeedToken));
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = Json(res.body);
  EXPECT_EQ(v.at("accepted"), 1);
  EXPECT_EQ(v.at("duplicate"), 0);
  EXPECT_EQ(v.at("rejected"), 0);
  res = Call("POST", "/v1/feedback", event, "application/json", Bearer(kAdminToken));
  EXPECT_EQ(Json(res.body).at("duplicate"), 1);
  ASSERT_EQ(rep_.ingested.size(), 1u);
  EXPECT_EQ(rep_.ingested[0].reporter, "fbl");
}

TEST_F(ApiTest, FeedbackBatchAcceptsGoodLinesAndNamesBadOnes) {
  std::string batch = R"({"id":"a","type":"delivered","ip":"192.0.2.1","reporter":"r","count":10})"
                      "\n\n"
                      R"({"id":"b","type":"nonsense","ip":"192.0.2.1","reporter":"r"})"
                      "\r\n"
                      R"({"id":"c","type":"spamtrap","ip":"192.0.2.300","reporter":"r"})"
                      "\n"
                      "{not json\n"
                      R"({"id":"a","type":"delivered","ip":"192.0.2.1","reporter":"r","count":10})"
                      "\n";
  Response res = Call("POST", "/v1/feedback", batch, "application/x-ndjson", Bearer(kFeedToken));
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = Json(res.body);
  EXPECT_EQ(v.at("accepted"), 1);
  EXPECT_EQ(v.at("duplicate"), 1);
  EXPECT_EQ(v.at("rejected"), 3);
  auto& errors = v.at("errors").as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].at("line"), 3);
  EXPECT_NE(std::string(errors[0].at("message").as_string()).find("type"), std::string::npos);
  EXPECT_EQ(errors[1].at("line"), 4);
  EXPECT_NE(std::string(errors[1].at("message").as_string()).find("ip"), std::string::npos);
  EXPECT_EQ(errors[2].at("line"), 5);
}

TEST_F(ApiTest, FeedbackErrors) {
  Response res = Call("POST", "/v1/feedback", R"({"id":"x","type":"bot"})", "application/json",
                      Bearer(kFeedToken));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(ErrorCode(res.body), "invalid_event");
  res = Call("POST", "/v1/feedback", "\n\n", "application/x-ndjson", Bearer(kFeedToken));
  EXPECT_EQ(res.status, 400);
  res = Call("POST", "/v1/feedback", "x", "text/csv", Bearer(kFeedToken));
  EXPECT_EQ(res.status, 415);
  rep_.ingest_status = absl::UnavailableError("disk full");
  res = Call("POST", "/v1/feedback", R"({"id":"z","type":"bot","ip":"192.0.2.1","reporter":"r"})",
             "application/json", Bearer(kFeedToken));
  EXPECT_EQ(res.status, 503);
  EXPECT_TRUE(rep_.ingested.empty());

  HttpOptions o = testing::OptionsWithTokens();
  o.feedback_max_events = 2;
  Make(o);
  rep_.ingest_status = absl::OkStatus();
  std::string three;
  for (int i = 0; i < 3; ++i) {
    three += R"({"id":"m)" + std::to_string(i) +
             R"(","type":"bot","ip":"192.0.2.1","reporter":"r"})"
             "\n";
  }
  res = Call("POST", "/v1/feedback", three, "application/x-ndjson", Bearer(kFeedToken));
  EXPECT_EQ(res.status, 413);
  EXPECT_TRUE(rep_.ingested.empty());
}

TEST_F(ApiTest, OverridesNeedAdmin) {
  const std::string body = R"({"action":"block","reason":"abuse desk ticket 7","ttl":3600})";
  EXPECT_EQ(Call("PUT", "/v1/overrides/ip/192.0.2.55", body).status, 401);
  Response res =
      Call("PUT", "/v1/overrides/ip/192.0.2.55", body, "application/json", Bearer(kFeedToken));
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(ErrorCode(res.body), "forbidden");
  res = Call("PUT", "/v1/overrides/ip/192.0.2.55", body, "application/json", Bearer(kAdminToken));
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = Json(res.body);
  EXPECT_EQ(v.at("action"), "block");
  EXPECT_EQ(v.at("expires"), 1700003600);
  ASSERT_EQ(rep_.overrides.size(), 1u);

  res = Call("PUT", "/v1/overrides/ip/192.0.2.77%2F24", R"({"action":"policy","reason":"dyn"})",
             "application/json", Bearer(kAdminToken));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(Json(res.body).at("subject"), "192.0.2.0/24");

  res = Call("PUT", "/v1/overrides/ip/192.0.2.9", R"({"action":"exclude","reason":"our relay"})",
             "application/json", Bearer(kAdminToken));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(Json(res.body).at("action"), "exclude");

  res = Call("GET", "/v1/overrides", {}, {}, Bearer(kAdminToken));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(Json(res.body).at("overrides").as_array().size(), 3u);

  struct Case {
    const char* target;
    const char* body;
    const char* needle;
  } cases[] = {
      {"/v1/overrides/host/x", body.c_str(), "'kind'"},
      {"/v1/overrides/ip/nope", body.c_str(), "'subject'"},
      {"/v1/overrides/domain/a..b", body.c_str(), "'subject'"},
      {"/v1/overrides/ip/192.0.2.1", R"({"reason":"x"})", "field 'action': required"},
      {"/v1/overrides/ip/192.0.2.1", R"({"action":"maybe","reason":"x"})", "field 'action'"},
      {"/v1/overrides/ip/192.0.2.1", R"({"action":"allow"})", "field 'reason'"},
      {"/v1/overrides/ip/192.0.2.1", R"({"action":"allow","reason":"x","expires":5})",
       "field 'expires'"},
      {"/v1/overrides/ip/192.0.2.1", R"({"action":"allow","reason":"x","ttl":"1h"})",
       "field 'ttl'"},
      {"/v1/overrides/ip/192.0.2.1", R"({"action":"allow","reason":"x","category":99})",
       "field 'category'"},
  };
  for (const auto& c : cases) {
    res = Call("PUT", c.target, c.body, "application/json", Bearer(kAdminToken));
    EXPECT_EQ(res.status, 400) << c.target << " " << c.body;
    EXPECT_NE(res.body.find(c.needle), std::string::npos) << res.body;
  }

  res = Call("DELETE", "/v1/overrides/ip/192.0.2.55", {}, {}, Bearer(kAdminToken));
  EXPECT_EQ(res.status, 200) << res.body;
  res = Call("DELETE", "/v1/overrides/ip/192.0.2.55", {}, {}, Bearer(kAdminToken));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/overrides/ip/192.0.2.55", {}, {}, Bearer(kFeedToken)).status, 403);
}

TEST_F(ApiTest, OverrideBatchStoresGoodLinesInOneWriteAndNamesBadOnes) {
  std::string batch =
      R"({"kind":"ip","subject":"192.0.2.9","action":"block","reason":"rbl import","ttl":60})"
      "\n\n"
      R"({"kind":"ip","subject":"192.0.2.300","action":"block","reason":"x"})"
      "\r\n"
      R"({"kind":"domain","subject":"Spam.Example.","action":"block","reason":"r",)"
      R"("txt":"see $","category":3,"created":1600000000})"
      "\n"
      R"({"kind":"host","subject":"a","action":"block","reason":"x"})"
      "\n"
      "{oops\n"
      R"({"kind":"ip","subject":"198.51.100.77/24","action":"policy","reason":"dyn"})"
      "\n"
      R"({"kind":"ip","subject":"10.0.0.0/8","action":"block","reason":"too wide"})"
      "\n"
      R"({"kind":"ip","subject":"192.0.2.10","action":"allow","reason":"x","color":"red"})";
  EXPECT_EQ(Call("POST", "/v1/overrides", batch, "application/x-ndjson").status, 401);
  EXPECT_EQ(Call("POST", "/v1/overrides", batch, "application/x-ndjson", Bearer(kFeedToken)).status,
            403);
  EXPECT_EQ(Call("POST", "/v1/overrides", batch, "application/json", Bearer(kAdminToken)).status,
            415);
  EXPECT_TRUE(rep_.overrides.empty());

  Response res = Call("POST", "/v1/overrides", batch, "application/x-ndjson", Bearer(kAdminToken));
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = Json(res.body);
  EXPECT_EQ(v.at("accepted"), 3);
  EXPECT_EQ(v.at("rejected"), 5);
  auto& errors = v.at("errors").as_array();
  ASSERT_EQ(errors.size(), 5u);
  const std::pair<int, const char*> expected[] = {
      {3, "'subject'"}, {5, "'kind'"}, {6, ""}, {8, "'subject'"}, {9, "'color'"}};
  for (size_t i = 0; i < errors.size(); ++i) {
    EXPECT_EQ(errors[i].at("line"), expected[i].first) << i;
    EXPECT_NE(std::string(errors[i].at("message").as_string()).find(expected[i].second),
              std::string::npos)
        << errors[i];
  }
  EXPECT_EQ(rep_.put_calls, 1);
  ASSERT_EQ(rep_.overrides.size(), 3u);
  const auto& ip = rep_.overrides.at({false, "192.0.2.9"});
  EXPECT_EQ(ip.expires, 1700000060);
  EXPECT_EQ(ip.created, 1700000000);
  const auto& domain = rep_.overrides.at({true, "spam.example"});
  EXPECT_EQ(domain.created, 1600000000);
  EXPECT_EQ(domain.category, 3);
  EXPECT_EQ(domain.txt, "see $");
  EXPECT_EQ(rep_.overrides.at({false, "198.51.100.0/24"}).action,
            reputation::Override::Action::kPolicy);

  // What GET writes, POST reads back unchanged.
  res = Call("GET", "/v1/overrides", {}, {}, Bearer(kAdminToken));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(Json(res.body).at("overrides").as_array().size(), 3u);
}

TEST_F(ApiTest, OverrideBatchErrors) {
  EXPECT_EQ(
      Call("POST", "/v1/overrides", "\n\r\n", "application/x-ndjson", Bearer(kAdminToken)).status,
      400);
  rep_.put_status = absl::UnavailableError("disk full");
  Response res = Call("POST", "/v1/overrides",
                      R"({"kind":"ip","subject":"192.0.2.9","action":"block","reason":"r"})",
                      "application/x-ndjson", Bearer(kAdminToken));
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_TRUE(rep_.overrides.empty());

  HttpOptions o = testing::OptionsWithTokens();
  o.overrides_body_limit = 64;
  Make(o);
  rep_.put_status = absl::OkStatus();
  res = Call("POST", "/v1/overrides", std::string(65, ' '), "application/x-ndjson",
             Bearer(kAdminToken));
  EXPECT_EQ(res.status, 413);
}

TEST(OverrideJsonTest, LinesRoundTrip) {
  reputation::Override o;
  o.is_domain = true;
  o.subject = "example.com";
  o.action = reputation::Override::Action::kBlock;
  o.reason = "quote \" backslash \\ tab \t";
  o.txt = "https://example.net/why?$";
  o.category = 4;
  o.created = 1600000000;
  o.expires = 1800000000;
  std::string line;
  AppendOverrideLine(o, &line);
  ASSERT_TRUE(line.ends_with("\n"));
  auto back = ParseOverrideLine(line, 1700000000);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->is_domain, o.is_domain);
  EXPECT_EQ(back->subject, o.subject);
  EXPECT_EQ(back->action, o.action);
  EXPECT_EQ(back->reason, o.reason);
  EXPECT_EQ(back->txt, o.txt);
  EXPECT_EQ(back->category, o.category);
  EXPECT_EQ(back->created, o.created);
  EXPECT_EQ(back->expires, o.expires);
  // An expiry in the past is refused: an import must not resurrect what has ended.
  EXPECT_FALSE(ParseOverrideLine(line, 1900000000).ok());
}

TEST_F(ApiTest, DelistIsPublicAndRateLimited) {
  HttpOptions o = testing::OptionsWithTokens();
  o.delist_burst = 2;
  o.delist_per_hour = 3600;  // one a second
  Make(o);
  rep_.listed.insert("192.0.2.9");
  Response res = Call("POST", "/v1/delist", R"({"ip":"192.0.2.9","contact":"ops@example.net"})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(Json(res.body).at("status"), "delisted");
  EXPECT_EQ(Json(res.body).at("delisted"), true);
  ASSERT_EQ(rep_.delist_requests.size(), 1u);
  EXPECT_EQ(rep_.delist_requests[0], "192.0.2.7 ops@example.net");
  res = Call("POST", "/v1/delist", R"({"ip":"192.0.2.9","domain":"x.com"})");
  EXPECT_EQ(res.status, 400);
  res = Call("POST", "/v1/delist", R"({"ip":"192.0.2.9"})");
  EXPECT_EQ(res.status, 429);
  ASSERT_FALSE(res.headers.empty());
  EXPECT_EQ(res.headers[0].first, "Retry-After");
  EXPECT_EQ(res.headers[0].second, "1");
  clock_ += 1.0;
  res = Call("POST", "/v1/delist", R"({"ip":"bogus"})");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("field 'ip'"), std::string::npos);
}

TEST_F(ApiTest, PrivateReadsNeedAToken) {
  HttpOptions o = testing::OptionsWithTokens();
  o.public_reads = false;
  Make(o);
  EXPECT_EQ(Call("GET", "/v1/ip/192.0.2.1").status, 401);
  EXPECT_EQ(Call("GET", "/metrics").status, 401);
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/v1/ip/192.0.2.1", {}, {}, Bearer(kFeedToken)).status, 200);
  EXPECT_EQ(Call("GET", "/v1/ip/192.0.2.1", {}, {}, Bearer(kAdminToken)).status, 200);
}

TEST_F(ApiTest, ReputeAnswersReputons) {
  rep_.listed.insert("spam.example");
  Response res = Call("GET", "/v1/repute/email-id/spam.example/spam");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.content_type, "application/reputon+json");
  auto v = Json(res.body);
  EXPECT_EQ(v.at("application"), "email-id");
  auto& r = v.at("reputons").at(0);
  EXPECT_EQ(r.at("rater"), "repd");
  EXPECT_EQ(r.at("assertion"), "spam");
  EXPECT_EQ(r.at("rated"), "spam.example");
  EXPECT_EQ(r.at("rating").to_number<double>(), 1.0);
  EXPECT_EQ(r.at("identity"), "dkim");
  EXPECT_EQ(r.at("sample-size"), 1000);
  EXPECT_EQ(r.at("generated"), 1700000000);

  res = Call("GET", "/v1/repute/email-id/192.0.2.200/spam");
  ASSERT_EQ(res.status, 200);
  EXPECT_TRUE(Json(res.body).at("reputons").as_array().empty());
  EXPECT_EQ(Call("GET", "/v1/repute/email-id/192.0.2.200/spam?identity=ipv4").status, 200);
  EXPECT_EQ(Call("GET", "/v1/repute/email-id/192.0.2.200/spam?identity=dkim").status, 400);
  EXPECT_EQ(Call("GET", "/v1/repute/web/example.com/spam").status, 404);
  EXPECT_EQ(Call("GET", "/v1/repute/email-id/example.com/ham").status, 404);
  EXPECT_EQ(Call("GET", "/v1/repute/email-id/a..b/spam").status, 400);
  res = Call("GET", "/.well-known/repute-template");
  EXPECT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("{application}/{subject}/{assertion}"), std::string::npos);
}

TEST_F(ApiTest, MetricsCarryStoreFigures) {
  Response res = Call("GET", "/metrics");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(res.body.find("repd_store_estimate_num_keys{family=\"subjects\"} 42"),
            std::string::npos);
  EXPECT_EQ(res.body.find("# TYPE repd_store_estimate_num_keys gauge"),
            res.body.rfind("# TYPE repd_store_estimate_num_keys gauge"));
  EXPECT_NE(res.body.find("repd_feedback_events_total"), std::string::npos);
}

TEST_F(ApiTest, VerifyWithoutVerifierIs503) {
  Response res = Call("POST", "/v1/verify", "From: a@b\r\n\r\nhi\r\n", "message/rfc822");
  EXPECT_EQ(res.status, 503);
}

}  // namespace
}  // namespace repd::api

namespace repd::api {
namespace {

TEST(JsonIoTest, WritesPlainNumbersAndEscapes) {
  boost::json::object o{{"s", "a\"b\\\n\x01é"},
                        {"d", 0.25},
                        {"whole", 1000.0},
                        {"i", -3},
                        {"u", uint64_t{18446744073709551615u}},
                        {"n", nullptr},
                        {"a", boost::json::array{true, false}},
                        {"inf", std::numeric_limits<double>::infinity()}};
  Response res;
  SetJson(o, 201, &res);
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body,
            "{\"s\":\"a\\\"b\\\\\\u000a\\u0001é\",\"d\":0.25,\"whole\":1000,\"i\":-3,"
            "\"u\":18446744073709551615,\"n\":null,\"a\":[true,false],\"inf\":null}\n");
  // And it reads back as the same document (but for the infinity).
  auto back = testing::Json(res.body);
  EXPECT_EQ(back.at("s"), o.at("s"));
  EXPECT_EQ(back.at("d"), 0.25);
}

}  // namespace
}  // namespace repd::api

#include "api/wire.h"

namespace repd::api {
namespace {

TEST(WireTest, ServesPipelinedRequestsAndStopsAtGarbage) {
  testing::FakeReputation rep;
  auto api = Api::Create(HttpOptions{}, Services{&rep, nullptr, nullptr});
  ASSERT_TRUE(api.ok());
  std::string out;
  size_t n = ServeBytes(**api,
                        "GET /healthz HTTP/1.1\r\n\r\n"
                        "POST /v1/check HTTP/1.1\r\nContent-Type: application/json\r\n"
                        "Content-Length: 18\r\n\r\n{\"ip\":\"192.0.2.1\"}"
                        "BREW /pot HTTP/1.1\r\n\r\n"
                        "GET /healthz HTTP/1.1\r\n\r\n"
                        "NOT HTTP\r\n\r\n"
                        "GET /healthz HTTP/1.1\r\n\r\n",
                        &out);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_NE(out.find("\"action\":\"neutral\""), std::string::npos);
  EXPECT_NE(out.find("HTTP/1.1 404"), std::string::npos);
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos);
}

}  // namespace
}  // namespace repd::api
