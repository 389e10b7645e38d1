// model.h -- MODEL.md as pure functions: evidence in, score, listings and reasons out.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reputation/evidence.h"
#include "reputation/model_params.h"
#include "reputation/reputation.h"

namespace repd::reputation {

struct Evaluation {
  int score = 0;
  double confidence = 0;
  double volume = 0, complaints = 0, credible = 0, traps = 0, bots = 0, forgeries = 0;
  int credible_reporters = 0;   // reporters whose complaints count (they reported volume)
  int complaint_reporters = 0;  // all reporters with complaints
  int trap_reporters = 0;
  bool trap_from_trusted = false;
  uint32_t listed = 0;  // category bits
  std::vector<CategoryListing> listings;
  std::vector<std::string> reasons;
  bool good_standing = false;
  int allow_trust = -1;
};

class Model {
 public:
  using TrustFn = std::function<double(std::string_view reporter)>;
  Model(ModelParams params, TrustFn trust);

  const ModelParams& params() const { return params_; }
  HalfLives half_lives() const;
  double Trust(std::string_view reporter) const { return trust_(reporter); }

  // round(100 * P(rate < tau)) under Beta(a0 + credible, b0 + max(volume - credible, 0)).
  int Score(double credible, double volume) const;
  double Confidence(double volume) const;

  // `explain`: also put every statement in words into reasons (reports); the listing path
  // only needs the verdict.
  Evaluation Evaluate(const Record& record, int64_t now, bool explain = true) const;

  // The wait before a self-service delisting may succeed, doubled by each relisting within
  // the relist window.
  int64_t DelistWait(const Record& record, int64_t now) const;

 private:
  ModelParams params_;
  TrustFn trust_;
};

}  // namespace repd::reputation
