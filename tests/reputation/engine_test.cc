// The engine over a real RocksDB store: durability, idempotency, the index, the
// connect-time decision, neighbours, shared IPs, overrides and delisting.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "reputation/keys.h"
#include "reputation/reputation.h"
#include "reputation/store.h"
#include "tests/support/repd_process.h"

namespace repd::reputation {
namespace {

constexpr int64_t kDay = 86400;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = testing::MakeTempDir("repd-engine") + "/var";
    options_.reporters = {{"fbl", 1.0}, {"fbl2", 1.0}, {"trapnet", 1.0}};
    Open();
  }
  void Open() {
    rep_.reset();
    auto r = Reputation::Open(options_);
    ASSERT_TRUE(r.ok()) << r.status();
    rep_ = std::move(*r);
  }
  Event Ev(std::string id, EventType type, std::string ip, std::string domain, std::string reporter,
           double count = 1, int64_t age_days = 0) {
    Event e;
    e.id = std::move(id);
    e.type = type;
    e.time = Now() - age_days * kDay;
    if (!ip.empty()) e.ip = IpAddress::Parse(ip);
    e.domain = std::move(domain);
    e.reporter = std::move(reporter);
    e.count = count;
    return e;
  }
  IngestOutcome Ingest(const std::vector<Event>& events) {
    auto out = rep_->Ingest(events);
    EXPECT_TRUE(out.ok()) << out.status();
    rep_->WaitForIndex();
    return out.ok() ? *out : IngestOutcome{};
  }
  std::optional<Listing> Ip(const std::string& ip) {
    return rep_->index().Current()->FindIp(*IpAddress::Parse(ip));
  }

  ReputationOptions options_;
  std::unique_ptr<Reputation> rep_;
};

// Stopping does not wait for the index to catch up with a burst (that could take minutes):
// what was still queued is published by the rebuild at start, hysteresis state included.
TEST_F(EngineTest, ListingsQueuedAtShutdownArePublishedAtTheNextStart) {
  constexpr int kBatches = 20, kPerBatch = 2000;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<Event> batch;
    for (int i = 0; i < kPerBatch; ++i) {
      const int n = b * kPerBatch + i;
      batch.push_back(Ev("burst-" + std::to_string(n), EventType::kBot,
                         "10." + std::to_string(n >> 16) + "." + std::to_string((n >> 8) & 255) +
                             "." + std::to_string(n & 255),
                         "", "fbl"));
    }
    auto out = rep_->Ingest(batch);  // no wait for the index: leave it behind
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_EQ(out->accepted, static_cast<size_t>(kPerBatch));
  }
  Open();
  for (int n = 0; n < kBatches * kPerBatch; n += 997) {
    const std::string ip = "10." + std::to_string(n >> 16) + "." + std::to_string((n >> 8) & 255) +
                           "." + std::to_string(n & 255);
    EXPECT_TRUE(Ip(ip).has_value()) << ip;
  }
  EXPECT_TRUE(Ip("10.0.156.63").has_value());  // the last one
  EXPECT_EQ(rep_->index().Current()->Size(), static_cast<size_t>(kBatches * kPerBatch));
}

TEST_F(EngineTest, DuplicateIdsAreCountedOnceEvenAfterRestart) {
  auto out = Ingest({Ev("a", EventType::kSpamtrap, "192.0.2.1", "", "trapnet"),
                     Ev("a", EventType::kSpamtrap, "192.0.2.1", "", "trapnet"),
                     Ev("b", EventType::kSpamtrap, "192.0.2.1", "", "trapnet")});
  EXPECT_EQ(out.accepted, 2u);
  EXPECT_EQ(out.duplicate, 1u);
  Open();
  out = Ingest({Ev("a", EventType::kSpamtrap, "192.0.2.1", "", "trapnet")});
  EXPECT_EQ(out.accepted, 0u);
  EXPECT_EQ(out.duplicate, 1u);
  EXPECT_NEAR(rep_->ReportIp(*IpAddress::Parse("192.0.2.1"), Now()).traps, 2, 1e-3);
}

