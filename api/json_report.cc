#include "api/json_report.h"

#include <boost/json/array.hpp>

namespace repd::api {

namespace json = boost::json;

namespace {

// Unix seconds, or null for "never".
json::value Time(int64_t t) { return t == 0 ? json::value(nullptr) : json::value(t); }

json::array Strings(const std::vector<std::string>& items) {
  json::array out;
  out.reserve(items.size());
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

}  // namespace

std::string_view OverrideActionName(reputation::Override::Action action) {
  switch (action) {
    case reputation::Override::Action::kAllow:
      return "allow";
    case reputation::Override::Action::kBlock:
      return "block";
    case reputation::Override::Action::kPolicy:
      return "policy";
    case reputation::Override::Action::kExclude:
      return "exclude";
  }
  return "block";
}

json::object OverrideJson(const reputation::Override& o) {
  json::object out;
  out["kind"] = o.is_domain ? "domain" : "ip";
  out["subject"] = o.subject;
  out["action"] = OverrideActionName(o.action);
  out["reason"] = o.reason;
  if (!o.txt.empty()) out["txt"] = o.txt;
  out["category"] = o.category;
  out["created"] = Time(o.created);
  out["expires"] = Time(o.expires);
  return out;
}

json::object SubjectJson(const reputation::SubjectReport& r) {
  const bool ip = r.kind == "ip";
  json::object out;
  out["kind"] = r.kind;
  out["subject"] = r.subject;
  out["known"] = r.known;
  out["score"] = r.score;
  out["confidence"] = r.confidence;
  json::array listed;
  for (const auto& l : r.listed) {
    listed.emplace_back(json::object{{"code", l.code}, {"name", l.name}, {"reason", l.reason}});
  }
  out["listed"] = std::move(listed);
  out["reasons"] = Strings(r.reasons);
  out["counts"] = json::object{{"volume", r.volume},
                               {"complaints", r.complaints},
                               {"credible_complaints", r.credible_complaints},
                               {"traps", r.traps},
                               {"bots", r.bots},
                               {"forgeries", r.forgeries},
                               {"complaint_reporters", r.complaint_reporters}};
  out["first_seen"] = Time(r.first_seen);
  out["last_seen"] = Time(r.last_seen);
  out["good_standing"] = r.good_standing;
  if (ip) out["shared"] = r.shared;
  out["allow_trust"] = r.allow_trust < 0 ? json::value(nullptr) : json::value(r.allow_trust);
  json::object aggregate{{"kind", ip ? "prefix" : "org-domain"}, {"subject", r.aggregate}};
  if (ip) aggregate["listed_ips"] = r.aggregate_listed_ips;
  out["aggregate"] = std::move(aggregate);
  out["override"] =
      r.override_entry ? json::value(OverrideJson(*r.override_entry)) : json::value(nullptr);
  out["delisted_at"] = Time(r.delisted_at);
  out["relistings"] = r.relistings;
  return out;
}

json::object CheckJson(const reputation::CheckResult& c) {
  json::object out;
  out["action"] = c.action;
  out["score"] = c.score;
  out["reasons"] = Strings(c.reasons);
  json::array subjects;
  subjects.reserve(c.subjects.size());
  for (const auto& s : c.subjects) subjects.emplace_back(SubjectJson(s));
  out["subjects"] = std::move(subjects);
  return out;
}

json::object DelistJson(const reputation::DelistOutcome& d) {
  json::object out;
  out["delisted"] = d.delisted;
  out["status"] = d.status;
  out["message"] = d.message;
  out["retry_after"] = Time(d.retry_after);
  return out;
}

}  // namespace repd::api
