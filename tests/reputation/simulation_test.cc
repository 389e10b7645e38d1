// A synthetic mail world run through the real engine (RocksDB store, model, index), next to a
// naive blocklist built from the same feedback: "list an IP after K complaints or one trap
// hit, and its /24 after 3 listed IPs". 30 days of warm-up, then 30 measured days with shared
// providers hosting spamming customers, snowshoe spammers rotating domains, bots forging
// brands, innocent neighbours of both, newcomers, and dishonest reporters filing complaints
// and trap hits against good senders.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "reputation/reputation.h"
#include "tests/support/repd_process.h"

namespace repd::reputation {
namespace {

constexpr int64_t kDay = 86400;
constexpr int kWarmupDays = 30, kMeasuredDays = 30;

enum class Role { kGood, kPoisonedGood, kNeighbour, kNewcomer, kProviderCustomer, kSpammer, kBot };

struct Flow {  // mail from one IP under one verified domain ("" = none verified)
  std::string ip, domain;
  Role role;
  double msgs_per_day;
  int first_day, last_day;  // days since the start of the world, inclusive
  double complaint_rate;
  double trap_hits_per_day;
  bool bad() const { return role == Role::kSpammer || role == Role::kBot; }
};

struct Figures {
  double bad = 0, bad_refused = 0, good = 0, good_rejected = 0, good_delayed = 0;
  std::set<std::string> neighbours_listed, poisoned_listed;
};

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {
    auto ip = [](int a, int b, int c, int d) {
      return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." +
             std::to_string(d);
    };
    // Independent good senders; five of them are the dishonest reporters' targets.
    for (int i = 0; i < 40; ++i) {
      flows_.push_back({ip(20, i, 1, 10), "good" + std::to_string(i) + ".example",
                        i < 5 ? Role::kPoisonedGood : Role::kGood, 2000, 0, 59, 0.0005, 0});
    }
    // Three shared providers: 4 IPs each, 40 good customers, and from day 30 two spamming
    // customers that sign with a fresh domain every 3 days.
    for (int p = 0; p < 3; ++p) {
      for (int n = 1; n <= 4; ++n) {
        for (int c = 0; c < 40; ++c) {
          flows_.push_back({ip(30, p, 0, n),
                            "cust" + std::to_string(p) + "-" + std::to_string(c) + ".example",
                            Role::kProviderCustomer, 75, 0, 59, 0.0005, 0});
        }
        // New good customers join during the month: their fresh domains wait for standing.
        for (int c = 0; c < 2; ++c) {
          flows_.push_back({ip(30, p, 0, n),
                            "newcust" + std::to_string(p) + "-" + std::to_string(c) + ".example",
                            Role::kNewcomer, 75, kWarmupDays + 5 + 7 * c, 59, 0.0005, 0});
        }
        for (int s = 0; s < 2; ++s) {
          for (int d = kWarmupDays; d < 60; d += 3) {
            flows_.push_back({ip(30, p, 0, n),
                              "promo" + std::to_string(p) + std::to_string(s) + "-" +
                                  std::to_string(d) + ".example",
                              Role::kSpammer, 750, d, d + 2, 0.02, 0.5});
          }
        }
      }
    }
    // Snowshoe spammers: 15 IPs in each of four /24s, domains rotated every 3 days, with
    // three innocent senders in each /24.
    for (int s = 0; s < 4; ++s) {
      for (int n = 10; n < 25; ++n) {
        for (int d = kWarmupDays; d < 60; d += 3) {
          flows_.push_back({ip(40, s, 0, n),
                            "deal" + std::to_string(s) + std::to_string(n) + "-" +
                                std::to_string(d) + ".example",
                            Role::kSpammer, 500, d, d + 2, 0.02, 2});
        }
      }
      for (int n = 100; n < 103; ++n) {
        flows_.push_back({ip(40, s, 0, n),
                          "shop" + std::to_string(s) + std::to_string(n) + ".example",
                          Role::kNeighbour, 800, 0, 59, 0.0005, 0});
      }
    }
    // Bots in residential /24s forging brands (nothing verifies), appearing over the month,
    // next to two small innocent mail servers per /24.
    for (int b = 0; b < 10; ++b) {
      for (int n = 1; n <= 10; ++n) {
        int start = kWarmupDays + static_cast<int>(rng_() % 25);
        flows_.push_back({ip(50, b, 0, n), "", Role::kBot, 200, start, 59, 0.03, 1});
      }
      for (int n = 200; n < 202; ++n) {
        flows_.push_back({ip(50, b, 0, n),
                          "office" + std::to_string(b) + std::to_string(n) + ".example",
                          Role::kNeighbour, 300, 0, 59, 0.0005, 0});
      }
    }
    // Newcomers: good senders that start during the measured month.
    for (int i = 0; i < 5; ++i) {
      flows_.push_back({ip(60, i, 0, 1), "new" + std::to_string(i) + ".example", Role::kNewcomer,
                        500, kWarmupDays + 10 + i, 59, 0.0005, 0});
    }
  }