TEST_F(EngineTest, ConcurrentRequestsWithTheSameIdsCountEachEventOnce) {
  // Feeds retry: the same batch may arrive on several connections at once. One request's batch
  // syncs outside the writer lock while the next is checked, so its ids are not in the store
  // yet when the others look.
  constexpr int kThreads = 4, kRounds = 30, kPerBatch = 50;
  std::atomic<size_t> accepted{0}, duplicate{0};
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Event> batch;
    for (int i = 0; i < kPerBatch; ++i) {
      batch.push_back(
          Ev(absl::StrCat("r", round, "-", i), EventType::kSpamtrap, "192.0.2.9", "", "trapnet"));
    }
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        auto out = rep_->Ingest(batch);
        ASSERT_TRUE(out.ok()) << out.status();
        accepted += out->accepted;
        duplicate += out->duplicate;
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(accepted.load(), static_cast<size_t>(kRounds * kPerBatch));
  EXPECT_EQ(duplicate.load(), static_cast<size_t>((kThreads - 1) * kRounds * kPerBatch));
  rep_->WaitForIndex();
  EXPECT_NEAR(rep_->ReportIp(*IpAddress::Parse("192.0.2.9"), Now()).traps, kRounds * kPerBatch,
              1e-3 * kRounds * kPerBatch);
}

TEST_F(EngineTest, ListingAppearsInTheIndexAtOnceAndSurvivesRestart) {
  EXPECT_FALSE(Ip("192.0.2.7"));
  Ingest({Ev("t1", EventType::kSpamtrap, "192.0.2.7", "", "trapnet", 3)});
  auto l = Ip("192.0.2.7");
  ASSERT_TRUE(l);
  EXPECT_NE(l->categories & (1u << kCategoryTrap), 0u);
  EXPECT_NE(l->txt->find("trap"), std::string::npos);
  uint32_t serial = rep_->index().Current()->Serial();
  Open();
  l = Ip("192.0.2.7");
  ASSERT_TRUE(l);
  EXPECT_NE(l->categories & (1u << kCategoryTrap), 0u);
  EXPECT_GT(static_cast<int32_t>(rep_->index().Current()->Serial() - serial), 0)
      << "the zone serial grows across restarts";
}

TEST_F(EngineTest, ListingIsPublishedAheadOfAVolumeBacklog) {
  // Bulk volume data (a DMARC aggregate feed) queues refreshes for 40,000 subjects.
  constexpr int kVolume = 40000;
  std::vector<Event> volume;
  for (int i = 0; i < kVolume; ++i) {
    volume.push_back(Ev("v" + std::to_string(i), EventType::kDelivered,
                        "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256), "",
                        "fbl"));
  }
  ASSERT_TRUE(rep_->Ingest(volume).ok());
  ASSERT_TRUE(rep_->Ingest({Ev("t", EventType::kSpamtrap, "192.0.2.77", "", "trapnet", 3)}).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!Ip("192.0.2.77") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(Ip("192.0.2.77"));
  EXPECT_LT(rep_->index().Current()->Size(), static_cast<size_t>(kVolume))
      << "the listing waited for the whole volume backlog";
  rep_->WaitForIndex();
  EXPECT_EQ(rep_->index().Current()->Size(), static_cast<size_t>(kVolume) + 1)
      << "volume evidence is published too";
}

TEST_F(EngineTest, EventsOlderThanRetentionAreRejected) {
  auto out = Ingest({Ev("old", EventType::kBot, "192.0.2.9", "", "fbl", 1, 200)});
  EXPECT_EQ(out.accepted, 0u);
  ASSERT_EQ(out.rejected.size(), 1u);
  EXPECT_NE(out.rejected[0].second.find("retention"), std::string::npos);
}

TEST_F(EngineTest, CheckFollowsTheConnectTimeRules) {
  // A bot: rule 2.
  Ingest({Ev("bot", EventType::kBot, "198.51.100.10", "", "fbl")});
  auto r = rep_->Check({IpAddress::Parse("198.51.100.10"), "", "", {}}, Now());
  EXPECT_EQ(r.action, "reject");
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons.back().find("bot"), std::string::npos);
  // Its neighbour without history: rule 5, tempfail and never reject.
  r = rep_->Check({IpAddress::Parse("198.51.100.11"), "", "", {}}, Now());
  EXPECT_EQ(r.action, "tempfail");
  // Its neighbour's prefix is never listed in the zone either.
  EXPECT_FALSE(Ip("198.51.100.11"));
  // A stranger elsewhere: neutral.
  EXPECT_EQ(rep_->Check({IpAddress::Parse("203.0.113.50"), "", "", {}}, Now()).action, "neutral");
  // An IP with good history of its own next to the bot: judged on its own history.
  Ingest({Ev("good", EventType::kDelivered, "198.51.100.12", "", "fbl", 5000, 5)});
  EXPECT_EQ(rep_->Check({IpAddress::Parse("198.51.100.12"), "", "", {}}, Now()).action, "accept");
}

