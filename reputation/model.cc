#include "reputation/model.h"

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
  double trusted_traps = 0, trusted_bots = 0, trusted_forgeries = 0;
  for (const auto& [name, ev] : rec.reporters) {
    if (trust_(name) >= 1.0) {
      trusted_traps += SumOf(ev, EventType::kSpamtrap, now, hl);
      trusted_bots += SumOf(ev, EventType::kBot, now, hl);
      trusted_forgeries += SumOf(ev, EventType::kAuthFail, now, hl);
    }
    double v = SumOf(ev, EventType::kDelivered, now, hl) + SumOf(ev, EventType::kHam, now, hl) +
               SumOf(ev, EventType::kAuthPass, now, hl);
    double c = SumOf(ev, EventType::kComplaint, now, hl);
    double t = SumOf(ev, EventType::kSpamtrap, now, hl);
    e.volume += v;
    e.complaints += c;
    e.traps += t;
    e.bots += SumOf(ev, EventType::kBot, now, hl);
    e.forgeries += SumOf(ev, EventType::kAuthFail, now, hl);
    if (c >= p.evidence_floor) ++e.complaint_reporters;
    // A complaint only counts against mail the same reporter saw.
    if (v > 0) {
      double credible = std::min(c, v);
      e.credible += credible;
      if (credible >= p.evidence_floor) ++e.credible_reporters;
    }
    if (t >= p.evidence_floor) {
      ++e.trap_reporters;
      if (trust_(name) >= 1.0) e.trap_from_trusted = true;
    }
  }
  e.score = Score(e.credible, e.volume);
  e.confidence = Confidence(e.volume);
  const double age_days = rec.first_seen > 0 ? static_cast<double>(now - rec.first_seen) / kDay : 0;
  const bool vouched = e.score >= p.good_min_score && e.confidence >= p.good_min_confidence &&
                       age_days >= p.new_subject_days;
  // A sender whose mail trusted reporters vouch for cannot be listed by the unverifiable
  // claims of reporters below full trust, however many collude (they are shown, not counted).
  const double traps = vouched ? trusted_traps : e.traps;
  const double bots = vouched ? trusted_bots : e.bots;
  const double forgeries = vouched ? trusted_forgeries : e.forgeries;
  if (explain && vouched && (traps < e.traps || bots < e.bots || forgeries < e.forgeries)) {
    e.reasons.push_back(
        "trap, bot or forgery reports from reporters below full trust against a sender in good "
        "standing: shown, not counted");
  }

  auto was = [&](int code) { return (rec.listed & (1u << code)) != 0; };
  // A listing starts at its bar and ends below hysteresis x bar, so it does not flap.
  auto reaches = [&](int code, double evidence, double bar) {
    return evidence >= (was(code) ? p.hysteresis * bar : bar);
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
