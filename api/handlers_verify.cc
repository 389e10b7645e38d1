// handlers_verify.cc -- POST /v1/verify: the DKIM result of a raw message, with the reputation
// of what it verified and the verdict for the connection.
#include <boost/json/array.hpp>

#include "api/api.h"
#include "api/json_io.h"
#include "api/json_report.h"
#include "reputation/reputation.h"

namespace repd::api {

namespace json = boost::json;

std::unique_ptr<dkim::Verifier::Session> Api::StartVerify() { return services_.verifier->Start(); }

void Api::AnswerVerify(const RouteMatch& m, const dkim::MessageResult& result, Response* res) {
  const int64_t now = Now();
  json::object root;
  root["result"] = dkim::ResultName(result.result);
  json::array signatures;
  for (const auto& sig : result.signatures) {
    json::object s{{"d", sig.domain},
                   {"s", sig.selector},
                   {"a", sig.algorithm},
                   {"result", dkim::ResultName(sig.result)},
                   {"reason", sig.reason}};
    if (!sig.identity.empty()) s["i"] = sig.identity;
    signatures.emplace_back(std::move(s));
  }
  root["signatures"] = std::move(signatures);
  root["authentication_results"] = result.authentication_results;

  reputation::CheckRequest check;
  if (auto ip = QueryParam(m.query, "ip")) check.ip = reputation::IpAddress::Parse(*ip);
  if (auto helo = QueryParam(m.query, "helo")) check.helo = *helo;
  if (auto mail_from = QueryParam(m.query, "mail_from")) check.mail_from = *mail_from;
  json::array verified, domains;
  for (const auto& d : result.verified_domains) {
    verified.emplace_back(d);
    domains.emplace_back(SubjectJson(services_.reputation->ReportDomain(d, now)));
    check.dkim_domains.push_back(d);
  }
  root["verified_domains"] = std::move(verified);
  root["domains"] = std::move(domains);
  root["ip"] = check.ip ? json::value(SubjectJson(services_.reputation->ReportIp(*check.ip, now)))
                        : json::value(nullptr);
  // Without a source address there is no connection to judge, only domains.
  reputation::CheckResult verdict = services_.reputation->Check(check, now);
  root["verdict"] =
      json::object{{"action", verdict.action},
                   {"score", verdict.score},
                   {"reasons", json::array(verdict.reasons.begin(), verdict.reasons.end())}};
  SetJson(root, 200, res);
}

}  // namespace repd::api