TEST_F(EngineTest, SharedProviderIpIsJudgedByTheVerifiedDomain) {
  std::vector<Event> events;
  // Five customer domains in good standing sending through one provider IP.
  for (int i = 0; i < 5; ++i) {
    std::string d = "customer" + std::to_string(i) + ".example";
    events.push_back(
        Ev("v" + std::to_string(i), EventType::kDelivered, "192.0.2.200", d, "fbl", 2000, 5));
  }
  Ingest(events);
  // One spamming customer on the same IP draws complaints from two reporters.
  Ingest({Ev("sv1", EventType::kDelivered, "192.0.2.200", "spammy.example", "fbl", 500, 1),
          Ev("sv2", EventType::kDelivered, "192.0.2.200", "spammy.example", "fbl2", 500, 1),
          Ev("sc1", EventType::kComplaint, "192.0.2.200", "spammy.example", "fbl", 200, 1),
          Ev("sc2", EventType::kComplaint, "192.0.2.200", "spammy.example", "fbl2", 200, 1),
          Ev("sc3", EventType::kSpamtrap, "192.0.2.200", "", "trapnet", 5, 1)});
  auto ip = rep_->ReportIp(*IpAddress::Parse("192.0.2.200"), Now());
  EXPECT_TRUE(ip.shared);
  auto listing = Ip("192.0.2.200");
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->shared);
  EXPECT_NE(listing->txt->find("shared"), std::string::npos) << "DNS TXT says it is shared";
  // Mail from a good customer is accepted, from the spammer rejected, without a domain: tempfail.
  EXPECT_EQ(
      rep_->Check({IpAddress::Parse("192.0.2.200"), "", "", {"customer1.example"}}, Now()).action,
      "accept");
  EXPECT_EQ(
      rep_->Check({IpAddress::Parse("192.0.2.200"), "", "", {"spammy.example"}}, Now()).action,
      "reject");
  EXPECT_EQ(rep_->Check({IpAddress::Parse("192.0.2.200"), "", "", {}}, Now()).action, "tempfail");
  // A domain nobody knows yet, from the provider: judged by the domain, so it waits.
  EXPECT_EQ(
      rep_->Check({IpAddress::Parse("192.0.2.200"), "", "", {"brand-new.example"}}, Now()).action,
      "tempfail");
}

TEST_F(EngineTest, FreshDomainCannotCarryMailPastAScore) {
  Ingest({Ev("n1", EventType::kDelivered, "203.0.113.9", "fresh.example", "fbl", 5000, 0)});
  auto d = rep_->ReportDomain("fresh.example", Now());
  EXPECT_FALSE(d.good_standing);
  EXPECT_EQ(d.aggregate, "fresh.example");
  auto sub = rep_->ReportDomain("mail.fresh.example", Now());
  EXPECT_EQ(sub.aggregate, "fresh.example");
}

TEST_F(EngineTest, SubdomainEvidenceRollsUpToTheOrganisationalDomain) {
  Ingest({Ev("o1", EventType::kAuthFail, "", "news.brand.co.uk", "fbl", 12)});
  auto org = rep_->ReportDomain("brand.co.uk", Now());
  EXPECT_NEAR(org.forgeries, 12, 1e-3);
  EXPECT_TRUE(rep_->index().Current()->FindDomain("brand.co.uk"));
}

