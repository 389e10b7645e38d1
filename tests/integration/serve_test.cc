// The walking skeleton end to end: the real repd on loopback ports, feedback over HTTP, the
// listing over DNS (dig) and HTTP (raw client), a restart, and the start-up errors an
// operator meets (bad config, busy port, unwritable data dir).
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/json.hpp>

#include "tests/support/dig.h"
#include "tests/support/repd_process.h"

namespace repd::testing {
namespace {

constexpr const char* kToken = "integration-feed-token";

std::string Config() {
  return std::string("[[tokens]]\nname = \"feed\"\nrole = \"feedback\"\nsha256 = \"") +
         Sha256Hex(kToken) + "\"\n[[reporters.known]]\nname = \"traps\"\ntrust = 1.0\n";
}

HttpResponse PostFeedback(int port, const std::string& ndjson) {
  return HttpRequest(port, "POST", "/v1/feedback", ndjson,
                     {{"Authorization", std::string("Bearer ") + kToken},
                      {"Content-Type", "application/x-ndjson"}});
}

TEST(ServeTest, FeedbackListsOverDnsAndHttpAndSurvivesRestart) {
  RepdOptions options;
  options.config_text = Config();
  auto repd = RepdProcess::Start(options);
  ASSERT_TRUE(repd);
  const int dns = repd->dns_port(), http = repd->http_port();

  // RFC 5782 test points before any feedback.
  auto test_point = Dig(dns, "2.0.0.127.bl.repd.test", "A");
  ASSERT_TRUE(test_point.answered) << test_point.raw;
  EXPECT_EQ(test_point.status, "NOERROR");
  EXPECT_FALSE(test_point.AnswerData("A").empty());
  auto not_listed = Dig(dns, "1.0.0.127.bl.repd.test", "A");
  EXPECT_EQ(not_listed.status, "NXDOMAIN");

  // Unlisted: NXDOMAIN with the SOA in the authority section, authoritative.
  auto unlisted = Dig(dns, "4.3.2.1.bl.repd.test", "A");
  EXPECT_EQ(unlisted.status, "NXDOMAIN") << unlisted.raw;
  EXPECT_TRUE(unlisted.HasFlag("aa"));
  ASSERT_FALSE(unlisted.authority.empty()) << unlisted.raw;
  EXPECT_EQ(unlisted.authority[0].type, "SOA");

  // Feedback without the token is refused; with it, accepted and durable.
  std::string events =
      R"({"id":"it-1","type":"spamtrap","ip":"1.2.3.4","reporter":"traps","count":2})"
      "\n"
      R"({"id":"it-2","type":"spamtrap","ip":"1.2.3.4","reporter":"traps"})"
      "\n";
  EXPECT_EQ(
      HttpRequest(http, "POST", "/v1/feedback", events, {{"Content-Type", "application/x-ndjson"}})
          .status,
      401);
  auto posted = PostFeedback(http, events);
  ASSERT_EQ(posted.status, 200) << posted.body;
  auto answer = boost::json::parse(posted.body).as_object();
  EXPECT_EQ(answer.at("accepted").to_number<int>(), 2);

  // Listed within a second: A 127.0.0.3 (spamtrap) and a TXT reason.
  DigResult listed;
  for (int i = 0; i < 20; ++i) {
    listed = Dig(dns, "4.3.2.1.bl.repd.test", "A");
    if (listed.status == "NOERROR") break;
    usleep(50'000);
  }
  EXPECT_EQ(listed.AnswerData("A"), std::vector<std::string>{"127.0.0.3"}) << listed.raw;
  auto txt = Dig(dns, "4.3.2.1.bl.repd.test", "TXT");
  ASSERT_EQ(txt.AnswerData("TXT").size(), 1u) << txt.raw;
  EXPECT_NE(txt.AnswerData("TXT")[0].find("trap"), std::string::npos);
  EXPECT_NE(txt.AnswerData("TXT")[0].find("1.2.3.4"), std::string::npos);

  auto ip = HttpRequest(http, "GET", "/v1/ip/1.2.3.4");
  ASSERT_EQ(ip.status, 200) << ip.body;
  auto report = boost::json::parse(ip.body).as_object();
  EXPECT_NEAR(report.at("counts").at("traps").to_number<double>(), 3, 0.01);

  // A clean stop (SIGTERM), a restart on the same data: the same answers.
  int status = repd->Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << repd->Stderr();
  RepdOptions again = repd->options();
  repd = RepdProcess::Start(again);
  ASSERT_TRUE(repd);
  EXPECT_EQ(Dig(repd->dns_port(), "4.3.2.1.bl.repd.test", "A").AnswerData("A"),
            std::vector<std::string>{"127.0.0.3"});
  ip = HttpRequest(repd->http_port(), "GET", "/v1/ip/1.2.3.4");
  EXPECT_NEAR(boost::json::parse(ip.body).as_object().at("counts").at("traps").to_number<double>(),
              3, 0.01);
  // The same events again: duplicates, counted once.
  posted = PostFeedback(repd->http_port(), events);
  EXPECT_EQ(boost::json::parse(posted.body).as_object().at("duplicate").to_number<int>(), 2);
}

// Start-up errors: one line naming the problem, a non-zero exit, never a crash.
int RunRepd(const std::string& args, std::string* output) {
  int code = 0;
  *output = RunCommand(RepdProcess::BinaryPath() + " " + args + " 2>&1", &code);
  return code;
}

TEST(ServeTest, BadConfigIsAOneLineError) {
  std::string dir = MakeTempDir("repd-badconfig");
  WriteFile(dir + "/bad.toml", "[server]\nthreads = \"many\"\n");
  std::string out;
  EXPECT_EQ(RunRepd("serve --config " + dir + "/bad.toml --data-dir " + dir + "/var", &out), 1);
  EXPECT_NE(out.find("server.threads"), std::string::npos) << out;
  WriteFile(dir + "/typo.toml", "[server]\ndata_dri = \"x\"\n");
  EXPECT_EQ(RunRepd("serve --config " + dir + "/typo.toml", &out), 1);
  EXPECT_NE(out.find("data_dri"), std::string::npos) << out;
  WriteFile(dir + "/broken.toml", "[server\n");
  EXPECT_EQ(RunRepd("serve --config " + dir + "/broken.toml", &out), 1);
  EXPECT_NE(out.find("broken.toml:1"), std::string::npos) << out;
  EXPECT_EQ(RunRepd("serve --config " + dir + "/missing.toml", &out), 1);
  EXPECT_EQ(RunRepd("serve --no-such-flag", &out), 2);
}

TEST(ServeTest, BusyPortAndUnwritableDataDirAreOneLineErrors) {
  RepdOptions options;
  auto first = RepdProcess::Start(options);
  ASSERT_TRUE(first);
  std::string dir = MakeTempDir("repd-busy");
  std::string out;
  int code = RunRepd("serve --data-dir " + dir +
                         "/var --dns-listen 127.0.0.1:" + std::to_string(first->dns_port()) +
                         " --http-listen 127.0.0.1:" + std::to_string(PickFreePort()),
                     &out);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(std::to_string(first->dns_port())), std::string::npos) << out;
  code = RunRepd("serve --data-dir " + dir +
                     "/var2 --dns-listen 127.0.0.1:" + std::to_string(PickFreePort()) +
                     " --http-listen 127.0.0.1:" + std::to_string(first->http_port()),
                 &out);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(std::to_string(first->http_port())), std::string::npos) << out;
  // The data dir of a running repd is locked.
  code = RunRepd("serve --data-dir " + first->data_dir() +
                     " --dns-listen 127.0.0.1:" + std::to_string(PickFreePort()) +
                     " --http-listen 127.0.0.1:" + std::to_string(PickFreePort()),
                 &out);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("in use"), std::string::npos) << out;
  WriteFile(dir + "/file", "");
  EXPECT_EQ(RunRepd("serve --data-dir " + dir + "/file/var", &out), 1);
  EXPECT_NE(out.find(dir + "/file/var"), std::string::npos) << out;
}

}  // namespace
}  // namespace repd::testing

