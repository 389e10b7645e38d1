#include "reputation/model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "boost/math/special_functions/beta.hpp"

namespace repd::reputation {

namespace {
constexpr double kDay = 86400;

double SumOf(const ReporterEvidence& ev, EventType t, int64_t now, const HalfLives& hl) {
  size_t i = static_cast<size_t>(t);
  return ev.sums[i].At(now, hl[i]);
}

// Volume-independent evidence (traps, bots, forgeries) seen two ways: decayed to now, which
// ends a listing, and as it stood when its latest report arrived, which starts one. Judged
// only now, a single bot report (bar 1) would be below its bar a second after it arrived, and
// a report filed hours after the event never.
struct BadEvidence {
  double now = 0;
  double at_arrival = 0;
};

int64_t LatestReport(const Record& rec, EventType t, int64_t now) {
  int64_t latest = 0;
  for (const auto& [name, ev] : rec.reporters) {
    latest = std::max(latest, ev.sums[static_cast<size_t>(t)].updated);
  }
  return std::min(latest, now);
}
}  // namespace

Model::Model(ModelParams params, TrustFn trust) : params_(params), trust_(std::move(trust)) {}

HalfLives Model::half_lives() const {
  const double volume = params_.volume_half_life_days * kDay;
  const double evidence = params_.evidence_half_life_days * kDay;
  HalfLives hl;
  hl[static_cast<size_t>(EventType::kDelivered)] = volume;
  hl[static_cast<size_t>(EventType::kHam)] = volume;
  hl[static_cast<size_t>(EventType::kAuthPass)] = volume;
  hl[static_cast<size_t>(EventType::kComplaint)] = volume;
  hl[static_cast<size_t>(EventType::kSpamtrap)] = evidence;
  hl[static_cast<size_t>(EventType::kBot)] = evidence;
  hl[static_cast<size_t>(EventType::kAuthFail)] = evidence;
  return hl;
}

int Model::Score(double credible, double volume) const {
  double a = params_.prior_alpha + credible;
  double b = params_.prior_beta + std::max(volume - credible, 0.0);
  // Double precision is plenty for a 0..100 score; promotion to long double costs 5x.
  using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
  return static_cast<int>(
      std::lround(100 * boost::math::ibeta(a, b, params_.rate_threshold, Policy())));
}

double Model::Confidence(double volume) const {
  return 1 - std::exp(-volume / params_.confidence_volume);
}

Evaluation Model::Evaluate(const Record& rec, int64_t now, bool explain) const {
  const HalfLives hl = half_lives();
  const ModelParams& p = params_;
  Evaluation e;
  // Volume-independent evidence from fully trusted reporters only: what lists a subject
  // that would otherwise be in good standing.
  const int64_t trap_arrival = LatestReport(rec, EventType::kSpamtrap, now);
  const int64_t bot_arrival = LatestReport(rec, EventType::kBot, now);
  const int64_t forgery_arrival = LatestReport(rec, EventType::kAuthFail, now);
  BadEvidence all_traps, all_bots, all_forgeries, trusted_traps, trusted_bots, trusted_forgeries;
  auto of = [&](const ReporterEvidence& ev, EventType t, int64_t arrival) {
    return BadEvidence{SumOf(ev, t, now, hl), SumOf(ev, t, arrival, hl)};
  };
  auto add = [](BadEvidence& to, const BadEvidence& from) {
    to.now += from.now;
    to.at_arrival += from.at_arrival;
  };
  for (const auto& [name, ev] : rec.reporters) {
    const bool trusted = trust_(name) >= 1.0;
    const BadEvidence traps = of(ev, EventType::kSpamtrap, trap_arrival);
    const BadEvidence bots = of(ev, EventType::kBot, bot_arrival);
    const BadEvidence forgeries = of(ev, EventType::kAuthFail, forgery_arrival);
    add(all_traps, traps);
    add(all_bots, bots);
    add(all_forgeries, forgeries);
    if (trusted) {
      add(trusted_traps, traps);
      add(trusted_bots, bots);
      add(trusted_forgeries, forgeries);
    }
    double v = SumOf(ev, EventType::kDelivered, now, hl) + SumOf(ev, EventType::kHam, now, hl) +
               SumOf(ev, EventType::kAuthPass, now, hl);
    double c = SumOf(ev, EventType::kComplaint, now, hl);
    double t = traps.now;
    e.volume += v;
    e.complaints += c;
    e.traps += t;
    if (c >= p.evidence_floor) ++e.complaint_reporters;
    // A complaint only counts against mail the same reporter saw.
    if (v > 0) {
      double credible = std::min(c, v);
      e.credible += credible;
      if (credible >= p.evidence_floor) ++e.credible_reporters;
    }
    if (t >= p.evidence_floor) {
      ++e.trap_reporters;
      if (trusted) e.trap_from_trusted = true;
    }
  }
  e.bots = all_bots.now;
  e.forgeries = all_forgeries.now;
  e.score = Score(e.credible, e.volume);
  e.confidence = Confidence(e.volume);
  const double age_days = rec.first_seen > 0 ? static_cast<double>(now - rec.first_seen) / kDay : 0;
  const bool vouched = e.score >= p.good_min_score && e.confidence >= p.good_min_confidence &&
                       age_days >= p.new_subject_days;
  // A sender whose mail trusted reporters vouch for cannot be listed by the unverifiable
  // claims of reporters below full trust, however many collude (they are shown, not counted).
  const BadEvidence& traps = vouched ? trusted_traps : all_traps;
  const BadEvidence& bots = vouched ? trusted_bots : all_bots;
  const BadEvidence& forgeries = vouched ? trusted_forgeries : all_forgeries;
  if (explain && vouched &&
      (traps.now < e.traps || bots.now < e.bots || forgeries.now < e.forgeries)) {
    e.reasons.push_back(
        "trap, bot or forgery reports from reporters below full trust against a sender in good "
        "standing: shown, not counted");
  }

  auto was = [&](int code) { return (rec.listed & (1u << code)) != 0; };
  // A listing starts at its bar and ends below hysteresis x bar, so it does not flap.
  auto reaches = [&](int code, const BadEvidence& evidence, double bar) {
    const bool lasts = evidence.now >= p.hysteresis * bar;
    return was(code) ? lasts : lasts && evidence.at_arrival >= bar;
  };
  auto list = [&](int code, auto&& make_reason) {
    e.listed |= 1u << code;
    std::string reason = explain ? make_reason() : std::string();
    e.listings.push_back({code, std::string(CategoryName(code)), reason});
    if (explain) e.reasons.push_back(std::move(reason));
  };

  const double spam_bar = was(kCategorySpam) ? p.spam_max_score / p.hysteresis : p.spam_max_score;
  const int spam_reporters = was(kCategorySpam) ? 1 : p.spam_min_reporters;
  if (e.score <= spam_bar && e.credible_reporters >= spam_reporters) {
    list(kCategorySpam, [&] {
      return absl::StrFormat(
          "spam: %.1f credible complaints from %d reporters over %.0f messages "
          "(score %d)",
          e.credible, e.credible_reporters, e.volume, e.score);
    });
  }
  if (reaches(kCategoryTrap, traps, p.trap_min_hits) &&
      (e.trap_reporters >= p.trap_min_reporters || e.trap_from_trusted ||
       (was(kCategoryTrap) && e.trap_reporters >= 1))) {
    list(kCategoryTrap, [&] {
      return absl::StrFormat("spamtrap hits: %.1f (trust-weighted) from %d reporters", e.traps,
                             e.trap_reporters);
    });
  }
  if (reaches(kCategoryBot, bots, p.bot_min_reports)) {
    list(kCategoryBot, [&] {
      return absl::StrFormat("reported as a bot / compromised host (%.1f trust-weighted reports)",
                             e.bots);
    });
  }
  if (rec.verified_volume_ever == 0 && reaches(kCategoryForgery, forgeries, p.forgery_min)) {
    list(kCategoryForgery, [&] {
      return absl::StrFormat(
          "forgery: %.1f authentication failures for names it claimed, and no "
          "verified mail ever",
          e.forgeries);
    });
  }
  if (explain && e.complaint_reporters > e.credible_reporters) {
    e.reasons.push_back(absl::StrFormat(
        "%d reporter(s) complained without reporting any volume for this sender: shown, not "
        "counted",
        e.complaint_reporters - e.credible_reporters));
  }
  if (explain && rec.delisted_at > 0) {
    e.reasons.push_back(
        absl::StrFormat("delisted on request at %d; earlier evidence set aside", rec.delisted_at));
  }

  e.good_standing = e.listed == 0 && vouched;
  if (e.good_standing && age_days >= p.allow_min_history_days) {
    e.allow_trust = e.volume >= p.allow_trust3_volume   ? 3
                    : e.volume >= p.allow_trust2_volume ? 2
                    : e.volume >= p.allow_trust1_volume ? 1
                                                        : 0;
  }
  if (explain && e.listed == 0 && !e.good_standing && e.volume > 0 &&
      age_days < p.new_subject_days) {
    e.reasons.push_back(
        absl::StrFormat("first seen %.1f days ago: too new for good standing", age_days));
  }
  return e;
}

int64_t Model::DelistWait(const Record& rec, int64_t now) const {
  int recent = 0;
  for (int64_t t : rec.relisted) {
    if (now - t < params_.relist_window_days * kDay) ++recent;
  }
  return static_cast<int64_t>(params_.delist_min_quiet_hours * 3600 * std::exp2(recent));
}

}  // namespace repd::reputation
