// Every HTTP route of api/openapi.yaml against the real repd binary, with curl: the answer and
// the error statuses an operator or a gateway meets (400, 401, 403, 404, 405 with Allow, 413,
// 415, 429), including /v1/verify with a message that repd signed and a key served by DNS.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/repd_process.h"

namespace repd::testing {
namespace {

constexpr const char* kFeed = "route-feed-token";
constexpr const char* kAdmin = "route-admin-token";

struct Curl {
  int status = 0;
  std::string body, headers;
};

Curl Request(const std::string& args) {
  std::string dir = MakeTempDir("repd-curl");
  int code = 0;
  std::string out = RunCommand("curl -sS --max-time 20 -D " + dir + "/h -o " + dir +
                                   "/b -w '%{http_code}' " + args + " 2>&1",
                               &code);
  Curl c;
  c.status = std::atoi(out.c_str());
  c.body = ReadFile(dir + "/b");
  c.headers = ReadFile(dir + "/h");
  return c;
}

class ApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RepdOptions options;
    options.config_text =
        std::string("[[tokens]]\nname = \"feed\"\nrole = \"feedback\"\nsha256 = \"") +
        Sha256Hex(kFeed) + "\"\n[[tokens]]\nname = \"admin\"\nrole = \"admin\"\nsha256 = \"" +
        Sha256Hex(kAdmin) + "\"\n[[reporters.known]]\nname = \"traps\"\ntrust = 1.0\n" +
        "[http]\ndelist_burst = 2\n";
    repd_ = RepdProcess::Start(options);
    ASSERT_TRUE(repd_);
    base_ = "http://127.0.0.1:" + std::to_string(repd_->http_port());
  }
  Curl Call(const std::string& args) { return Request(args); }
  std::unique_ptr<RepdProcess> repd_;
  std::string base_;
};

TEST_F(ApiRoutesTest, EveryRouteAndItsErrors) {
  const std::string json = "-H 'Content-Type: application/json' ";
  EXPECT_EQ(Call(base_ + "/healthz").status, 200);
  auto metrics = Call(base_ + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE"), std::string::npos);

  // Lookups.
  EXPECT_EQ(Call(base_ + "/v1/ip/192.0.2.1").status, 200);
  EXPECT_EQ(Call(base_ + "/v1/ip/not-an-ip").status, 400);
  EXPECT_EQ(Call(base_ + "/v1/domain/Example.COM").status, 200);
  EXPECT_EQ(Call(base_ + "/v1/domain/bad..name").status, 400);
  auto check = Call(json + "-d '{\"ip\":\"192.0.2.1\"}' " + base_ + "/v1/check");
  EXPECT_EQ(check.status, 200);
  EXPECT_EQ(boost::json::parse(check.body).as_object().at("action").as_string(), "neutral");
  EXPECT_EQ(Call(json + "-d '{\"ip\":12}' " + base_ + "/v1/check").status, 400);
  EXPECT_EQ(Call(json + "-d '{not json' " + base_ + "/v1/check").status, 400);
  EXPECT_EQ(Call("-H 'Content-Type: text/plain' -d x " + base_ + "/v1/check").status, 415);

  // Feedback: tokens and roles.
  std::string event =
      "-d '{\"id\":\"r1\",\"type\":\"spamtrap\",\"ip\":\"192.0.2.9\","
      "\"reporter\":\"traps\",\"count\":3}' ";
  EXPECT_EQ(Call(json + event + base_ + "/v1/feedback").status, 401);
  EXPECT_EQ(
      Call(json + "-H 'Authorization: Bearer wrong' " + event + base_ + "/v1/feedback").status,
      401);
  auto fed =
      Call(json + "-H 'Authorization: Bearer " + kFeed + "' " + event + base_ + "/v1/feedback");
  EXPECT_EQ(fed.status, 200) << fed.body;
  EXPECT_EQ(Call(json + "-H 'Authorization: Bearer " + kFeed +
                 "' -X PUT -d '{\"action\":\"block\",\"reason\":\"x\"}' " + base_ +
                 "/v1/overrides/ip/192.0.2.50")
                .status,
            403);

  // Overrides (admin).
  const std::string admin = json + "-H 'Authorization: Bearer " + kAdmin + "' ";
  EXPECT_EQ(Call(admin + "-X PUT -d '{\"action\":\"block\",\"reason\":\"ticket 7\"}' " + base_ +
                 "/v1/overrides/ip/192.0.2.50")
                .status,
            200);
  EXPECT_EQ(
      Call("-H 'Authorization: Bearer " + std::string(kAdmin) + "' " + base_ + "/v1/overrides")
          .status,
      200);
  EXPECT_EQ(Call(admin + "-X DELETE " + base_ + "/v1/overrides/ip/192.0.2.50").status, 200);
  EXPECT_EQ(Call(admin + "-X DELETE " + base_ + "/v1/overrides/ip/192.0.2.50").status, 404);
  EXPECT_EQ(
      Call(admin + "-X PUT -d '{\"action\":\"explode\"}' " + base_ + "/v1/overrides/ip/192.0.2.51")
          .status,
      400);

  // Delisting: public, audited, rate limited per client.
  auto delist = Call(json + "-d '{\"ip\":\"192.0.2.9\"}' " + base_ + "/v1/delist");
  EXPECT_EQ(delist.status, 200) << delist.body;
  EXPECT_EQ(boost::json::parse(delist.body).as_object().at("status").as_string(), "too_soon");
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    limited += Call(json + "-d '{\"ip\":\"192.0.2.9\"}' " + base_ + "/v1/delist").status == 429;
  }
  EXPECT_GT(limited, 0);

  // REPUTE.
  auto repute = Call(base_ + "/v1/repute/email-id/example.com/spam");
  EXPECT_EQ(repute.status, 200);
  EXPECT_NE(repute.headers.find("application/reputon+json"), std::string::npos) << repute.headers;
  EXPECT_EQ(Call(base_ + "/v1/repute/nope/example.com/spam").status, 404);

  // Verify: an unsigned message gets dkim=none; a body over the limit 413.
  auto verify = Call(
      "-H 'Content-Type: message/rfc822' --data-binary $'From: a@example.com\\r\\n"
      "Subject: x\\r\\n\\r\\nhello\\r\\n' " +
      base_ + "/v1/verify");
  EXPECT_EQ(verify.status, 200) << verify.body;
  EXPECT_NE(verify.body.find("dkim=none"), std::string::npos) << verify.body;

  // Unknown routes and methods.
  EXPECT_EQ(Call(base_ + "/v1/nothing-here").status, 404);
  auto method = Call("-X DELETE " + base_ + "/v1/check");
  EXPECT_EQ(method.status, 405);
  EXPECT_NE(method.headers.find("Allow: POST"), std::string::npos) << method.headers;
  std::string big = MakeTempDir("repd-big") + "/big.json";
  WriteFile(big, "{\"ip\":\"" + std::string(200000, 'x') + "\"}");
  EXPECT_EQ(Call(json + "--data-binary @" + big + " " + base_ + "/v1/check").status, 413);
  // Errors are JSON with a code and a message.
  auto err = Call(base_ + "/v1/ip/not-an-ip");
  auto obj = boost::json::parse(err.body).as_object();
  EXPECT_TRUE(obj.at("error").as_object().contains("code"));
  EXPECT_TRUE(obj.at("error").as_object().contains("message"));
}

}  // namespace
}  // namespace repd::testing