TEST_F(EngineTest, OverridesBlockAllowExpireAndDelete) {
  Override block;
  block.subject = "192.0.2.77";
  block.action = Override::Action::kBlock;
  block.reason = "operator decision";
  ASSERT_TRUE(rep_->PutOverride(block).ok());
  auto l = Ip("192.0.2.77");
  ASSERT_TRUE(l);
  EXPECT_NE(l->categories & (1u << kCategoryManual), 0u);
  EXPECT_EQ(rep_->Check({IpAddress::Parse("192.0.2.77"), "", "", {}}, Now()).action, "reject");
  Open();  // overrides are durable
  EXPECT_TRUE(Ip("192.0.2.77"));
  ASSERT_TRUE(rep_->DeleteOverride(false, "192.0.2.77").ok());
  EXPECT_FALSE(Ip("192.0.2.77"));
  EXPECT_EQ(rep_->DeleteOverride(false, "192.0.2.77").code(), absl::StatusCode::kNotFound);

  Override range;
  range.subject = "10.1.2.0/24";
  range.action = Override::Action::kPolicy;
  range.reason = "dynamic pool";
  ASSERT_TRUE(rep_->PutOverride(range).ok());
  l = Ip("10.1.2.33");
  ASSERT_TRUE(l);
  EXPECT_NE(l->categories & (1u << kCategoryPolicy), 0u);
  Override too_wide = range;
  too_wide.subject = "10.0.0.0/7";
  EXPECT_FALSE(rep_->PutOverride(too_wide).ok());
  too_wide.subject = "2001::/15";
  EXPECT_FALSE(rep_->PutOverride(too_wide).ok());

  Override allow;
  allow.subject = "198.51.100.10";
  allow.action = Override::Action::kAllow;
  allow.reason = "known partner";
  Ingest({Ev("bot2", EventType::kBot, "198.51.100.10", "", "fbl")});
  ASSERT_TRUE(rep_->PutOverride(allow).ok());
  EXPECT_EQ(rep_->Check({IpAddress::Parse("198.51.100.10"), "", "", {}}, Now()).action, "accept");
  EXPECT_FALSE(Ip("198.51.100.10")->listed());

  Override expired = block;
  expired.subject = "192.0.2.78";
  expired.expires = Now() - 1;
  ASSERT_TRUE(rep_->PutOverride(expired).ok());
  EXPECT_EQ(rep_->Check({IpAddress::Parse("192.0.2.78"), "", "", {}}, Now()).action, "neutral");
}

TEST_F(EngineTest, ExclusionsLeaveSubjectsOutOfTheNetworksAroundThem) {
  auto put = [&](const std::string& subject, Override::Action action, bool is_domain = false) {
    Override o;
    o.is_domain = is_domain;
    o.subject = subject;
    o.action = action;
    o.reason = "test";
    ASSERT_TRUE(rep_->PutOverride(o).ok()) << subject;
  };
  // rbldnsd's "!entry" inside networks, both wide (one listing) and expanded (per address).
  put("10.0.0.0/8", Override::Action::kBlock);
  put("10.1.2.3", Override::Action::kExclude);
  put("10.16.0.0/12", Override::Action::kExclude);
  put("10.17.3.0/24", Override::Action::kBlock);  // inside the excluded /12: listed again
  put("192.0.2.0/24", Override::Action::kBlock);
  put("192.0.2.8/29", Override::Action::kExclude);
  put("192.0.2.9", Override::Action::kBlock);  // an address's own override wins
  put("*.wild.example", Override::Action::kBlock, true);
  put("ok.wild.example", Override::Action::kExclude, true);
  auto listed = [&](const std::string& ip) {
    auto l = Ip(ip);
    return l && l->listed();
  };
  auto check = [&] {
    EXPECT_TRUE(listed("10.1.2.4"));
    EXPECT_FALSE(listed("10.17.9.9"));
    EXPECT_TRUE(listed("10.17.3.9"));
    EXPECT_TRUE(listed("10.32.0.1"));
    EXPECT_TRUE(listed("192.0.2.7"));
    EXPECT_FALSE(listed("192.0.2.8"));
    EXPECT_TRUE(listed("192.0.2.9"));
    EXPECT_FALSE(listed("192.0.2.15"));
    auto domain = [&](const std::string& d) {
      auto l = rep_->index().Current()->FindDomain(d);
      return l && l->listed();
    };
    EXPECT_TRUE(domain("bad.wild.example"));
    EXPECT_FALSE(domain("ok.wild.example"));
  };
  check();
  EXPECT_FALSE(listed("10.1.2.3"));
  // An exclusion is not an allow-listing: not in the allow zone, no "accept", and the
  // address's own evidence still lists it.
  EXPECT_EQ(Ip("10.1.2.3")->allow_trust, -1);
  EXPECT_EQ(rep_->Check({IpAddress::Parse("10.1.2.3"), "", "", {}}, Now()).action, "neutral");
  Ingest({Ev("bot", EventType::kBot, "10.1.2.3", "", "fbl")});
  EXPECT_TRUE(listed("10.1.2.3"));
  EXPECT_EQ(rep_->Check({IpAddress::Parse("10.1.2.3"), "", "", {}}, Now()).action, "reject");
  EXPECT_EQ(rep_->ReportIp(*IpAddress::Parse("10.1.2.3"), Now()).override_entry->action,
            Override::Action::kExclude);
  // The same after a restart, whatever order the store keeps the overrides in.
  Open();
  check();
  EXPECT_TRUE(listed("10.1.2.3"));
}

