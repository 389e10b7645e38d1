// A real secondary: NSD (unprivileged, its own config and directories in a temp dir) on
// loopback transfers the zones from repd (AXFR), is told of changes by NOTIFY, follows them
// by IXFR, and answers the same as repd; with and without a TSIG key on every exchange.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/metrics.h"
#include "dnsbl/dns_server.h"
#include "tests/dnsbl/test_util.h"
#include "tests/support/repd_process.h"

extern char** environ;

namespace repd::dnsbl {
namespace {

using namespace repd::dnsbl::testing;
using repd::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNsd = "/usr/sbin/nsd";
constexpr const char* kKeyName = "transfer-key";
constexpr const char* kSecret = "c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA==";

class NsdSecondaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kNsd, X_OK) != 0) GTEST_SKIP() << "nsd is not installed (apt-get install nsd)";
  }

  // Starts repd's DNS server and NSD as its secondary; with `tsig`, both hold one key and
  // NSD accepts NOTIFY and transfers only when signed with it.
  void Start(bool tsig) {
    FillIndex(index_);
    repd_port_ = repd::testing::PickFreePort();
    nsd_port_ = repd::testing::PickFreePort();
    while (nsd_port_ == repd_port_) nsd_port_ = repd::testing::PickFreePort();
    DnsOptions options;
    options.listen = {absl::StrCat("127.0.0.1:", repd_port_)};
    options.udp_sockets = 1;
    options.notify = {absl::StrCat("127.0.0.1:", nsd_port_)};
    if (tsig) {
      options.tsig_name = kKeyName;
      options.tsig_secret = kSecret;
    }
    auto server = DnsServer::Create(io_, options, index_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    thread_ = std::thread([this] { io_.run(); });

    dir_ = repd::testing::MakeTempDir("repd-nsd");
    const std::string key = tsig ? kKeyName : "NOKEY";
    std::string zones;
    if (tsig) {
      zones += absl::StrCat("key:\n  name: ", kKeyName, "\n  algorithm: hmac-sha256\n  secret: \"",
                            kSecret, "\"\n");
    }
    for (const char* zone : {"bl.repd.test", "dbl.repd.test"}) {
      zones +=
          absl::StrCat("zone:\n  name: ", zone, "\n  request-xfr: 127.0.0.1@", repd_port_, " ", key,
                       "\n  allow-notify: 127.0.0.1 ", key, "\n  zonefile: \"", zone, ".zone\"\n");
    }
    repd::testing::WriteFile(
        dir_ + "/nsd.conf",
        absl::StrReplaceAll(
            "server:\n  ip-address: 127.0.0.1\n  port: PORT\n  do-ip6: no\n  username: \"\"\n"
            "  chroot: \"\"\n  zonesdir: \"DIR\"\n  database: \"\"\n"
            "  zonelistfile: \"DIR/zone.list\"\n  xfrdfile: \"DIR/xfrd.state\"\n"
            "  xfrdir: \"DIR\"\n  pidfile: \"DIR/nsd.pid\"\n  logfile: \"DIR/nsd.log\"\n"
            "  verbosity: 2\n  server-count: 1\n  xfrd-reload-timeout: 0\n"
            "remote-control:\n  control-enable: no\n",
            {{"PORT", std::to_string(nsd_port_)}, {"DIR", dir_}}) +
            zones);
    const std::string conf = dir_ + "/nsd.conf";
    char* argv[] = {const_cast<char*>(kNsd), const_cast<char*>("-d"), const_cast<char*>("-c"),
                    const_cast<char*>(conf.c_str()), nullptr};
    ASSERT_EQ(posix_spawn(&nsd_pid_, kNsd, nullptr, nullptr, argv, environ), 0);
  }

  void TearDown() override {
    if (nsd_pid_ > 0) {
      kill(nsd_pid_, SIGTERM);
      int status = 0;
      waitpid(nsd_pid_, &status, 0);
    }
    if (server_) server_->Stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string Dig(int port, const std::string& args) {
    return RunCommand(absl::StrCat("dig @127.0.0.1 -p ", port,
                                   " +time=1 +tries=1 +nocookie +noall +answer +comments ", args,
                                   " 2>&1 | grep -E 'status:|IN' | sed -E "
                                   "'s/, id: [0-9]+//' | sort"));
  }

  // Polls NSD until `args` gets `expected` (or 20 s pass).
  std::string WaitForNsd(const std::string& args, const std::string& expected) {
    std::string got;
    for (int i = 0; i < 200; ++i) {
      got = Dig(nsd_port_, args);
      if (got == expected) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return got;
  }

  std::string NsdLog() { return repd::testing::ReadFile(dir_ + "/nsd.log"); }
  void ExpectNsdFollowsRepd();

  reputation::ListingIndex index_;
  boost::asio::io_context io_;
  std::unique_ptr<DnsServer> server_;
  std::thread thread_;
  std::string dir_;
  int repd_port_ = 0, nsd_port_ = 0;
  pid_t nsd_pid_ = -1;
};

void NsdSecondaryTest::ExpectNsdFollowsRepd() {
  const std::string listed = "4.3.2.1.bl.repd.test A";
  ASSERT_EQ(WaitForNsd(listed, Dig(repd_port_, listed)), Dig(repd_port_, listed)) << NsdLog();
  for (const std::string q :
       {"4.3.2.1.bl.repd.test TXT", "2.0.0.127.bl.repd.test A", "2.0.0.127.bl.repd.test TXT",
        "1.0.0.127.bl.repd.test A", "9.9.9.9.bl.repd.test A", "4.3.2.1.bl.repd.test AAAA",
        "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.repd.test A",
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.repd.test TXT",
        "example.com.dbl.repd.test A", "example.com.dbl.repd.test TXT", "test.dbl.repd.test A",
        "invalid.dbl.repd.test A", "bl.repd.test SOA", "dbl.repd.test NS"}) {
    EXPECT_EQ(WaitForNsd(q, Dig(repd_port_, q)), Dig(repd_port_, q)) << q;
  }

  // A new listing and a removal reach NSD by NOTIFY + IXFR.
  auto Incremental = [] {
    const std::string text = metrics::RenderPrometheus();
    const std::string key = "repd_dns_transfers_total{kind=\"incremental\"} ";
    size_t at = text.find(key);
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + key.size()));
  };
  const uint64_t incremental_before = Incremental();
  std::vector<reputation::ListingChange> change;
  change.push_back(IpChange("7.7.7.7", MakeListing({3}, "trap hit by $")));
  change.push_back(IpChange("1.2.3.4", std::nullopt));
  index_.Apply(std::move(change));
  const std::string added = "7.7.7.7.bl.repd.test TXT";
  EXPECT_EQ(WaitForNsd(added, Dig(repd_port_, added)), Dig(repd_port_, added)) << NsdLog();
  EXPECT_THAT(Dig(nsd_port_, added), ::testing::HasSubstr("trap hit by 7.7.7.7"));
  EXPECT_EQ(WaitForNsd(listed, Dig(repd_port_, listed)), Dig(repd_port_, listed));
  EXPECT_THAT(Dig(nsd_port_, listed), ::testing::HasSubstr("NXDOMAIN"));
  EXPECT_GT(Incremental(), incremental_before) << "NSD did not follow by IXFR";
}

