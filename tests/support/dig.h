// dig.h -- integration-test support: one DNS question through the real `dig` client.
#pragma once

#include <string>
#include <vector>

namespace repd::testing {

struct DigRecord {
  std::string name, type, rdata;
  int ttl = 0;
};

struct DigResult {
  bool answered = false;           // false: timeout / no reply
  std::string status;              // NOERROR, NXDOMAIN, REFUSED, ...
  std::vector<std::string> flags;  // qr aa rd ra tc ...
  std::vector<DigRecord> answer, authority;
  std::string raw;

  bool HasFlag(const std::string& f) const;
  std::vector<std::string> AnswerData(const std::string& type) const;
};

// dig @127.0.0.1 -p PORT +norec NAME TYPE, plus `extra` options (e.g. "+tcp", "+bufsize=512").
DigResult Dig(int port, const std::string& name, const std::string& type,
              const std::string& extra = "");

}  // namespace repd::testing