TEST_F(EngineTest, NetworkListingsCoverEveryAddressLongestPrefixFirst) {
  Override block;
  block.subject = "10.0.0.0/8";
  block.action = Override::Action::kBlock;
  block.category = kCategoryPolicy;
  block.reason = "hosting range";
  ASSERT_TRUE(rep_->PutOverride(block).ok());
  Override allow = block;
  allow.subject = "10.64.0.0/10";
  allow.action = Override::Action::kAllow;
  ASSERT_TRUE(rep_->PutOverride(allow).ok());
  Override v6 = block;
  v6.subject = "2001:DB8::/32";
  ASSERT_TRUE(rep_->PutOverride(v6).ok());
  const size_t size = rep_->index().Current()->Size();
  EXPECT_LT(size, 10u) << "networks are not expanded into addresses";

  auto listed = [&](const std::string& ip) {
    auto l = Ip(ip);
    return l && (l->categories & (1u << kCategoryPolicy)) != 0;
  };
  EXPECT_TRUE(listed("10.200.3.4"));
  EXPECT_FALSE(listed("10.65.1.1"));  // the longer allow network wins
  EXPECT_EQ(Ip("10.65.1.1")->allow_trust, 3);
  EXPECT_FALSE(listed("11.0.0.1"));
  EXPECT_TRUE(listed("2001:db8:1::5"));
  EXPECT_FALSE(listed("2001:db9::1"));
  EXPECT_EQ(rep_->Check({IpAddress::Parse("10.200.3.4"), "", "", {}}, Now()).action, "reject");
  EXPECT_EQ(rep_->Delist(false, "10.200.3.4", "owner", Now())->status, "override");
  EXPECT_EQ(rep_->ReportIp(*IpAddress::Parse("10.200.3.4"), Now()).override_entry->subject,
            "10.0.0.0/8");

  // An address with evidence of its own keeps it, and the network's category too.
  Ingest({Ev("bot1", EventType::kBot, "10.9.9.9", "", "fbl")});
  auto own = Ip("10.9.9.9");
  ASSERT_TRUE(own);
  EXPECT_NE(own->categories & (1u << kCategoryBot), 0u);
  EXPECT_NE(own->categories & (1u << kCategoryPolicy), 0u);

  // An IPv6 range of at most 8 addresses is expanded into listings of its addresses.
  Override tiny = block;
  tiny.subject = "2001:db9:ff::/126";
  ASSERT_TRUE(rep_->PutOverride(tiny).ok());
  EXPECT_TRUE(listed("2001:db9:ff::3"));
  EXPECT_FALSE(listed("2001:db9:ff::4"));

  // Networks are rebuilt at start.
  Open();
  EXPECT_TRUE(listed("10.200.3.4"));
  EXPECT_FALSE(listed("10.65.1.1"));
  EXPECT_TRUE(listed("2001:db8:1::5"));

  // Deleting a network refreshes the addresses listed inside it.
  ASSERT_TRUE(rep_->DeleteOverride(false, "10.0.0.0/8").ok());
  EXPECT_FALSE(listed("10.200.3.4"));
  own = Ip("10.9.9.9");
  ASSERT_TRUE(own);
  EXPECT_NE(own->categories & (1u << kCategoryBot), 0u);
  EXPECT_EQ(own->categories & (1u << kCategoryPolicy), 0u);

  // A network listing ends by itself.
  Override brief = block;
  brief.subject = "172.16.0.0/12";
  brief.expires = Now() + 60;
  ASSERT_TRUE(rep_->PutOverride(brief).ok());
  EXPECT_TRUE(listed("172.20.1.1"));
  rep_->Sweep(Now() + 120);
  EXPECT_FALSE(listed("172.20.1.1"));
}

