// model_params.h -- every parameter of MODEL.md in one place, with its default.
// Each field is a key of the [model] section of repd.toml with the same name.
#pragma once

namespace repd::reputation {

struct ModelParams {
  // Evidence decay.
  double volume_half_life_days = 7;     // volume and complaints
  double evidence_half_life_days = 14;  // spamtrap, bot and forgery evidence
  // Reporters.
  double untrusted_cap_per_day = 10;  // per subject, per day, per event type, trust < 1.0
  // Score: Beta posterior of the complaint rate.
  double rate_threshold = 0.003;   // tau
  double prior_alpha = 0.5;        // a0
  double prior_beta = 499.5;       // b0
  double confidence_volume = 500;  // confidence = 1 - exp(-V / confidence_volume)
  // Listing bars.
  double spam_max_score = 5;
  int spam_min_reporters = 2;
  double trap_min_hits = 3;
  int trap_min_reporters = 2;
  double bot_min_reports = 1;
  double forgery_min = 10;
  double evidence_floor = 0.05;  // decayed evidence below this no longer counts a reporter in
  double hysteresis = 0.5;       // a listing ends when its evidence is below this share of its bar
  // Good standing and the allow list.
  double good_min_score = 80;
  double good_min_confidence = 0.5;
  double new_subject_days = 3;
  double allow_min_history_days = 30;
  double shared_ip_min_domains = 5;
  // Decayed volume for allow-list trust levels 1, 2 and 3 (dnswl style; 0 below the first).
  double allow_trust1_volume = 1000;
  double allow_trust2_volume = 10000;
  double allow_trust3_volume = 100000;
  // Connect-time decision.
  double reject_below_score = 10;
  double tempfail_below_score = 40;
  // Delisting.
  double delist_min_quiet_hours = 24;
  double relist_window_days = 30;
};

// Calls fn(name, field) for every parameter: config parsing and documentation use it.
template <typename Params, typename Fn>
void ForEachModelParam(Params& p, Fn&& fn) {
  fn("volume_half_life_days", p.volume_half_life_days);
  fn("evidence_half_life_days", p.evidence_half_life_days);
  fn("untrusted_cap_per_day", p.untrusted_cap_per_day);
  fn("rate_threshold", p.rate_threshold);
  fn("prior_alpha", p.prior_alpha);
  fn("prior_beta", p.prior_beta);
  fn("confidence_volume", p.confidence_volume);
  fn("spam_max_score", p.spam_max_score);
  fn("spam_min_reporters", p.spam_min_reporters);
  fn("trap_min_hits", p.trap_min_hits);
  fn("trap_min_reporters", p.trap_min_reporters);
  fn("bot_min_reports", p.bot_min_reports);
  fn("forgery_min", p.forgery_min);
  fn("evidence_floor", p.evidence_floor);
  fn("hysteresis", p.hysteresis);
  fn("good_min_score", p.good_min_score);
  fn("good_min_confidence", p.good_min_confidence);
  fn("new_subject_days", p.new_subject_days);
  fn("allow_min_history_days", p.allow_min_history_days);
  fn("shared_ip_min_domains", p.shared_ip_min_domains);
  fn("allow_trust1_volume", p.allow_trust1_volume);
  fn("allow_trust2_volume", p.allow_trust2_volume);
  fn("allow_trust3_volume", p.allow_trust3_volume);
  fn("reject_below_score", p.reject_below_score);
  fn("tempfail_below_score", p.tempfail_below_score);
  fn("delist_min_quiet_hours", p.delist_min_quiet_hours);
  fn("relist_window_days", p.relist_window_days);
}

}  // namespace repd::reputation
