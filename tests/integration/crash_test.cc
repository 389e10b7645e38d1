// Crash safety: repd is killed with SIGKILL while feedback is being posted. After a restart
// every acknowledged event is counted, and none twice: posting everything again adds exactly
// the events whose answer never arrived.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <thread>

#include "tests/support/repd_process.h"

namespace repd::testing {
namespace {

constexpr const char* kToken = "crash-feed-token";
constexpr int kPerBatch = 200;

std::string Batch(int batch) {
  std::string out;
  for (int i = 0; i < kPerBatch; ++i) {
    out += R"({"id":"crash-)" + std::to_string(batch) + "-" + std::to_string(i) +
           R"(","type":"delivered","ip":"192.0.2.10","reporter":"mbp"})"
           "\n";
  }
  return out;
}

HttpResponse Post(int port, const std::string& body) {
  return HttpRequest(port, "POST", "/v1/feedback", body,
                     {{"Authorization", std::string("Bearer ") + kToken},
                      {"Content-Type", "application/x-ndjson"}});
}

double Volume(int port) {
  auto r = HttpRequest(port, "GET", "/v1/ip/192.0.2.10");
  EXPECT_EQ(r.status, 200) << r.body;
  if (r.status != 200) return -1;
  return boost::json::parse(r.body).as_object().at("counts").at("volume").to_number<double>();
}

TEST(CrashTest, EveryAcknowledgedEventSurvivesSigkillAndNoneCountsTwice) {
  RepdOptions options;
  options.config_text = std::string("[[tokens]]\nname = \"feed\"\nrole = \"feedback\"\n") +
                        "sha256 = \"" + Sha256Hex(kToken) + "\"\n" +
                        "[[reporters.known]]\nname = \"mbp\"\ntrust = 1.0\n";
  auto repd = RepdProcess::Start(options);
  ASSERT_TRUE(repd);

  std::atomic<int> acknowledged_batches{0};
  std::atomic<bool> stop{false};
  int sent_batches = 0;
  std::thread poster([&] {
    for (int b = 0; !stop; ++b) {
      sent_batches = b + 1;
      auto r = Post(repd->http_port(), Batch(b));
      if (r.status != 200) break;  // the server died under us
      auto answer = boost::json::parse(r.body).as_object();
      EXPECT_EQ(answer.at("accepted").to_number<int>(), kPerBatch);
      acknowledged_batches = b + 1;
    }
  });
  while (acknowledged_batches < 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(137));  // land mid-request
  repd->Stop(SIGKILL);
  stop = true;
  poster.join();
  const int acked = acknowledged_batches;
  ASSERT_GE(sent_batches, acked);
  std::printf("killed with %d batches acknowledged, %d sent\n", acked, sent_batches);

  repd = RepdProcess::Start(repd->options());
  ASSERT_TRUE(repd);
  double volume = Volume(repd->http_port());
  EXPECT_GE(volume, acked * kPerBatch - 0.5) << "an acknowledged event was lost";
  EXPECT_LE(volume, sent_batches * kPerBatch + 0.5);

  // Everything again: acknowledged events are duplicates; the total is exact.
  for (int b = 0; b < sent_batches; ++b) {
    auto r = Post(repd->http_port(), Batch(b));
    ASSERT_EQ(r.status, 200) << r.body;
    if (b < acked) {
      EXPECT_EQ(boost::json::parse(r.body).as_object().at("duplicate").to_number<int>(), kPerBatch);
    }
  }
  EXPECT_NEAR(Volume(repd->http_port()), sent_batches * kPerBatch, 0.5);
}

}  // namespace
}  // namespace repd::testing