TEST_F(EngineTest, SubdomainListingsCoverEveryNameUnderADomain) {
  auto listed = [&](const std::string& d) {
    auto l = rep_->index().Current()->FindDomain(d);
    return l && (l->categories & (1u << kCategoryManual)) != 0;
  };
  Ingest({Ev("c1", EventType::kComplaint, "", "mail.spam.example", "fbl")});
  Override block;
  block.is_domain = true;
  block.subject = "*.Spam.Example";
  block.action = Override::Action::kBlock;
  block.reason = "throwaway subdomains";
  ASSERT_TRUE(rep_->PutOverride(block).ok());
  EXPECT_TRUE(listed("x.spam.example"));
  EXPECT_TRUE(listed("a.b.spam.example"));
  EXPECT_FALSE(listed("spam.example"));  // "*." is the names under it, not itself
  EXPECT_FALSE(listed("notspam.example"));
  EXPECT_EQ(rep_->ReportDomain("deep.x.spam.example", Now()).override_entry->subject,
            "*.spam.example");
  Open();
  EXPECT_TRUE(listed("x.spam.example"));
  ASSERT_TRUE(rep_->DeleteOverride(true, "*.spam.example").ok());
  EXPECT_FALSE(listed("x.spam.example"));
}

TEST_F(EngineTest, SelfServiceDelistingWaitsForQuietAndIsAudited) {
  Ingest({Ev("b1", EventType::kBot, "192.0.2.50", "", "fbl")});
  auto out = rep_->Delist(false, "192.0.2.50", "owner@example", Now());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status, "too_soon");
  EXPECT_GT(out->retry_after, Now());
  // Evidence two days old: delisting is free and instant.
  Ingest({Ev("b2", EventType::kBot, "192.0.2.51", "", "fbl", 2, 2)});
  ASSERT_TRUE(Ip("192.0.2.51")->listed());
  out = rep_->Delist(false, "192.0.2.51", "owner@example", Now());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status, "delisted");
  EXPECT_FALSE(Ip("192.0.2.51")->listed());
  EXPECT_EQ(rep_->Delist(false, "192.0.2.51", "owner", Now())->status, "not_listed");
  // New evidence relists.
  Ingest({Ev("b3", EventType::kBot, "192.0.2.51", "", "fbl")});
  EXPECT_TRUE(Ip("192.0.2.51")->listed());
  EXPECT_EQ(rep_->ReportIp(*IpAddress::Parse("192.0.2.51"), Now()).relistings, 1);
  // Every request is kept.
  Open();
  EXPECT_FALSE(rep_->Delist(false, "not-an-ip", "x", Now()).ok());
}

TEST_F(EngineTest, SweepEndsListingsWhenEvidenceDecays) {
  Ingest({Ev("s1", EventType::kBot, "192.0.2.60", "", "fbl", 1)});
  ASSERT_TRUE(Ip("192.0.2.60")->listed());
  rep_->Sweep(Now() + 15 * kDay);  // 1 report decays below half its bar after 14 days
  EXPECT_FALSE(Ip("192.0.2.60")->listed());
}

