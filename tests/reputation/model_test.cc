// Rules of MODEL.md on the pure model: decay, caps, credible complaints, bars, hysteresis,
// good standing, allow trust, delisting waits.
#include "reputation/model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace repd::reputation {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1'700'000'000;

class ModelTest : public ::testing::Test {
 protected:
  Model model_{ModelParams{}, [](std::string_view r) {
                 if (r == "trusted" || r == "trusted2") return 1.0;
                 return 0.25;
               }};

  void Add(Record* rec, const std::string& reporter, EventType type, double count, int64_t t,
           const std::string& domain = "") {
    Increment inc;
    inc.reporter = reporter;
    inc.type = type;
    inc.time = t;
    inc.raw = count;
    double trust = model_.Trust(reporter);
    inc.weight = IsVolume(type) ? 1.0 : trust;
    inc.cap = trust < 1.0 ? model_.params().untrusted_cap_per_day : 0;
    inc.domain = domain;
    ASSERT_TRUE(ApplyOperand(EncodeIncrements({inc}), model_.half_lives(), rec));
  }
  // What the engine does after each write: remember the listing for hysteresis.
  Evaluation EvaluateAndRemember(Record* rec, int64_t now) {
    Evaluation e = model_.Evaluate(*rec, now);
    EXPECT_TRUE(ApplyOperand(EncodeSetListed(e.listed, now, 30 * kDay), model_.half_lives(), rec));
    return e;
  }
};

TEST(DecayedSumTest, HalvesEveryHalfLife) {
  DecayedSum s;
  s.Add(8, kT0, 7 * kDay);
  EXPECT_DOUBLE_EQ(s.At(kT0 + 7 * kDay, 7 * kDay), 4);
  EXPECT_DOUBLE_EQ(s.At(kT0 + 21 * kDay, 7 * kDay), 1);
  s.Add(1, kT0 + 7 * kDay, 7 * kDay);  // brought forward, then added
  EXPECT_DOUBLE_EQ(s.value, 5);
  s.Add(2, kT0, 7 * kDay);  // a late event weighs what it would weigh now
  EXPECT_DOUBLE_EQ(s.value, 6);
}

TEST_F(ModelTest, VolumeAndComplaintsDecayWithTheirHalfLives) {
  Record rec;
  Add(&rec, "trusted", EventType::kDelivered, 1000, kT0);
  Add(&rec, "trusted", EventType::kSpamtrap, 8, kT0);
  Evaluation e = model_.Evaluate(rec, kT0 + 14 * kDay);
  EXPECT_NEAR(e.volume, 250, 1e-6);  // 7-day half-life
  EXPECT_NEAR(e.traps, 4, 1e-6);     // 14-day half-life
}

TEST_F(ModelTest, UntrustedReporterIsCappedPerDayAndWeighted) {
  Record rec;
  Add(&rec, "someone", EventType::kSpamtrap, 50, kT0);
  Add(&rec, "someone", EventType::kSpamtrap, 50, kT0 + 60);
  Evaluation e = model_.Evaluate(rec, kT0 + 60);
  EXPECT_NEAR(e.traps, 10 * 0.25, 1e-3);                       // capped at 10 raw, times trust
  Add(&rec, "someone", EventType::kSpamtrap, 50, kT0 + kDay);  // a new day: a new allowance
  e = model_.Evaluate(rec, kT0 + kDay);
  EXPECT_NEAR(e.traps, 2.5 * std::exp2(-1.0 / 14) + 2.5, 1e-3);
  // Trusted reporters are not capped.
  Add(&rec, "trusted", EventType::kSpamtrap, 50, kT0 + kDay);
  EXPECT_GT(model_.Evaluate(rec, kT0 + kDay).traps, 50);
}

TEST_F(ModelTest, ScoreIsTheBetaPosteriorProbability) {
  // No evidence: the prior mean is 0.1 %, well under tau = 0.3 %.
  int prior = model_.Score(0, 0);
  EXPECT_GT(prior, 80);
  EXPECT_LE(prior, 100);
  EXPECT_EQ(model_.Score(0, 100000), 100);
  EXPECT_LT(model_.Score(50, 1000), 5);  // 5 % complaint rate
  EXPECT_NEAR(model_.Confidence(500), 1 - std::exp(-1.0), 1e-12);
}

