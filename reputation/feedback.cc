#include "reputation/feedback.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "common/strings.h"

namespace repd::reputation {

namespace {
constexpr std::string_view kTypeNames[kEventTypeCount] = {
    "delivered", "ham", "auth_pass", "complaint", "spamtrap", "bot", "auth_fail"};

absl::Status FieldError(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field '", AsAbsl(field), "': ", AsAbsl(what)));
}

// Returns the string at `field` (nullptr when absent), or an error when it is not a string.
absl::StatusOr<const boost::json::string*> OptionalString(const boost::json::object& obj,
                                                          std::string_view field, size_t max_len) {
  const boost::json::value* v = obj.if_contains(field);
  if (v == nullptr || v->is_null()) return nullptr;
  const boost::json::string* s = v->if_string();
  if (s == nullptr) return FieldError(field, "must be a string");
  if (s->size() > max_len) return FieldError(field, absl::StrCat("longer than ", max_len));
  return s;
}
}  // namespace

std::optional<EventType> ParseEventType(std::string_view name) {
  for (int i = 0; i < kEventTypeCount; ++i) {
    if (kTypeNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

std::string_view EventTypeName(EventType type) { return kTypeNames[static_cast<int>(type)]; }

bool IsVolume(EventType type) {
  return type == EventType::kDelivered || type == EventType::kHam || type == EventType::kAuthPass;
}

absl::StatusOr<Event> ParseEventJson(std::string_view json, int64_t now) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(json, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("malformed JSON: ", ec.message()));
  const boost::json::object* obj = root.if_object();
  if (obj == nullptr) return absl::InvalidArgumentError("an event must be a JSON object");
  Event event;

  auto id = OptionalString(*obj, "id", 256);
  if (!id.ok()) return id.status();
  if (*id == nullptr || (*id)->empty()) return FieldError("id", "required");
  event.id = std::string(**id);

  auto type = OptionalString(*obj, "type", 32);
  if (!type.ok()) return type.status();
  if (*type == nullptr) return FieldError("type", "required");
  auto parsed_type = ParseEventType(**type);
  if (!parsed_type) {
    return FieldError("type", absl::StrCat("unknown event type '", std::string(**type),
                                           "' (delivered, ham, auth_pass, complaint, spamtrap, "
                                           "bot, auth_fail)"));
  }
  event.type = *parsed_type;

  auto reporter = OptionalString(*obj, "reporter", 128);
  if (!reporter.ok()) return reporter.status();
  if (*reporter == nullptr || (*reporter)->empty()) return FieldError("reporter", "required");
  event.reporter = std::string(**reporter);

  event.time = now;
  if (const boost::json::value* t = obj->if_contains("time"); t && !t->is_null()) {
    if (t->is_int64()) {
      event.time = t->as_int64();
    } else if (t->is_uint64()) {
      event.time = static_cast<int64_t>(std::min<uint64_t>(t->as_uint64(), INT64_MAX));
    } else if (t->is_double()) {
      double d = t->as_double();
      if (!(d > 0 && d < 1e11)) return FieldError("time", "not a plausible unix time");
      event.time = static_cast<int64_t>(d);
    } else if (t->is_string()) {
      absl::Time parsed;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, std::string(t->as_string()), &parsed, &err)) {
        return FieldError("time", "not unix seconds or an RFC 3339 date-time");
      }
      event.time = absl::ToUnixSeconds(parsed);
    } else {
      return FieldError("time", "must be unix seconds or an RFC 3339 string");
    }
    if (event.time <= 0) return FieldError("time", "before 1970");
    if (event.time > now + 86400) return FieldError("time", "more than a day in the future");
  }

  auto ip = OptionalString(*obj, "ip", 64);
  if (!ip.ok()) return ip.status();
  if (*ip != nullptr) {
    event.ip = IpAddress::Parse(**ip);
    if (!event.ip) return FieldError("ip", "not an IP address");
  }
  auto domain = OptionalString(*obj, "domain", 1024);
  if (!domain.ok()) return domain.status();
  if (*domain != nullptr) {
    auto normalized = NormalizeDomain(**domain);
    if (!normalized) return FieldError("domain", "not a valid domain name");
    event.domain = *normalized;
  }
  if (!event.ip && event.domain.empty()) {
    return absl::InvalidArgumentError("an event needs 'ip' or 'domain'");
  }
  for (auto [field, target] :
       {std::pair{"mail_from", &event.mail_from}, std::pair{"helo", &event.helo}}) {
    auto s = OptionalString(*obj, field, 1024);
    if (!s.ok()) return s.status();
    if (*s != nullptr) *target = std::string(**s);
  }
  if (const boost::json::value* c = obj->if_contains("count"); c && !c->is_null()) {
    if (!c->is_number()) return FieldError("count", "must be a number");
    event.count = c->to_number<double>();
    if (!std::isfinite(event.count) || event.count <= 0 || event.count > 1e9) {
      return FieldError("count", "must be a number > 0 and at most 1e9");
    }
  }
  return event;
}

}  // namespace repd::reputation