TEST_F(NsdSecondaryTest, TransfersFollowsNotifyAndAnswersLikeRepd) {
  Start(/*tsig=*/false);
  ExpectNsdFollowsRepd();
}

TEST_F(NsdSecondaryTest, EveryExchangeIsSignedWithTheTsigKey) {
  Start(/*tsig=*/true);
  ExpectNsdFollowsRepd();
  // NSD checks the signature of every answer (its SOA checks too) and of every NOTIFY.
  const std::string log = NsdLog();
  EXPECT_THAT(log, HasSubstr("TSIG verified with key transfer-key")) << log;
  for (const char* complaint : {"refused", "error", "bad", "fail"}) {
    EXPECT_THAT(log, Not(HasSubstr(complaint))) << log;
  }
}

TEST_F(NsdSecondaryTest, NetworkListingsTransferAsWildcards) {
  Start(/*tsig=*/false);
  const std::string first = "4.3.2.1.bl.repd.test A";
  ASSERT_EQ(WaitForNsd(first, Dig(repd_port_, first)), Dig(repd_port_, first)) << NsdLog();
  // A /8 with addresses and a /24 listed inside it, a /12 (16 wildcards at /16) and an IPv6
  // /32: NSD must answer every address as repd does, wildcards and empty non-terminals alike.
  std::vector<reputation::ListingChange> change;
  change.push_back(NetworkChange("10.0.0.0/8", MakeListing({10}, "hosting range")));
  change.push_back(NetworkChange("10.1.3.0/24", MakeListing({4}, "bot pool")));
  change.push_back(IpChange("10.1.2.3", MakeListing({2}, "spam source")));
  change.push_back(NetworkChange("172.16.0.0/12", MakeListing({20}, "operator block")));
  change.push_back(NetworkChange("2001:db8:100::/40", MakeListing({3}, "trap network")));
  // Every name under wild.example, one name listed on its own under it.
  reputation::ListingChange wild = DomainChange("wild.example", MakeListing({2}, "throwaway"));
  wild.subdomains = true;
  change.push_back(wild);
  change.push_back(DomainChange("a.b.wild.example", MakeListing({4}, "own")));
  index_.Apply(std::move(change));
  const std::string wildcard = "4.3.200.10.bl.repd.test A";
  EXPECT_EQ(WaitForNsd(wildcard, Dig(repd_port_, wildcard)), Dig(repd_port_, wildcard)) << NsdLog();
  EXPECT_THAT(Dig(repd_port_, wildcard), HasSubstr("127.0.0.10"));
  for (const std::string q : {
           "3.2.1.10.bl.repd.test A",      // the address itself
           "4.2.1.10.bl.repd.test A",      // beside it: the /8, through *.2.1.10
           "5.5.1.10.bl.repd.test A",      // *.1.10
           "7.3.1.10.bl.repd.test A",      // the /24 inside the /8
           "1.1.1.11.bl.repd.test A",      // outside
           "9.9.20.172.bl.repd.test A",    // the /12
           "9.9.32.172.bl.repd.test A",    // just past it
           "4.3.200.10.bl.repd.test TXT",  // the network's text
           "3.2.1.10.bl.repd.test TXT",
           "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.8.b.d.0.1.0.0.2.bl.repd.test A",
           "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.8.b.d.0.1.0.0.2.bl.repd.test A",
           "x.wild.example.dbl.repd.test A",    // *.wild.example
           "c.b.wild.example.dbl.repd.test A",  // *.b.wild.example
           "a.b.wild.example.dbl.repd.test A",  // the name itself
           "x.wild.example.dbl.repd.test TXT",
       }) {
    EXPECT_EQ(Dig(nsd_port_, q), Dig(repd_port_, q)) << q;
  }
  // wild.example itself is not listed: an empty non-terminal (NODATA) for both, as are the
  // parents of listed addresses.
  for (const std::string q : {"wild.example.dbl.repd.test A", "example.dbl.repd.test A",
                              "1.10.bl.repd.test A", "3.1.10.bl.repd.test A"}) {
    EXPECT_EQ(Dig(nsd_port_, q), Dig(repd_port_, q)) << q;
    EXPECT_THAT(Dig(repd_port_, q), HasSubstr("NOERROR")) << q;
  }
}

