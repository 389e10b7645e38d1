// fake_reputation.h -- an in-memory reputation::Reputation for the API's unit tests: it keeps
// what it is told and answers from it, so tests can check what the API passed and returned.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "reputation/reputation.h"

namespace repd::api::testing {

class FakeReputation : public reputation::Reputation {
 public:
  const reputation::ListingIndex& index() const override { return index_; }

  absl::StatusOr<reputation::IngestOutcome> Ingest(
      const std::vector<reputation::Event>& events) override {
    std::lock_guard lock(mu);
    if (!ingest_status.ok()) return ingest_status;
    reputation::IngestOutcome out;
    for (const auto& e : events) {
      if (ids.insert(e.id).second) {
        ++out.accepted;
        ingested.push_back(e);
      } else {
        ++out.duplicate;
      }
    }
    return out;
  }

  reputation::SubjectReport ReportIp(const reputation::IpAddress& ip, int64_t now) override {
    std::lock_guard lock(mu);
    reputation::SubjectReport r;
    r.kind = "ip";
    r.subject = ip.ToString();
    r.aggregate = ip.Prefix().ToString() + "/" + std::to_string(ip.PrefixLength());
    Fill(&r, now);
    return r;
  }

  reputation::SubjectReport ReportDomain(const std::string& domain, int64_t now) override {
    std::lock_guard lock(mu);
    reputation::SubjectReport r;
    r.kind = "domain";
    r.subject = domain;
    r.aggregate = domain;
    Fill(&r, now);
    return r;
  }

  reputation::CheckResult Check(const reputation::CheckRequest& request, int64_t now) override {
    reputation::CheckResult out;
    last_check = request;
    out.action = "neutral";
    out.score = 50;
    if (request.ip) {
      auto report = ReportIp(*request.ip, now);
      if (!report.listed.empty()) {
        out.action = "reject";
        out.reasons.push_back(report.subject + " is listed");
      }
      out.subjects.push_back(report);
    }
    for (const auto& d : request.dkim_domains) out.subjects.push_back(ReportDomain(d, now));
    return out;
  }

  absl::Status PutOverride(const reputation::Override& entry) override {
    return PutOverrides({entry});
  }
  absl::Status PutOverrides(const std::vector<reputation::Override>& entries) override {
    std::lock_guard lock(mu);
    if (!put_status.ok()) return put_status;
    ++put_calls;
    for (const auto& e : entries) overrides[{e.is_domain, e.subject}] = e;
    return absl::OkStatus();
  }
  std::vector<reputation::Override> ListOverrides() override {
    std::lock_guard lock(mu);
    std::vector<reputation::Override> out;
    for (const auto& [k, o] : overrides) out.push_back(o);
    return out;
  }
  absl::Status DeleteOverride(bool is_domain, const std::string& subject) override {
    std::lock_guard lock(mu);
    if (overrides.erase({is_domain, subject}) == 0) {
      return absl::NotFoundError("no override for " + subject);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<reputation::DelistOutcome> Delist(bool is_domain, const std::string& subject,
                                                   const std::string& requester,
                                                   int64_t now) override {
    std::lock_guard lock(mu);
    if (!is_domain && !reputation::IpAddress::Parse(subject)) {
      return absl::InvalidArgumentError("subject: not an IP address");
    }
    delist_requests.push_back(requester);
    reputation::DelistOutcome out;
    out.delisted = listed.erase(subject) > 0;
    out.status = out.delisted ? "delisted" : "not_listed";
    out.message = out.delisted ? "removed" : "not listed";
    out.retry_after = out.delisted ? 0 : now;
    return out;
  }
  void Sweep(int64_t) override {}
  std::vector<std::pair<std::string, double>> StoreFigures() override {
    return {{"estimate_num_keys{family=\"subjects\"}", 42},
            {"estimate_num_keys{family=\"events\"}", 7}};
  }

  std::mutex mu;
  absl::Status ingest_status;
  std::set<std::string> ids;
  std::vector<reputation::Event> ingested;
  std::set<std::string> listed;  // subject texts listed as spam
  std::map<std::pair<bool, std::string>, reputation::Override> overrides;
  absl::Status put_status;  // what PutOverrides answers when not OK
  int put_calls = 0;        // successful PutOverrides calls
  std::vector<std::string> delist_requests;
  reputation::CheckRequest last_check;

 private:
  void Fill(reputation::SubjectReport* r, int64_t now) {
    r->known = listed.contains(r->subject);
    r->score = r->known ? 3 : 50;
    r->confidence = r->known ? 0.9 : 0;
    r->volume = r->known ? 1000 : 0;
    r->last_seen = r->known ? now : 0;
    if (r->known) r->listed.push_back({2, "spam", "complaints from 2 reporters"});
    auto it = overrides.find({r->kind == "domain", r->subject});
    if (it != overrides.end()) r->override_entry = it->second;
  }

  reputation::ListingIndex index_;
};

}  // namespace repd::api::testing
