#include "api/override_json.h"

#include <charconv>

#include "api/body_json.h"
#include "api/json_io.h"
#include "api/json_report.h"
#include "common/strings.h"

namespace repd::api {

namespace json = boost::json;
using reputation::Override;

namespace {

void AppendInt(int64_t value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, end);
}

}  // namespace

std::optional<std::string> NormalizeOverrideSubject(bool is_domain, std::string_view text) {
  if (is_domain) return reputation::NormalizeDomain(std::string(text));
  size_t slash = text.find('/');
  auto ip = reputation::IpAddress::Parse(std::string(text.substr(0, slash)));
  if (!ip) return std::nullopt;
  if (slash == std::string_view::npos) return ip->ToString();
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (!ip->v4 || len_text.empty() || len_text.size() > 2 || ec != std::errc() ||
      end != len_text.data() + len_text.size() || len < 16 || len > 32) {
    return std::nullopt;
  }
  uint32_t mask = ~uint32_t{0} << (32 - len);
  return reputation::IpAddress::FromV4(ip->V4HostOrder() & mask).ToString() + "/" +
         std::to_string(len);
}

absl::Status ReadOverrideFields(const json::object& obj, int64_t now, Override* o) {
  std::string action;
  int64_t ttl = 0, category = 0;
  absl::Status s = ReadString(obj, "action", true, &action);
  if (s.ok()) s = ReadString(obj, "reason", true, &o->reason);
  if (s.ok()) s = ReadInt(obj, "expires", false, &o->expires);
  if (s.ok()) s = ReadInt(obj, "ttl", false, &ttl);
  if (s.ok()) s = ReadInt(obj, "category", false, &category);
  if (s.ok()) s = ReadString(obj, "txt", false, &o->txt);
  if (!s.ok()) return s;
  if (action == "allow") {
    o->action = Override::Action::kAllow;
  } else if (action == "block") {
    o->action = Override::Action::kBlock;
  } else if (action == "policy") {
    o->action = Override::Action::kPolicy;
  } else if (action == "exclude") {
    o->action = Override::Action::kExclude;
  } else {
    return FieldError("action", "must be 'allow', 'block', 'policy' or 'exclude'");
  }
  if (o->reason.empty()) return FieldError("reason", "must not be empty");
  if (ttl < 0) return FieldError("ttl", "must not be negative");
  if (o->expires < 0) return FieldError("expires", "must not be negative");
  if (o->expires != 0 && o->expires <= now) return FieldError("expires", "is in the past");
  if (category < 0 || category > 31) return FieldError("category", "must be 1 to 31");
  if (ttl > 0) o->expires = now + ttl;
  o->category = static_cast<int>(category);
  o->created = now;
  return absl::OkStatus();
}

absl::StatusOr<Override> ParseOverrideLine(std::string_view line, int64_t now) {
  auto obj = ParseObject(line);
  if (!obj.ok()) {
    // ParseObject speaks of "body:"; here the line is the unit.
    std::string_view message = AsStd(obj.status().message());
    if (message.starts_with("body: ")) message.remove_prefix(6);
    return absl::InvalidArgumentError(AsAbsl(message));
  }
  absl::Status s = CheckFields(*obj, {"kind", "subject", "action", "reason", "expires", "ttl",
                                      "category", "txt", "created"});
  std::string kind, subject;
  int64_t created = 0;
  if (s.ok()) s = ReadString(*obj, "kind", true, &kind);
  if (s.ok()) s = ReadString(*obj, "subject", true, &subject);
  if (s.ok()) s = ReadInt(*obj, "created", false, &created);
  if (!s.ok()) return s;
  Override o;
  if (kind != "ip" && kind != "domain") return FieldError("kind", "must be 'ip' or 'domain'");
  o.is_domain = kind == "domain";
  auto normal = NormalizeOverrideSubject(o.is_domain, subject);
  if (!normal) {
    return FieldError("subject", o.is_domain ? "not a domain name"
                                             : "not an IP address or an IPv4 CIDR from /16 to /32");
  }
  o.subject = std::move(*normal);
  if (s = ReadOverrideFields(*obj, now, &o); !s.ok()) return s;
  if (created < 0) return FieldError("created", "must not be negative");
  if (created > 0) o.created = created;
  return o;
}

void AppendOverrideLine(const Override& o, std::string* out) {
  out->append(o.is_domain ? "{\"kind\":\"domain\",\"subject\":" : "{\"kind\":\"ip\",\"subject\":");
  AppendJsonString(o.subject, out);
  out->append(",\"action\":\"").append(OverrideActionName(o.action)).append("\",\"reason\":");
  AppendJsonString(o.reason, out);
  if (!o.txt.empty()) {
    out->append(",\"txt\":");
    AppendJsonString(o.txt, out);
  }
  if (o.category != 0) {
    out->append(",\"category\":");
    AppendInt(o.category, out);
  }
  if (o.created != 0) {
    out->append(",\"created\":");
    AppendInt(o.created, out);
  }
  if (o.expires != 0) {
    out->append(",\"expires\":");
    AppendInt(o.expires, out);
  }
  out->append("}\n");
}

}  // namespace repd::api
