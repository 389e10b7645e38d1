// The real server on loopback sockets, asked by real clients (dig) over UDP, TCP, IPv4 and
// IPv6, including transfers, NOTIFY, rate limiting and metrics.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "dnsbl/dns_server.h"
#include "tests/dnsbl/test_util.h"
#include "tests/support/repd_process.h"

namespace repd::dnsbl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace repd::dnsbl::testing;

class ServerTest : public ::testing::Test {
 protected:
  void Start(DnsOptions options = {}) {
    FillIndex(index_);
    port_ = repd::testing::PickFreePort();
    options.listen = {absl::StrCat("127.0.0.1:", port_), absl::StrCat("[::1]:", port_)};
    options.udp_sockets = 2;
    auto server = DnsServer::Create(io_, options, index_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  std::string Dig(const std::string& args, const std::string& server = "127.0.0.1") {
    return repd::testing::RunCommand(
        absl::StrCat("dig @", server, " -p ", port_, " +time=2 +tries=3 ", args, " 2>&1"));
  }

  reputation::ListingIndex index_;
  boost::asio::io_context io_;
  std::unique_ptr<DnsServer> server_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

TEST_F(ServerTest, AnswersOverUdpTcpIpv4AndIpv6) {
  Start();
  EXPECT_EQ(Dig("+short 4.3.2.1.bl.repd.test A | sort"), "127.0.0.2\n127.0.0.4\n");
  EXPECT_EQ(Dig("+short +tcp 4.3.2.1.bl.repd.test A | sort"), "127.0.0.2\n127.0.0.4\n");
  EXPECT_EQ(Dig("+short 4.3.2.1.bl.repd.test A | sort", "::1"), "127.0.0.2\n127.0.0.4\n");
  EXPECT_EQ(Dig("+short +tcp 2.0.0.127.bl.repd.test A", "::1"), "127.0.0.2\n");
  EXPECT_EQ(Dig("+short 4.3.2.1.bl.repd.test TXT"), "\"Listed: 1.2.3.4 sent spam\"\n");
  EXPECT_EQ(Dig("+short example.com.dbl.repd.test A"), "127.0.1.2\n");
  std::string out = Dig("+norec 9.9.9.9.bl.repd.test A");
  EXPECT_THAT(out, HasSubstr("status: NXDOMAIN"));
  EXPECT_THAT(out, HasSubstr("flags: qr aa;"));
  EXPECT_THAT(out, HasSubstr("AUTHORITY: 1"));
  out = Dig("4.3.2.1.bl.repd.test AAAA");
  EXPECT_THAT(out, HasSubstr("status: NOERROR"));
  EXPECT_THAT(out, HasSubstr("ANSWER: 0, AUTHORITY: 1"));
  EXPECT_THAT(Dig("www.example.org A"), HasSubstr("status: REFUSED"));
  EXPECT_THAT(Dig("+short bl.repd.test NS"), HasSubstr("ns1.repd.test."));
}

TEST_F(ServerTest, TestPointsApexAndOtherZonesWithDigAndKdig) {
  Start();
  const std::string v6 = "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0";
  for (const std::string zone : {"bl.repd.test", "wl.repd.test", "score.repd.test"}) {
    EXPECT_THAT(Dig("2.0.0.127." + zone + " A"), HasSubstr("status: NOERROR")) << zone;
    EXPECT_THAT(Dig(v6 + "." + zone + " A"), HasSubstr("status: NOERROR")) << zone;
    EXPECT_THAT(Dig("1.0.0.127." + zone + " A"), HasSubstr("status: NXDOMAIN")) << zone;
  }
  for (const std::string zone : {"dbl.repd.test", "wl.repd.test", "score.repd.test"}) {
    EXPECT_THAT(Dig("test." + zone + " A"), HasSubstr("status: NOERROR")) << zone;
    EXPECT_THAT(Dig("invalid." + zone + " A"), HasSubstr("status: NXDOMAIN")) << zone;
  }
  EXPECT_THAT(Dig("+short bl.repd.test SOA"),
              HasSubstr("ns1.repd.test. hostmaster.bl.repd.test. "));
  EXPECT_EQ(Dig("+short good.example.wl.repd.test A"), "127.0.20.2\n");
  EXPECT_EQ(Dig("+short good.example.score.repd.test A"), "127.0.4.90\n");
  // 0x20-mixed case comes back as asked, over UDP and TCP.
  for (const char* tcp : {"", "+tcp "}) {
    std::string out = Dig(absl::StrCat(tcp, "4.3.2.1.bL.RePd.tEsT A"));
    EXPECT_THAT(out, HasSubstr(";4.3.2.1.bL.RePd.tEsT.")) << out;
    EXPECT_THAT(out, HasSubstr("ANSWER: 2")) << out;
  }
  // kdig (Knot's client) agrees.
  std::string kdig = repd::testing::RunCommand(absl::StrCat(
      "kdig @127.0.0.1 -p ", port_, " +tcp +edns=0 +bufsize=1232 test.dbl.repd.test A 2>&1"));
  EXPECT_THAT(kdig, HasSubstr("status: NOERROR"));
  EXPECT_THAT(kdig, HasSubstr("127.0.1.2"));
  EXPECT_THAT(kdig, HasSubstr("Version: 0; flags: ; UDP size: 1232 B"));
}

TEST_F(ServerTest, EdnsAndTruncationThenTcp) {
  Start();
  EXPECT_THAT(Dig("+bufsize=4096 4.3.2.1.bl.repd.test A"), HasSubstr("udp: 1232"));
  EXPECT_THAT(Dig("+edns=1 +noednsnegotiation 4.3.2.1.bl.repd.test A"),
              HasSubstr("status: BADVERS"));
  std::vector<reputation::ListingChange> change;
  change.push_back(IpChange("9.9.9.9", MakeListing({2}, std::string(600, 'x'))));
  index_.Apply(std::move(change));
  std::string udp = Dig("+norec +ignore +noedns 9.9.9.9.bl.repd.test TXT");
  EXPECT_THAT(udp, HasSubstr("flags: qr aa tc;"));
  std::string retried = Dig("+noedns 9.9.9.9.bl.repd.test TXT");  // dig retries over TCP
  EXPECT_THAT(retried, HasSubstr("ANSWER: 1"));
  EXPECT_THAT(retried, HasSubstr(std::string(255, 'x')));
}

TEST_F(ServerTest, AxfrAndIxfrFollowTheIndex) {
  Start();
  std::string axfr = Dig("AXFR bl.repd.test");
  EXPECT_THAT(axfr, HasSubstr("4.3.2.1.bl.repd.test.\t300\tIN\tA\t127.0.0.4"));
  EXPECT_THAT(axfr, HasSubstr("2.0.0.127.bl.repd.test.\t300\tIN\tA\t127.0.0.2"));
  EXPECT_THAT(axfr, HasSubstr("XFR size: "));
  const uint32_t serial = index_.Current()->Serial();
  std::vector<reputation::ListingChange> change;
  change.push_back(IpChange("7.7.7.7", MakeListing({3}, "new trap hit")));
  change.push_back(IpChange("1.2.3.4", std::nullopt));
  index_.Apply(std::move(change));
  ASSERT_NE(index_.Current()->Serial(), serial);
  std::string ixfr = Dig(absl::StrCat("IXFR=", serial, " bl.repd.test"));
  EXPECT_THAT(ixfr, HasSubstr("7.7.7.7.bl.repd.test.\t300\tIN\tA\t127.0.0.3"));
  EXPECT_THAT(ixfr, HasSubstr("4.3.2.1.bl.repd.test.\t300\tIN\tA\t127.0.0.4"));  // deleted
  EXPECT_THAT(ixfr, Not(HasSubstr("2.0.0.127")));  // incremental, not the whole zone
  std::string current = Dig(absl::StrCat("IXFR=", index_.Current()->Serial(), " bl.repd.test"));
  EXPECT_THAT(current, HasSubstr("XFR size: 1 records"));
  // A serial older than the journal gets the whole zone.
  std::string full = Dig("IXFR=1 bl.repd.test");
  EXPECT_THAT(full, HasSubstr("2.0.0.127.bl.repd.test."));
}

TEST_F(ServerTest, TransfersOutsideTheAclAreRefused) {
  DnsOptions options;
  options.transfer_allow = {"10.0.0.0/8"};
  Start(options);
  EXPECT_THAT(Dig("AXFR bl.repd.test"), HasSubstr("Transfer failed"));
  EXPECT_EQ(Dig("+short 2.0.0.127.bl.repd.test A"), "127.0.0.2\n");  // queries still work
}

TEST_F(ServerTest, TransfersNeedTheTsigKeyWhenOneIsConfigured) {
  DnsOptions options;
  options.tsig_name = "xfr-key";
  options.tsig_secret = "c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA==";
  Start(options);
  std::string signed_axfr =
      Dig("-y hmac-sha256:xfr-key:c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA== AXFR bl.repd.test");
  EXPECT_THAT(signed_axfr, HasSubstr("4.3.2.1.bl.repd.test.\t300\tIN\tA\t127.0.0.4"));
  EXPECT_THAT(signed_axfr, Not(HasSubstr("failed")));
  EXPECT_THAT(signed_axfr, HasSubstr("TSIG"));
  EXPECT_THAT(Dig("AXFR bl.repd.test"), HasSubstr("Transfer failed"));
  // A wrong secret or another key: the RFC 8945 error answer, which names the cause.
  std::string wrong_secret =
      Dig("-y hmac-sha256:xfr-key:d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk= AXFR bl.repd.test");
  std::string other_key = Dig(
      "-y hmac-sha256:other-key:c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA== AXFR bl.repd.test");
  EXPECT_THAT(wrong_secret, Not(HasSubstr("127.0.0.4")));
  EXPECT_THAT(wrong_secret, HasSubstr("TSIG\thmac-sha256."));
  EXPECT_THAT(wrong_secret, HasSubstr(" BADSIG "));
  EXPECT_THAT(wrong_secret, HasSubstr("Transfer failed"));
  EXPECT_THAT(other_key, Not(HasSubstr("127.0.0.4")));
  EXPECT_THAT(other_key, HasSubstr(" BADKEY "));
  EXPECT_THAT(other_key, HasSubstr("Transfer failed"));
}

TEST_F(ServerTest, SignedQueriesGetSignedAnswers) {
  DnsOptions options;
  options.tsig_name = "xfr-key";
  options.tsig_secret = "c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA==";
  Start(options);
  // dig checks the TSIG of the answer and complains when it is missing or wrong.
  for (const std::string transport : {"", "+tcp "}) {
    for (const std::string q : {"bl.repd.test SOA", "4.3.2.1.bl.repd.test A"}) {
      std::string answer = Dig(
          transport + "-y hmac-sha256:xfr-key:c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA== " + q);
      EXPECT_THAT(answer, HasSubstr("status: NOERROR")) << q;
      EXPECT_THAT(answer, HasSubstr("TSIG PSEUDOSECTION")) << q;
      EXPECT_THAT(answer, HasSubstr("NOERROR 0")) << q;  // the TSIG's own error field
      EXPECT_THAT(answer, Not(HasSubstr("verify"))) << answer;
    }
  }
  // Another key, or our key with a wrong secret: NOTAUTH with the TSIG error, unsigned.
  std::string other_key =
      Dig("-y hmac-sha256:other-key:c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA== bl.repd.test SOA");
  EXPECT_THAT(other_key, HasSubstr("status: NOTAUTH"));
  EXPECT_THAT(other_key, HasSubstr("BADKEY"));
  std::string wrong_secret =
      Dig("-y hmac-sha256:xfr-key:d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk= bl.repd.test SOA");
  EXPECT_THAT(wrong_secret, HasSubstr("status: NOTAUTH"));
  EXPECT_THAT(wrong_secret, HasSubstr("BADSIG"));
  EXPECT_THAT(wrong_secret, HasSubstr("ANSWER: 0,"));
}

TEST_F(ServerTest, SignedQueriesWithoutAConfiguredKeyGetBadKey) {
  Start();
  std::string answer =
      Dig("-y hmac-sha256:xfr-key:c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA== bl.repd.test SOA");
  EXPECT_THAT(answer, HasSubstr("status: NOTAUTH"));
  EXPECT_THAT(answer, HasSubstr("BADKEY"));
  // A signed transfer as well: an unsigned zone would leave the secondary unable to check it.
  std::string axfr =
      Dig("-y hmac-sha256:xfr-key:c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA== AXFR bl.repd.test");
  EXPECT_THAT(axfr, HasSubstr(" BADKEY "));
  EXPECT_THAT(axfr, Not(HasSubstr("127.0.0.2")));
  EXPECT_EQ(Dig("+short 2.0.0.127.bl.repd.test A"), "127.0.0.2\n");
}

TEST_F(ServerTest, NotifiesSecondariesOfANewSerial) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  DnsOptions options;
  options.notify = {absl::StrCat("127.0.0.1:", ntohs(addr.sin_port))};
  Start(options);
  std::vector<reputation::ListingChange> change;
  change.push_back(IpChange("7.7.7.7", MakeListing({3}, "trap")));
  index_.Apply(std::move(change));
  std::set<std::string> zones;
  for (int i = 0; i < 4; ++i) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1) << "no NOTIFY";
    uint8_t buf[512];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    ASSERT_GT(n, 12);
    EXPECT_EQ((buf[2] >> 3) & 0xF, 4);  // opcode NOTIFY
    std::vector<uint8_t> wire(buf, buf + n);
    auto pkt = Parse(wire);
    ASSERT_NE(pkt, nullptr);
    char* name = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0)));
    zones.insert(name);
    free(name);
    // Answer it, so that the server stops retrying.
    buf[2] |= 0x80;
    sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
  close(fd);
  EXPECT_EQ(zones, (std::set<std::string>{"bl.repd.test.", "dbl.repd.test.", "wl.repd.test.",
                                          "score.repd.test."}));
}

