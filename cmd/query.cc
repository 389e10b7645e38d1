#include "cmd/query.h"

#include <chrono>
#include <iostream>

#include "cmd/config.h"
#include "cmd/flags.h"
#include "cmd/logging.h"
#include "common/clock.h"
#include "reputation/reputation.h"

namespace repd::cmd {

namespace {
constexpr const char* kUsage =
    "usage: repd query [--config FILE] [--data-dir DIR] ip|domain SUBJECT";
}

int RunQuery(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv, {"config", "data-dir"}, {});
  if (!flags.error.empty() || flags.positional.size() != 2 ||
      (flags.positional[0] != "ip" && flags.positional[0] != "domain")) {
    std::cerr << "repd query: " << (flags.error.empty() ? "bad arguments" : flags.error) << "\n"
              << kUsage << "\n";
    return 2;
  }
  (void)SetUpLogging("warn");  // a report on stdout, only problems on stderr
  auto config = LoadConfig(flags.Get("config").value_or(""));
  if (!config.ok()) {
    std::cerr << "repd: " << config.status().message() << "\n";
    return 1;
  }
  auto options = config->reputation;
  if (auto v = flags.Get("data-dir")) options.data_dir = *v;
  options.read_only = true;
  const bool is_ip = flags.positional[0] == "ip";
  const std::string& subject = flags.positional[1];
  std::optional<reputation::IpAddress> ip;
  std::optional<std::string> domain;
  if (is_ip) {
    ip = reputation::IpAddress::Parse(subject);
    if (!ip) {
      std::cerr << "repd query: not an IP address: " << subject << "\n";
      return 2;
    }
  } else {
    domain = reputation::NormalizeDomain(subject);
    if (!domain) {
      std::cerr << "repd query: not a valid domain name: " << subject << "\n";
      return 2;
    }
  }
  auto rep = reputation::Reputation::Open(options);
  if (!rep.ok()) {
    std::cerr << "repd: " << rep.status().message() << "\n";
    return 1;
  }
  int64_t now = UnixNow();
  auto r = is_ip ? (*rep)->ReportIp(*ip, now) : (*rep)->ReportDomain(*domain, now);
  std::cout << r.kind << " " << r.subject << "\n";
  std::cout << "  score " << r.score << " confidence " << r.confidence << "\n";
  std::cout << "  listed";
  if (r.listed.empty()) std::cout << " no";
  for (const auto& l : r.listed) std::cout << " " << l.name << "(" << l.code << ")";
  std::cout << "\n  good standing " << (r.good_standing ? "yes" : "no");
  if (r.allow_trust >= 0) std::cout << ", allow-listed with trust " << r.allow_trust;
  std::cout << "\n  volume " << r.volume << " complaints " << r.complaints << " (credible "
            << r.credible_complaints << ") traps " << r.traps << " bots " << r.bots << " forgeries "
            << r.forgeries << "\n";
  std::cout << "  aggregate " << r.aggregate;
  if (is_ip) std::cout << " (" << r.aggregate_listed_ips << " listed IPs)";
  std::cout << "\n";
  if (r.first_seen)
    std::cout << "  first seen " << r.first_seen << " last seen " << r.last_seen << "\n";
  for (const auto& reason : r.reasons) std::cout << "  - " << reason << "\n";
  return 0;
}

}  // namespace repd::cmd