TEST_F(ModelTest, ComplaintsWithoutVolumeMoveNeitherScoreNorListing) {
  Record rec;
  Add(&rec, "trusted", EventType::kDelivered, 5000, kT0);
  Add(&rec, "liar1", EventType::kComplaint, 10, kT0);
  Add(&rec, "liar2", EventType::kComplaint, 10, kT0);
  Evaluation e = model_.Evaluate(rec, kT0);
  EXPECT_EQ(e.credible, 0);
  EXPECT_EQ(e.listed, 0u);
  EXPECT_EQ(e.score, model_.Score(0, 5000));
  EXPECT_EQ(e.complaint_reporters, 2);
  bool shown = false;
  for (const auto& r : e.reasons)
    shown |= r.find("without reporting any volume") != std::string::npos;
  EXPECT_TRUE(shown);
}

TEST_F(ModelTest, SpamNeedsLowScoreAndTwoCredibleReporters) {
  Record rec;
  Add(&rec, "trusted", EventType::kDelivered, 1000, kT0);
  Add(&rec, "trusted", EventType::kComplaint, 40, kT0);
  Evaluation one = model_.Evaluate(rec, kT0);
  EXPECT_LE(one.score, 5);
  EXPECT_EQ(one.listed & (1u << kCategorySpam), 0u) << "one reporter is not enough";
  Add(&rec, "trusted2", EventType::kDelivered, 1000, kT0);
  Add(&rec, "trusted2", EventType::kComplaint, 40, kT0);
  Evaluation two = model_.Evaluate(rec, kT0);
  EXPECT_NE(two.listed & (1u << kCategorySpam), 0u);
  ASSERT_FALSE(two.listings.empty());
  EXPECT_NE(two.listings[0].reason.find("credible complaints from 2 reporters"), std::string::npos);
}

TEST_F(ModelTest, TrapNeedsTwoReportersOrOneTrusted) {
  Record untrusted;
  Add(&untrusted, "someone", EventType::kSpamtrap, 10, kT0);  // 2.5 weighted, one reporter
  Add(&untrusted, "other", EventType::kSpamtrap, 1, kT0);     // 0.25 more: 2.75 < 3
  EXPECT_EQ(model_.Evaluate(untrusted, kT0).listed, 0u);
  Add(&untrusted, "other", EventType::kSpamtrap, 2, kT0);  // 3.25 from two reporters
  EXPECT_NE(model_.Evaluate(untrusted, kT0).listed & (1u << kCategoryTrap), 0u);

  Record trusted;
  Add(&trusted, "trusted", EventType::kSpamtrap, 3, kT0);
  EXPECT_NE(model_.Evaluate(trusted, kT0).listed & (1u << kCategoryTrap), 0u);
  Record single_untrusted;
  Add(&single_untrusted, "someone", EventType::kSpamtrap, 10, kT0);
  Add(&single_untrusted, "someone", EventType::kSpamtrap, 10, kT0 + kDay);
  EXPECT_EQ(model_.Evaluate(single_untrusted, kT0 + kDay).listed, 0u)
      << "one untrusted reporter never lists a trap hit";
}

TEST_F(ModelTest, BotAndForgeryBars) {
  Record bot;
  Add(&bot, "someone", EventType::kBot, 3, kT0);  // 0.75 weighted
  EXPECT_EQ(model_.Evaluate(bot, kT0).listed, 0u);
  Add(&bot, "someone", EventType::kBot, 1, kT0);
  EXPECT_NE(model_.Evaluate(bot, kT0).listed & (1u << kCategoryBot), 0u);

  Record forger;
  Add(&forger, "trusted", EventType::kAuthFail, 10, kT0);
  EXPECT_NE(model_.Evaluate(forger, kT0).listed & (1u << kCategoryForgery), 0u);
  Record honest;
  Add(&honest, "trusted", EventType::kDelivered, 1, kT0, "example.com");
  Add(&honest, "trusted", EventType::kAuthFail, 10, kT0);
  EXPECT_EQ(model_.Evaluate(honest, kT0).listed & (1u << kCategoryForgery), 0u)
      << "a sender with verified volume is not a forger";
}

