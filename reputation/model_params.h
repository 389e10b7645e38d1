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
  double rate_threshold = 0.003;  // tau
  double prior_alpha = 0.5;       // a0
  double prior_beta = 499.5;      // b0
  double confidence_volume = 500;  // confidence = 1 - exp(-V / confidence_volume)
  // Listing bars.
  double spam_max_score = 5;
  int spam_min_reporters = 2;
  double trap_min_hits = 3;
  int trap_min_reporters = 2;
  double bot_min_reports = 1;
  double forgery_min = 10;
  double evidence_floor = 0.05;  // decayed evidence below this no longer counts a reporter in
  double hysteresis = 0.5;  // a listing ends when its evidence is below this share of its bar
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

}  // namespace repd::reputation
