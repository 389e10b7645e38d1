// handlers_lookup.cc -- the read routes: subject lookups, the connect-time check, REPUTE.
#include <boost/json/monotonic_resource.hpp>

#include "api/api.h"
#include "api/body_json.h"
#include "api/json_io.h"
#include "api/json_report.h"
#include "reputation/reputation.h"

namespace repd::api {

namespace json = boost::json;
using reputation::IpAddress;

void Api::LookupIp(const RouteMatch& m, Response* res) {
  auto ip = IpAddress::Parse(m.params[0]);
  if (!ip)
    return SetError(400, "invalid_argument", "path parameter 'addr': not an IP address", res);
  SetJson(SubjectJson(services_.reputation->ReportIp(*ip, Now())), 200, res);
}

void Api::LookupDomain(const RouteMatch& m, Response* res) {
  auto domain = reputation::NormalizeDomain(m.params[0]);
  if (!domain) {
    return SetError(400, "invalid_argument", "path parameter 'name': not a domain name", res);
  }
  SetJson(SubjectJson(services_.reputation->ReportDomain(*domain, Now())), 200, res);
}

void Api::Check(const Request& req, Response* res) {
  // Connect-time checks are small: parse them on the stack.
  unsigned char scratch[4096];
  json::monotonic_resource mr(scratch, sizeof scratch);
  auto obj = ParseObject(req.body, &mr);
  if (!obj.ok()) return SetStatusError(obj.status(), res);
  reputation::CheckRequest check;
  std::string ip_text;
  absl::Status s = CheckFields(*obj, {"ip", "helo", "mail_from", "dkim_domains"});
  if (s.ok()) s = ReadString(*obj, "ip", true, &ip_text);
  if (s.ok()) s = ReadString(*obj, "helo", false, &check.helo);
  if (s.ok()) s = ReadString(*obj, "mail_from", false, &check.mail_from);
  if (s.ok()) s = ReadStrings(*obj, "dkim_domains", &check.dkim_domains);
  if (!s.ok()) return SetStatusError(s, res);
  check.ip = IpAddress::Parse(ip_text);
  if (!check.ip) return SetStatusError(FieldError("ip", "not an IP address"), res);
  for (size_t i = 0; i < check.dkim_domains.size(); ++i) {
    auto d = reputation::NormalizeDomain(check.dkim_domains[i]);
    if (!d) {
      return SetStatusError(
          FieldError("dkim_domains[" + std::to_string(i) + "]", "not a domain name"), res);
    }
    check.dkim_domains[i] = std::move(*d);
  }
  SetJson(CheckJson(services_.reputation->Check(check, Now())), 200, res);
}

// RFC 7072 query, answered with an RFC 7071 reputon of the RFC 7073 email-id application.
void Api::Repute(const RouteMatch& m, Response* res) {
  const std::string& application = m.params[0];
  const std::string& subject = m.params[1];
  const std::string& assertion = m.params[2];
  if (application != "email-id") {
    return SetError(404, "not_found", "application '" + application + "' is not served", res);
  }
  if (assertion != "spam") {
    return SetError(404, "not_found", "assertion '" + assertion + "' is not defined for email-id",
                    res);
  }
  const int64_t now = Now();
  reputation::SubjectReport report;
  std::string identity;
  if (auto ip = IpAddress::Parse(subject)) {
    report = services_.reputation->ReportIp(*ip, now);
    identity = ip->v4 ? "ipv4" : "ipv6";
  } else if (auto domain = reputation::NormalizeDomain(subject)) {
    report = services_.reputation->ReportDomain(*domain, now);
    identity = "dkim";  // repd keeps reputation for DKIM-verified d= domains only
  } else {
    return SetError(400, "invalid_argument",
                    "path parameter 'subject': neither an IP address nor a domain name", res);
  }
  if (auto wanted = QueryParam(m.query, "identity"); wanted && *wanted != identity) {
    return SetError(
        400, "invalid_argument",
        "query parameter 'identity': repd rates '" + report.subject + "' as " + identity, res);
  }
  json::array reputons;
  // A subject repd knows nothing about gets no reputon (RFC 7071: an empty set means no data).
  if (report.known) {
    // rating: how strongly the subject is a spam source; the score is P(complaint rate <
    // tau), so 1 - score/100 is the chance that its rate is over the bar. A listing in a
    // category that is spam evidence, or a block override, rates it fully.
    double rating = 1.0 - report.score / 100.0;
    for (const auto& l : report.listed) {
      if (l.code != reputation::kCategoryPolicy) rating = 1.0;
    }
    if (report.override_entry) {
      if (report.override_entry->action == reputation::Override::Action::kAllow) rating = 0;
      if (report.override_entry->action == reputation::Override::Action::kBlock) rating = 1;
    }
    json::object r;
    r["rater"] = options_.rater;
    r["assertion"] = "spam";
    r["rated"] = report.subject;
    r["rating"] = rating;
    r["confidence"] = report.confidence;
    r["sample-size"] = static_cast<int64_t>(report.volume + 0.5);
    r["generated"] = now;
    r["expires"] = now + 300;  // the index moves within seconds; five minutes is honest
    r["identity"] = identity;
    reputons.emplace_back(std::move(r));
  }
  json::object root;
  root["application"] = "email-id";
  root["reputons"] = std::move(reputons);
  SetJson(root, 200, res);
  res->content_type = "application/reputon+json";
}

}  // namespace repd::api