TEST_F(ModelTest, BarsAreJudgedAsTheEvidenceStoodWhenItArrived) {
  // One trusted bot report, judged a second, an hour and a week after it arrived: decay alone
  // (0.99995 reports after a second) must not keep it from its bar of 1.
  Record bot;
  Add(&bot, "trusted", EventType::kBot, 1, kT0);
  for (int64_t later : {int64_t{1}, int64_t{3600}, 7 * kDay}) {
    EXPECT_NE(model_.Evaluate(bot, kT0 + later).listed & (1u << kCategoryBot), 0u) << later;
  }
  // Evidence already under half its bar ends a listing that was never remembered as well.
  EXPECT_EQ(model_.Evaluate(bot, kT0 + 15 * kDay).listed, 0u);
  // A report filed a day after the event it describes still lists.
  Record late;
  Add(&late, "trusted", EventType::kAuthFail, 10, kT0 - kDay);
  EXPECT_NE(model_.Evaluate(late, kT0).listed & (1u << kCategoryForgery), 0u);
  // Three trap hits a week apart never stood at 3 together: no listing.
  Record spread;
  for (int i = 0; i < 3; ++i) Add(&spread, "trusted", EventType::kSpamtrap, 1, kT0 + i * 7 * kDay);
  EXPECT_EQ(model_.Evaluate(spread, kT0 + 14 * kDay).listed, 0u);
}

TEST_F(ModelTest, HysteresisKeepsAListingUntilHalfItsBar) {
  Record rec;
  Add(&rec, "trusted", EventType::kSpamtrap, 3, kT0);
  EXPECT_NE(EvaluateAndRemember(&rec, kT0).listed, 0u);
  // 14 days later: 1.5 hits, under the bar of 3 but not under half of it.
  EXPECT_NE(EvaluateAndRemember(&rec, kT0 + 14 * kDay).listed, 0u);
  // 15 days: under 1.5, the listing ends by itself.
  EXPECT_EQ(EvaluateAndRemember(&rec, kT0 + 15 * kDay).listed, 0u);
  // Without the remembered listing, 1.5 hits would never have listed.
  Record fresh;
  Add(&fresh, "trusted", EventType::kSpamtrap, 2, kT0);
  EXPECT_EQ(model_.Evaluate(fresh, kT0).listed, 0u);
}

TEST_F(ModelTest, GoodStandingNeedsScoreConfidenceAndAge) {
  Record rec;
  Add(&rec, "trusted", EventType::kDelivered, 400, kT0);
  EXPECT_FALSE(model_.Evaluate(rec, kT0 + kDay).good_standing) << "too new";
  Evaluation e = model_.Evaluate(rec, kT0 + 3 * kDay);
  EXPECT_LT(e.confidence, 0.5);  // 400 decayed over 3 days is under ~347
  EXPECT_FALSE(e.good_standing);
  Add(&rec, "trusted", EventType::kDelivered, 1000, kT0 + 3 * kDay);
  e = model_.Evaluate(rec, kT0 + 3 * kDay);
  EXPECT_TRUE(e.good_standing);
  EXPECT_EQ(e.allow_trust, -1) << "the allow list needs 30 days of history";
  Add(&rec, "trusted", EventType::kDelivered, 20000, kT0 + 31 * kDay);
  e = model_.Evaluate(rec, kT0 + 31 * kDay);
  EXPECT_TRUE(e.good_standing);
  EXPECT_EQ(e.allow_trust, 2);
}

TEST_F(ModelTest, DelistingSetsBadEvidenceAsideAndRelistingDoublesTheWait) {
  Record rec;
  Add(&rec, "trusted", EventType::kDelivered, 100, kT0);
  Add(&rec, "trusted", EventType::kSpamtrap, 5, kT0);
  EvaluateAndRemember(&rec, kT0);
  EXPECT_EQ(model_.DelistWait(rec, kT0), 24 * 3600);
  ASSERT_TRUE(ApplyOperand(EncodeDelist(kT0 + 2 * kDay), model_.half_lives(), &rec));
  Evaluation after = EvaluateAndRemember(&rec, kT0 + 2 * kDay);
  EXPECT_EQ(after.listed, 0u);
  EXPECT_GT(after.volume, 0) << "volume is the sender's own and stays";
  EXPECT_GT(rec.set_aside.at("trusted").sums[static_cast<size_t>(EventType::kSpamtrap)].value, 0);
  // New evidence relists, and the next self-service delisting waits twice as long.
  Add(&rec, "trusted", EventType::kSpamtrap, 5, kT0 + 3 * kDay);
  EXPECT_NE(EvaluateAndRemember(&rec, kT0 + 3 * kDay).listed, 0u);
  EXPECT_EQ(rec.relisted.size(), 1u);
  EXPECT_EQ(model_.DelistWait(rec, kT0 + 3 * kDay), 48 * 3600);
  EXPECT_EQ(model_.DelistWait(rec, kT0 + 40 * kDay), 24 * 3600) << "relistings age out";
}

