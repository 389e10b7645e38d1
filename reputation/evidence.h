// evidence.h -- one subject's decayed evidence as stored in RocksDB, and the merge operands
// that change it without a read-modify-write.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "reputation/feedback.h"

namespace repd::reputation {

// A sum that halves every `half_life` seconds: the value as of `updated`.
struct DecayedSum {
  double value = 0;
  int64_t updated = 0;

  double At(int64_t now, double half_life_s) const;
  void Add(double amount, int64_t time, double half_life_s);
};

struct ReporterEvidence {
  std::array<DecayedSum, kEventTypeCount> sums{};  // by EventType; bad types trust-weighted
  // Per-day cap bookkeeping for reporters with trust < 1: raw counts used on `cap_day`.
  int64_t cap_day = -1;
  std::array<double, kEventTypeCount> cap_used{};
};

struct Record {
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  int64_t last_bad = 0;  // time of the latest bad evidence (complaint, trap, bot, forgery)
  double verified_volume_ever = 0;  // undecayed: volume that came with a verified domain
  std::map<std::string, ReporterEvidence, std::less<>> reporters;
  // Evidence set aside by self-service delisting: kept for audit, not counted.
  std::map<std::string, ReporterEvidence, std::less<>> set_aside;
  std::vector<std::string> domains;  // ip records: verified domains seen on it (bounded)
  uint32_t listed = 0;               // categories listed at the last evaluation (hysteresis)
  int64_t listed_since = 0;
  int64_t delisted_at = 0;
  std::vector<int64_t> relisted;  // times of relistings after a delisting

  bool empty() const { return first_seen == 0; }
};

// Half-lives in seconds, by EventType.
using HalfLives = std::array<double, kEventTypeCount>;

// One increment from one event, after trust: what Merge applies.
struct Increment {
  std::string reporter;
  EventType type = EventType::kDelivered;
  int64_t time = 0;
  double raw = 1;      // the event's count, before trust
  double weight = 1;   // reporter trust for bad evidence, 1 for volume
  double cap = 0;      // per-day raw cap for this reporter (0 = none)
  std::string domain;  // verified domain carried by a volume event on an ip record
};

// Merge operands. Encoded as: kind byte + payload.
enum class OperandKind : uint8_t { kIncrements = 1, kSetListed = 2, kDelist = 3 };

std::string EncodeIncrements(absl::Span<const Increment> increments);
std::string EncodeSetListed(uint32_t categories, int64_t time, double relist_window_s);
std::string EncodeDelist(int64_t time);

std::string EncodeRecord(const Record& record);
// False on a corrupt or unknown encoding.
bool DecodeRecord(std::string_view data, Record* record);
// Applies one operand to `record` with the configured half-lives; false when it is malformed.
bool ApplyOperand(std::string_view operand, const HalfLives& half_lives, Record* record);

inline constexpr size_t kMaxDomainsPerIp = 32;

}  // namespace repd::reputation
