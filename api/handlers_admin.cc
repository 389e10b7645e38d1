// handlers_admin.cc -- overrides (admin token) and self-service delisting (public, rate limited).
#include <boost/json/array.hpp>

#include "api/api.h"
#include "api/body_json.h"
#include "api/json_io.h"
#include "api/json_report.h"
#include "api/override_json.h"
#include "common/strings.h"
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

}  // namespace

void Api::ListOverrides(Response* res) {
  json::array list;
  for (const Override& o : services_.reputation->ListOverrides())
    list.emplace_back(OverrideJson(o));
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
                                : "path parameter 'subject': not an IP address or an IPv4 "
                                  "CIDR from /16 to /32",
                    res);
  }
  o.subject = std::move(*subject);
  auto obj = ParseObject(req.body);
  if (!obj.ok()) return SetStatusError(obj.status(), res);
  absl::Status s = CheckFields(*obj, {"action", "reason", "expires", "ttl", "category", "txt"});
  if (s.ok()) s = ReadOverrideFields(*obj, Now(), &o);
  if (!s.ok()) return SetStatusError(s, res);
  if (auto st = services_.reputation->PutOverride(o); !st.ok()) return SetStatusError(st, res);
  SetJson(OverrideJson(o), 200, res);
}

// POST /v1/overrides: an NDJSON batch, e.g. a million rbldnsd entries sent by `repd import
// --url` in chunks. Like feedback, bad lines are reported by number and the good ones are
// kept; the good ones go to the store in one durable batch, so the answer means they are all
// on disk, and a store failure accepts none of them (the client sends the batch again; an
// override is keyed by its subject, so that is harmless).
void Api::PostOverrides(const Request& req, Response* res) {
  const int64_t now = Now();
  std::vector<Override> entries;
  json::array errors;
  ForEachLine(req.body, [&](size_t line, std::string_view text) {
    auto o = ParseOverrideLine(text, now);
    if (o.ok()) {
      entries.push_back(std::move(*o));
    } else {
      errors.emplace_back(json::object{{"line", line}, {"message", AsStd(o.status().message())}});
    }
    return true;
  });
  if (entries.empty() && errors.empty()) {
    return SetError(400, "invalid_argument", "body: no overrides", res);
  }
  if (!entries.empty()) {
    if (auto st = services_.reputation->PutOverrides(entries); !st.ok()) {
      return SetStatusError(st, res);
    }
  }
  json::object root;
  root["accepted"] = entries.size();
  root["rejected"] = errors.size();
  root["errors"] = std::move(errors);
  SetJson(root, 200, res);
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
  auto outcome =
      services_.reputation->Delist(!domain.empty(), domain.empty() ? ip : domain, requester, Now());
  if (!outcome.ok()) {
    absl::Status st = outcome.status();
    // The engine names the subject; the client sent it as 'ip' or 'domain'.
    if (st.code() == absl::StatusCode::kInvalidArgument) {
      st = FieldError(domain.empty() ? "ip" : "domain",
                      domain.empty() ? "not an IP address" : "not a domain name");
    }
    return SetStatusError(st, res);
  }
  SetJson(DelistJson(*outcome), 200, res);
}

}  // namespace repd::api