TEST_F(EngineTest, IngestionGoesOnWhileTheSweepRefreshesScoredSubjects) {
  std::vector<Event> volume;
  for (int i = 0; i < 40000; ++i) {
    volume.push_back(Ev("v" + std::to_string(i), EventType::kDelivered,
                        "10.2." + std::to_string(i / 256) + "." + std::to_string(i % 256), "",
                        "fbl"));
  }
  Ingest(volume);
  std::atomic<bool> swept = false;
  std::thread sweeper([&] {
    rep_->Sweep(Now());
    swept = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto out = rep_->Ingest({Ev("during", EventType::kBot, "192.0.2.61", "", "fbl")});
  const bool sweep_was_running = !swept;
  sweeper.join();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(sweep_was_running) << "ingestion waited for the whole sweep";
}

TEST_F(EngineTest, SweepEndsOverridesWhenTheyExpireEvenAfterRestart) {
  auto block = [](std::string subject, bool is_domain, int64_t expires) {
    Override o;
    o.subject = std::move(subject);
    o.is_domain = is_domain;
    o.action = Override::Action::kBlock;
    o.reason = "operator decision";
    o.expires = expires;
    return o;
  };
  const int64_t t0 = Now();
  ASSERT_TRUE(
      rep_->PutOverrides({block("192.0.2.90", false, 0), block("192.0.2.91", false, t0 + 100),
                          block("10.9.9.0/30", false, t0 + 100),
                          block("spam.example", true, t0 + 100)})
          .ok());
  auto domain = [&](const char* d) { return rep_->index().Current()->FindDomain(d); };
  rep_->Sweep(t0 + 50);
  EXPECT_TRUE(Ip("192.0.2.91"));
  EXPECT_TRUE(Ip("10.9.9.2"));
  EXPECT_TRUE(domain("spam.example"));

  rep_->Sweep(t0 + 200);
  EXPECT_TRUE(Ip("192.0.2.90")) << "an override without expiry stays";
  EXPECT_FALSE(Ip("192.0.2.91"));
  EXPECT_FALSE(Ip("10.9.9.0"));
  EXPECT_FALSE(Ip("10.9.9.3"));
  EXPECT_FALSE(domain("spam.example"));
  // Ended overrides leave the store; the one without expiry stays.
  auto listed = rep_->ListOverrides();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].subject, "192.0.2.90");

  // A later PUT that extends an override outlives the sweep of its first expiry.
  ASSERT_TRUE(rep_->PutOverride(block("192.0.2.93", false, t0 + 300)).ok());
  ASSERT_TRUE(rep_->PutOverride(block("192.0.2.93", false, t0 + 900)).ok());
  rep_->Sweep(t0 + 400);
  EXPECT_EQ(rep_->ListOverrides().size(), 2u);

  // Expiries known before a restart are still honoured after it.
  ASSERT_TRUE(rep_->PutOverride(block("192.0.2.92", false, Now() + 300)).ok());
  Open();
  ASSERT_TRUE(Ip("192.0.2.92"));
  rep_->Sweep(Now() + 400);
  EXPECT_FALSE(Ip("192.0.2.92"));
  EXPECT_TRUE(Ip("192.0.2.90"));
}

TEST(StoreTest, NewerSchemaIsRefusedWithAClearError) {
  std::string dir = testing::MakeTempDir("repd-schema") + "/var";
  {
    auto store = Store::Open(dir, false, HalfLives{1, 1, 1, 1, 1, 1, 1});
    ASSERT_TRUE(store.ok());
    auto batch = (*store)->NewBatch();
    batch.Put(Store::kMeta, "schema_version", "99");
    ASSERT_TRUE((*store)->Commit(batch, true).ok());
  }
  auto store = Store::Open(dir, false, HalfLives{1, 1, 1, 1, 1, 1, 1});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer repd"), std::string::npos);
}

TEST(StoreTest, UnwritableDirIsAClearError) {
  auto store = Store::Open("/proc/repd-cannot-be-here/var", false, HalfLives{1, 1, 1, 1, 1, 1, 1});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/proc/repd-cannot-be-here"), std::string::npos);
}

}  // namespace
}  // namespace repd::reputation
