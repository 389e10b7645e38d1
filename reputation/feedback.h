// feedback.h -- the feedback event: the one input the reputation model learns from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "reputation/subject.h"

namespace repd::reputation {

enum class EventType : uint8_t {
  kDelivered,  // volume: mail the reporter received from the subject
  kHam,        // volume: a recipient marked it as not spam
  kAuthPass,   // volume: e.g. a DMARC aggregate row with DKIM pass
  kComplaint,  // ARF abuse report, "this is spam"
  kSpamtrap,   // a spamtrap received mail from the subject
  kBot,        // compromised host / botnet feed
  kAuthFail,   // DKIM/SPF failure for a name the source claimed: forgery evidence
};
inline constexpr int kEventTypeCount = 7;

std::optional<EventType> ParseEventType(std::string_view name);
std::string_view EventTypeName(EventType type);
bool IsVolume(EventType type);

struct Event {
  std::string id;  // stable, chosen by the reporter; an id seen before is not counted twice
  EventType type = EventType::kDelivered;
  int64_t time = 0;  // unix seconds
  std::optional<IpAddress> ip;
  std::string domain;     // DKIM-verified d=, normalised; empty when none was verified
  std::string mail_from;  // claims: recorded, never earn good standing
  std::string helo;
  std::string reporter;
  double count = 1;  // how many messages this event stands for (> 0)
};

// Parses one JSON event object (one NDJSON line). Errors name the offending field, e.g.
// "field 'ip': not an IP address". `now` fills a missing time; times more than a day in the
// future are refused.
absl::StatusOr<Event> ParseEventJson(std::string_view json, int64_t now);

}  // namespace repd::reputation