  const std::vector<Flow>& flows() const { return flows_; }

  // Whole events from an expected amount (deterministic for a seed).
  double Draw(double expected) {
    double whole = std::floor(expected);
    return whole + (std::uniform_real_distribution<double>(0, 1)(rng_) < expected - whole ? 1 : 0);
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
  std::vector<Flow> flows_;
};

// "List an IP after K complaints or one trap hit, and its /24 after 3 listed IPs."
class NaiveList {
 public:
  explicit NaiveList(double k) : k_(k) {}
  void Complaint(const std::string& ip, double n) { Mark(ip, complaints_[ip] += n, false); }
  void Trap(const std::string& ip) { Mark(ip, 0, true); }
  bool Listed(const std::string& ip) const {
    return listed_.contains(ip) || listed_prefixes_.contains(Prefix(ip));
  }

 private:
  static std::string Prefix(const std::string& ip) { return ip.substr(0, ip.rfind('.')); }
  void Mark(const std::string& ip, double complaints, bool trap) {
    if ((trap || complaints >= k_) && listed_.insert(ip).second) {
      if (++per_prefix_[Prefix(ip)] >= 3) listed_prefixes_.insert(Prefix(ip));
    }
  }
  double k_;
  std::map<std::string, double> complaints_;
  std::set<std::string> listed_, listed_prefixes_;
  std::map<std::string, int> per_prefix_;
};

TEST(SimulationTest, ModelBeatsANaiveBlocklistOnEveryFigure) {
  const int64_t start = 1'800'000'000;
  int64_t now = start;
  ReputationOptions options;
  options.data_dir = testing::MakeTempDir("repd-sim") + "/var";
  options.reporters = {{"mbp-big", 1.0}, {"mbp-small", 1.0}, {"traps", 1.0}, {"botfeed", 1.0}};
  options.clock = [&now] { return now; };
  auto opened = Reputation::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Reputation& rep = **opened;

  World world(42);
  NaiveList naive(10);
  Figures model_fig, naive_fig;
  uint64_t next_id = 0;
  auto id = [&] { return "sim-" + std::to_string(next_id++); };

  for (int day = 0; day < kWarmupDays + kMeasuredDays; ++day) {
    now = start + day * kDay + 12 * 3600;
    const bool measured = day >= kWarmupDays;
    std::vector<Event> events;
    std::vector<std::pair<std::string, double>> naive_complaints;
    std::vector<std::string> naive_traps;
    auto event = [&](EventType type, const Flow& f, const std::string& reporter, double count,
                     bool with_domain) {
      if (count <= 0) return;
      Event e;
      e.id = id();
      e.type = type;
      e.time = now;
      e.ip = IpAddress::Parse(f.ip);
      if (with_domain) e.domain = f.domain;
      e.reporter = reporter;
      e.count = count;
      events.push_back(std::move(e));
    };
    for (const Flow& f : world.flows()) {
      if (day < f.first_day || day > f.last_day) continue;
      // Connect-time decisions for today's mail, with what was known this morning.
      if (measured) {
        CheckRequest req{IpAddress::Parse(f.ip), "", "", {}};
        if (!f.domain.empty()) req.dkim_domains.push_back(f.domain);
        std::string action = rep.Check(req, now).action;
        bool naive_refuses = naive.Listed(f.ip);
        if (f.bad()) {
          model_fig.bad += f.msgs_per_day;
          naive_fig.bad += f.msgs_per_day;
          if (action == "reject" || action == "tempfail") {
            model_fig.bad_refused += f.msgs_per_day;
          } else if (std::getenv("REPD_SIM_DEBUG")) {
            std::printf("passed: role %d ip %s domain %s day+%d action %s\n",
                        static_cast<int>(f.role), f.ip.c_str(), f.domain.c_str(), day - f.first_day,
                        action.c_str());
          }
          if (naive_refuses) naive_fig.bad_refused += f.msgs_per_day;
        } else {
          model_fig.good += f.msgs_per_day;
          naive_fig.good += f.msgs_per_day;
          if (action == "reject") model_fig.good_rejected += f.msgs_per_day;
          if (action == "tempfail") model_fig.good_delayed += f.msgs_per_day;
          if (naive_refuses) naive_fig.good_rejected += f.msgs_per_day;
        }
      }
      // The day's feedback about that mail. Two mailbox providers see 40 % and 20 % of it.
      const bool verified = !f.domain.empty();
      for (auto [reporter, share] : {std::pair{"mbp-big", 0.4}, std::pair{"mbp-small", 0.2}}) {
        double seen = world.Draw(f.msgs_per_day * share);
        event(EventType::kDelivered, f, reporter, seen, verified);
        double complaints = world.Draw(seen * f.complaint_rate);
        event(EventType::kComplaint, f, reporter, complaints, verified);
        naive_complaints.emplace_back(f.ip, complaints);
        if (f.role == Role::kBot) event(EventType::kAuthFail, f, reporter, seen, false);
      }
      double traps = world.Draw(f.trap_hits_per_day);
      event(EventType::kSpamtrap, f, "traps", traps, verified);
      if (traps > 0) naive_traps.push_back(f.ip);
      if (f.role == Role::kBot && day > f.first_day) event(EventType::kBot, f, "botfeed", 1, false);
      // Three dishonest reporters attack the targets with complaints and fake trap hits.
      if (f.role == Role::kPoisonedGood && measured) {
        for (const char* liar : {"liar-a", "liar-b", "liar-c"}) {
          event(EventType::kComplaint, f, liar, 30, true);
          event(EventType::kSpamtrap, f, liar, 5, true);
          naive_complaints.emplace_back(f.ip, 30);
          naive_traps.push_back(f.ip);
        }
      }
    }
    // Both lists learn the day's feedback after the day's decisions.
    for (const auto& [ip, n] : naive_complaints) naive.Complaint(ip, n);
    for (const auto& ip : naive_traps) naive.Trap(ip);
    now += 6 * 3600;
    auto ingested = rep.Ingest(events);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    ASSERT_EQ(ingested->accepted, events.size());
    rep.WaitForIndex();
    rep.Sweep(now);
    if (!measured) continue;
    auto snapshot = rep.index().Current();
    for (const Flow& f : world.flows()) {
      if (f.role == Role::kNeighbour) {
        auto l = snapshot->FindIp(*IpAddress::Parse(f.ip));
        if (l && l->listed()) model_fig.neighbours_listed.insert(f.ip);
        if (naive.Listed(f.ip)) naive_fig.neighbours_listed.insert(f.ip);
      }
      if (f.role == Role::kPoisonedGood) {
        auto l = snapshot->FindIp(*IpAddress::Parse(f.ip));
        auto d = snapshot->FindDomain(f.domain);
        if ((l && l->listed()) || (d && d->listed())) model_fig.poisoned_listed.insert(f.ip);
        if (naive.Listed(f.ip)) naive_fig.poisoned_listed.insert(f.ip);
      }
    }
  }

  auto pct = [](double part, double whole) { return whole > 0 ? 100 * part / whole : 0; };
  std::printf("\n%-28s %12s %12s\n", "figure (30 measured days)", "repd model", "naive list");
  std::printf("%-28s %11.2f%% %11.2f%%\n", "bad traffic refused",
              pct(model_fig.bad_refused, model_fig.bad), pct(naive_fig.bad_refused, naive_fig.bad));
  std::printf("%-28s %11.3f%% %11.3f%%\n", "good traffic rejected",
              pct(model_fig.good_rejected, model_fig.good),
              pct(naive_fig.good_rejected, naive_fig.good));
  std::printf("%-28s %11.3f%% %12s\n", "good traffic delayed (4xx)",
              pct(model_fig.good_delayed, model_fig.good), "-");
  std::printf("%-28s %12zu %12zu\n", "innocent neighbours listed",
              model_fig.neighbours_listed.size(), naive_fig.neighbours_listed.size());
  std::printf("%-28s %12zu %12zu\n\n", "poisoned subjects listed", model_fig.poisoned_listed.size(),
              naive_fig.poisoned_listed.size());

  EXPECT_GT(pct(model_fig.bad_refused, model_fig.bad), pct(naive_fig.bad_refused, naive_fig.bad));
  EXPECT_GE(pct(model_fig.bad_refused, model_fig.bad), 90);
  EXPECT_EQ(model_fig.good_rejected, 0);
  EXPECT_LT(pct(model_fig.good_delayed, model_fig.good), 1.0);
  EXPECT_LT(model_fig.good_rejected, naive_fig.good_rejected);
  EXPECT_TRUE(model_fig.neighbours_listed.empty());
  EXPECT_TRUE(model_fig.poisoned_listed.empty());
  EXPECT_LT(model_fig.neighbours_listed.size(), naive_fig.neighbours_listed.size());
  EXPECT_LT(model_fig.poisoned_listed.size(), naive_fig.poisoned_listed.size());
}

}  // namespace
}  // namespace repd::reputation