TEST_F(NsdSecondaryTest, HolesInNetworksStayHolesOnTheSecondary) {
  Start(/*tsig=*/false);
  const std::string first = "4.3.2.1.bl.repd.test A";
  ASSERT_EQ(WaitForNsd(first, Dig(repd_port_, first)), Dig(repd_port_, first)) << NsdLog();
  // Names under listed networks that are not listed: an exclusion (rbldnsd "!addr"), an
  // allow-listed address, an excluded /16 with a listed /24 inside, an excluded /20 (not on a
  // label boundary), every address of one /24 excluded one by one, and IPv6 alike. A wildcard
  // would cover them all; the transfer must leave them out.
  const reputation::Listing none = MakeListing({}, "");
  std::vector<reputation::ListingChange> change;
  change.push_back(NetworkChange("10.0.0.0/8", MakeListing({10}, "hosting range")));
  change.push_back(IpChange("10.1.2.3", none));
  change.push_back(IpChange("10.1.2.4", MakeListing({}, "", 95, 3)));
  change.push_back(NetworkChange("10.5.0.0/16", none));
  change.push_back(NetworkChange("10.5.7.0/24", MakeListing({4}, "bot pool")));
  change.push_back(NetworkChange("10.6.16.0/20", none));
  for (int i = 0; i < 256; ++i) change.push_back(IpChange(absl::StrCat("10.7.7.", i), none));
  change.push_back(NetworkChange("2001:db8::/32", MakeListing({3}, "trap network")));
  change.push_back(IpChange("2001:db8::1", none));
  change.push_back(NetworkChange("2001:db8:1::/48", none));
  // Under a listed domain wildcard: an excluded name, an excluded name below an empty
  // non-terminal, and every name under an excluded subdomain.
  reputation::ListingChange wild = DomainChange("wild.example", MakeListing({2}, "throwaway"));
  wild.subdomains = true;
  change.push_back(wild);
  change.push_back(DomainChange("ok.wild.example", none));
  change.push_back(DomainChange("a.b.wild.example", none));
  reputation::ListingChange quiet = DomainChange("quiet.wild.example", none);
  quiet.subdomains = true;
  change.push_back(quiet);
  index_.Apply(std::move(change));
  const std::string wildcard = "4.3.200.10.bl.repd.test A";
  EXPECT_EQ(WaitForNsd(wildcard, Dig(repd_port_, wildcard)), Dig(repd_port_, wildcard)) << NsdLog();
  for (const std::string& q : std::vector<std::string>{
           "3.2.1.10.bl.repd.test A",    // excluded
           "4.2.1.10.bl.repd.test A",    // allow-listed
           "4.2.1.10.bl.repd.test TXT",  //
           "2.2.1.10.bl.repd.test A",    // beside them: listed
           "5.2.1.10.bl.repd.test A",    //
           "9.3.1.10.bl.repd.test A",    //
           "1.1.5.10.bl.repd.test A",    // the excluded /16
           "9.7.5.10.bl.repd.test A",    // the /24 listed inside it
           "1.17.6.10.bl.repd.test A",   // the excluded /20
           "1.15.6.10.bl.repd.test A",   // beside it
           "1.32.6.10.bl.repd.test A",   //
           "9.7.7.10.bl.repd.test A",    // the /24 excluded address by address
           "9.8.7.10.bl.repd.test A",    //
           "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.repd."
           "test A",  // excluded
           "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.repd."
           "test A",  // listed
           "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.repd."
           "test A",  // the excluded /48
           "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.8.b.d.0.1.0.0.2.bl.repd."
           "test A",  // beside it
       }) {
    EXPECT_EQ(Dig(nsd_port_, q), Dig(repd_port_, q)) << q;
  }
  EXPECT_THAT(Dig(nsd_port_, "3.2.1.10.bl.repd.test A"), HasSubstr("NXDOMAIN"));
  // A domain hole is a CNAME to the "invalid" test point at NSD: NXDOMAIN and no A either way.
  for (const std::string q :
       {"x.wild.example.dbl.repd.test A", "c.b.wild.example.dbl.repd.test A"}) {
    EXPECT_EQ(Dig(nsd_port_, q), Dig(repd_port_, q)) << q;
    EXPECT_THAT(Dig(nsd_port_, q), HasSubstr("127.0.1.2")) << q;
  }
  for (const std::string q :
       {"ok.wild.example.dbl.repd.test A", "a.b.wild.example.dbl.repd.test A",
        "y.quiet.wild.example.dbl.repd.test A", "ok.wild.example.dbl.repd.test TXT"}) {
    EXPECT_THAT(Dig(repd_port_, q), HasSubstr("NXDOMAIN")) << q;
    const std::string secondary = Dig(nsd_port_, q);
    EXPECT_THAT(secondary, HasSubstr("NXDOMAIN")) << q;
    EXPECT_THAT(secondary, Not(HasSubstr("127.0."))) << q;
    EXPECT_THAT(secondary, Not(HasSubstr("TXT"))) << q;
  }
  EXPECT_THAT(Dig(nsd_port_, "2.2.1.10.bl.repd.test A"), HasSubstr("127.0.0.10"));
  EXPECT_THAT(Dig(nsd_port_, "9.7.5.10.bl.repd.test A"), HasSubstr("127.0.0.4"));
}

}  // namespace
}  // namespace repd::dnsbl