TEST_F(ServerTest, RateLimitingDropsMostAnswersToOnePrefixAndSlipsSome) {
  DnsOptions options;
  options.rrl_rate = 5;
  options.rrl_slip = 2;
  Start(options);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port_));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto query = MakeQuery("4.3.2.1.bl.repd.test", LDNS_RR_TYPE_A);
  for (int i = 0; i < 40; ++i) {
    sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  int full = 0, truncated = 0;
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 500) == 1) {
    uint8_t buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 12) break;
    ((buf[2] & 0x02) ? truncated : full)++;
  }
  close(fd);
  // Within one second (two at a second boundary): at most 2 x 5 full answers.
  EXPECT_GE(full, 5);
  EXPECT_LE(full, 10);
  EXPECT_GE(truncated, 10);
  EXPECT_LE(truncated, 20);
}

TEST_F(ServerTest, CountsQueriesPerZoneForMetrics) {
  Start();
  Dig("+short 4.3.2.1.bl.repd.test A");
  Dig("+short test.dbl.repd.test A");
  const std::string text = metrics::RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("repd_dns_queries_total{zone=\"bl.repd.test\"}"));
  EXPECT_THAT(text, HasSubstr("repd_dns_queries_total{zone=\"dbl.repd.test\"}"));
  EXPECT_THAT(text, HasSubstr("repd_dns_answer_seconds_bucket{zone=\"bl.repd.test\""));
}

TEST_F(ServerTest, BusyPortIsAnErrorNamingTheAddress) {
  Start();
  boost::asio::io_context io;
  reputation::ListingIndex index;
  DnsOptions options;
  options.listen = {absl::StrCat("127.0.0.1:", port_)};
  auto second = DnsServer::Create(io, options, index);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(absl::StrCat("127.0.0.1:", port_)));
}

}  // namespace
}  // namespace repd::dnsbl
