// handlers_admin.cc -- overrides (admin token) and self-service delisting (public, rate limited).
#include <boost/json/array.hpp>

#include "api/api.h"
#include "api/body_json.h"
#include "api/json_io.h"
#include "api/json_report.h"
#include "reputation/reputation.h"

namespace repd::api {

namespace json = boost::json;
using reputation::Override;

namespace {

// The {kind} path parameter: "ip" or "domain".
bool ParseKind(const std::string& kind, bool* is_domain, Response* res) {
  if (kind == "ip" || kind == "domain") {
    *is_domain = kind == "domain";
    return true;
  }
  SetError(400, "invalid_argument", "path parameter 'kind': must be 'ip' or 'domain'", res);
  return false;
}

// The spelling the engine stores, so the answer shows it: a normalised domain, IP, or IPv4
// CIDR with its host bits cleared. The engine still validates ranges (/16 to /32).
std::optional<std::string> NormalizeOverrideSubject(bool is_domain, const std::string& text) {
  if (is_domain) return reputation::NormalizeDomain(text);
  size_t slash = text.find('/');
  auto ip = reputation::IpAddress::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  if (slash == std::string::npos) return ip->ToString();
  std::string len_text = text.substr(slash + 1);
  if (!ip->v4 || len_text.empty() || len_text.size() > 2 ||
      len_text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int len = std::stoi(len_text);
  if (len > 32) return std::nullopt;
  uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  return reputation::IpAddress::FromV4(ip->V4HostOrder() & mask).ToString() + "/" + std::to_string(len);
}

}  // namespace

void Api::ListOverrides(Response* res) {
  json::array list;
  for (const Override& o : services_.reputation->ListOverrides()) list.emplace_back(OverrideJson(o));
  json::object root;
  root["overrides"] = std::move(list);
  SetJson(root, 200, res);
}

void Api::PutOverride(const RouteMatch& m, const Request& req, Response* res) {
  Override o;
  if (!ParseKind(m.params[0], &o.is_domain, res)) return;
  auto subject = NormalizeOverrideSubject(o.is_domain, m.params[1]);
  if (!subject) {
    return SetError(400, "invalid_argument",
                    o.is_domain ? "path parameter 'subject': not a domain name"
                                : "path parameter 'subject': not an IP address or IPv4 CIDR",
                    res);
  }
  o.subject = std::move(*subject);
  auto obj = ParseObject(req.body);
  if (!obj.ok()) return SetStatusError(obj.status(), res);
  std::string action;
  int64_t ttl = 0, category = 0;
  const int64_t now = Now();
  absl::Status s = CheckFields(*obj, {"action", "reason", "expires", "ttl", "category", "txt"});
  if (s.ok()) s = ReadString(*obj, "action", true, &action);
  if (s.ok()) s = ReadString(*obj, "reason", true, &o.reason);
  if (s.ok()) s = ReadInt(*obj, "expires", false, &o.expires);
  if (s.ok()) s = ReadInt(*obj, "ttl", false, &ttl);
  if (s.ok()) s = ReadInt(*obj, "category", false, &category);
  if (s.ok()) s = ReadString(*obj, "txt", false, &o.txt);
  if (s.ok()) {
    if (action == "allow") {
      o.action = Override::Action::kAllow;
    } else if (action == "block") {
      o.action = Override::Action::kBlock;
    } else if (action == "policy") {
      o.action = Override::Action::kPolicy;
    } else {
      s = FieldError("action", "must be 'allow', 'block' or 'policy'");
    }
  }
  if (s.ok() && o.reason.empty()) s = FieldError("reason", "must not be empty");
  if (s.ok() && ttl < 0) s = FieldError("ttl", "must not be negative");
  if (s.ok() && o.expires != 0 && o.expires <= now) s = FieldError("expires", "is in the past");
  if (s.ok() && (category < 0 || category > 31)) s = FieldError("category", "must be 1 to 31");
  if (!s.ok()) return SetStatusError(s, res);
  if (ttl > 0) o.expires = now + ttl;
  o.category = static_cast<int>(category);
  o.created = now;
  if (auto st = services_.reputation->PutOverride(o); !st.ok()) return SetStatusError(st, res);
  SetJson(OverrideJson(o), 200, res);
}

void Api::DeleteOverride(const RouteMatch& m, Response* res) {
  bool is_domain = false;
  if (!ParseKind(m.params[0], &is_domain, res)) return;
  if (auto st = services_.reputation->DeleteOverride(is_domain, m.params[1]); !st.ok()) {
    return SetStatusError(st, res);
  }
  json::object root;
  root["deleted"] = true;
  root["kind"] = is_domain ? "domain" : "ip";
  root["subject"] = m.params[1];
  SetJson(root, 200, res);
}

void Api::Delist(const Request& req, Response* res) {
  auto obj = ParseObject(req.body);
  if (!obj.ok()) return SetStatusError(obj.status(), res);
  std::string ip, domain, contact;
  absl::Status s = CheckFields(*obj, {"ip", "domain", "contact"});
  if (s.ok()) s = ReadString(*obj, "ip", false, &ip);
  if (s.ok()) s = ReadString(*obj, "domain", false, &domain);
  if (s.ok()) s = ReadString(*obj, "contact", false, &contact);
  if (s.ok() && ip.empty() == domain.empty()) {
    s = FieldError(ip.empty() ? "ip" : "domain", "give exactly one of 'ip' and 'domain'");
  }
  if (!s.ok()) return SetStatusError(s, res);
  // The audit trail keeps who asked: the peer address, and the contact they gave.
  std::string requester(req.client);
  if (!contact.empty()) requester.append(" ").append(contact);
  auto outcome = services_.reputation->Delist(!domain.empty(), domain.empty() ? ip : domain,
                                              requester, Now());
  if (!outcome.ok()) {
    absl::Status st = outcome.status();
    // The engine names the subject; the client sent it as 'ip' or 'domain'.
    if (st.code() == absl::StatusCode::kInvalidArgument) {
      st = FieldError(domain.empty() ? "ip" : "domain", domain.empty() ? "not an IP address"
                                                                       : "not a domain name");
    }
    return SetStatusError(st, res);
  }
  SetJson(DelistJson(*outcome), 200, res);
}

}  // namespace repd::api