TEST(EvidenceCodecTest, RecordRoundTripsAndRejectsGarbage) {
  Record rec;
  rec.first_seen = 1;
  rec.last_seen = 2;
  rec.domains = {"a.example", "b.example"};
  rec.reporters["r"].sums[2] = {3.5, 4};
  rec.relisted = {7, 8};
  Record back;
  ASSERT_TRUE(DecodeRecord(EncodeRecord(rec), &back));
  EXPECT_EQ(back.domains, rec.domains);
  EXPECT_EQ(back.reporters["r"].sums[2].value, 3.5);
  EXPECT_EQ(back.relisted, rec.relisted);
  std::string bytes = EncodeRecord(rec);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeRecord(bytes.substr(0, cut), &back)) << cut;
  }
  EXPECT_FALSE(ApplyOperand("\x09garbage", HalfLives{1, 1, 1, 1, 1, 1, 1}, &back));
  EXPECT_FALSE(ApplyOperand("", HalfLives{1, 1, 1, 1, 1, 1, 1}, &back));
}

}  // namespace
}  // namespace repd::reputation

namespace repd::reputation {
namespace {

TEST_F(ModelTest, CollusionBelowFullTrustCannotListAVouchedSender) {
  Record rec;
  Add(&rec, "trusted", EventType::kDelivered, 5000, kT0 - 10 * kDay);
  Add(&rec, "trusted", EventType::kDelivered, 5000, kT0);
  for (const char* liar : {"liar1", "liar2", "liar3"}) {
    Add(&rec, liar, EventType::kSpamtrap, 10, kT0);
    Add(&rec, liar, EventType::kBot, 10, kT0);
  }
  Evaluation e = model_.Evaluate(rec, kT0);
  EXPECT_EQ(e.listed, 0u);
  EXPECT_TRUE(e.good_standing);
  // The same claims against a sender nobody trusted vouches for do list.
  Record unknown;
  for (const char* liar : {"liar1", "liar2", "liar3"})
    Add(&unknown, liar, EventType::kSpamtrap, 10, kT0);
  EXPECT_NE(model_.Evaluate(unknown, kT0).listed & (1u << kCategoryTrap), 0u);
  // A fully trusted trap network still lists a vouched sender.
  Add(&rec, "trusted2", EventType::kSpamtrap, 3, kT0);
  EXPECT_NE(model_.Evaluate(rec, kT0).listed & (1u << kCategoryTrap), 0u);
}

}  // namespace
}  // namespace repd::reputation

namespace repd::reputation {
namespace {

// Found by fuzz_record: times from a corrupt record overflowed the decay arithmetic (UBSan).
TEST(DecayedSumTest, ExtremeTimesFromDiskDoNotOverflow) {
  DecayedSum s{1.0, INT64_MIN};
  EXPECT_EQ(s.At(INT64_MAX, 7 * kDay), 0.0);
  DecayedSum late{1.0, INT64_MAX};
  late.Add(1.0, INT64_MIN, 7 * kDay);
  EXPECT_EQ(late.value, 1.0);
}

TEST(EvidenceCodecTest, ImplausibleIncrementsAreRefused) {
  Increment inc;
  inc.reporter = "r";
  inc.raw = -5;  // negative evidence would erase real evidence
  Record rec;
  EXPECT_FALSE(ApplyOperand(EncodeIncrements({inc}), HalfLives{1, 1, 1, 1, 1, 1, 1}, &rec));
  inc.raw = 1;
  inc.weight = 2;
  EXPECT_FALSE(ApplyOperand(EncodeIncrements({inc}), HalfLives{1, 1, 1, 1, 1, 1, 1}, &rec));
}

}  // namespace
}  // namespace repd::reputation