namespace repd::testing {
namespace {

// Found by the feed engineer: events the engine refused were neither counted nor reported, and
// batches over 1 MiB were refused although feedback_body_limit allows 16 MiB.
TEST(ServeTest, RefusedEventsAreReportedAndLargeBatchesAccepted) {
  RepdOptions options;
  options.config_text = Config();
  auto repd = RepdProcess::Start(options);
  ASSERT_TRUE(repd);
  std::string events =
      R"({"id":"ok-1","type":"delivered","ip":"192.0.2.1","reporter":"traps"})"
      "\n"
      R"({"id":"old-1","type":"delivered","ip":"192.0.2.1","reporter":"traps","time":1000000000})"
      "\n"
      R"({"id":"bad-1","type":"nope","ip":"192.0.2.1","reporter":"traps"})"
      "\n";
  auto posted = PostFeedback(repd->http_port(), events);
  ASSERT_EQ(posted.status, 200) << posted.body;
  auto answer = boost::json::parse(posted.body).as_object();
  EXPECT_EQ(answer.at("accepted").to_number<int>(), 1);
  EXPECT_EQ(answer.at("rejected").to_number<int>(), 2) << posted.body;
  const auto& errors = answer.at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u) << posted.body;
  EXPECT_EQ(errors[0].as_object().at("line").to_number<int>(), 2);
  EXPECT_NE(std::string(errors[0].as_object().at("message").as_string()).find("retention"),
            std::string::npos);
  EXPECT_EQ(errors[1].as_object().at("line").to_number<int>(), 3);

  std::string big;
  for (int i = 0; big.size() < 1'500'000; ++i) {
    big += R"({"id":"big-)" + std::to_string(i) +
           R"(","type":"delivered","ip":"198.51.100.1","reporter":"traps","count":1})"
           "\n";
  }
  const int lines = static_cast<int>(std::count(big.begin(), big.end(), '\n'));
  posted = PostFeedback(repd->http_port(), big);
  ASSERT_EQ(posted.status, 200) << posted.body.substr(0, 300);
  EXPECT_EQ(boost::json::parse(posted.body).as_object().at("accepted").to_number<int>(), lines);
}

}  // namespace
}  // namespace repd::testing
