// fake_dns.h -- a test DNS server on loopback (UDP and TCP on one port) answering TXT
// questions from a table: records, NXDOMAIN, SERVFAIL, or silence (a timeout).
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace repd::dkim::testing {

struct FakeRecord {
  enum class Kind { kTxt, kNxDomain, kServFail, kTimeout };
  Kind kind = Kind::kTxt;
  std::string txt;  // one TXT record; split into 255-octet strings on the wire
};

class FakeDns {
 public:
  // Names are matched case-insensitively, without the trailing dot. Unknown names: NXDOMAIN.
  explicit FakeDns(std::map<std::string, FakeRecord> records);
  ~FakeDns();
  int port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }
  int tcp_queries() const { return tcp_queries_; }

  // Mail::DKIM's FAKE_DNS.dat: "NAME RDATA", "NAME NXDOMAIN", "NAME ~~Query timed out~~",
  // "NAME ~~SERVFAIL~~"; '#' comments; RDATA `""` is an empty TXT.
  static std::map<std::string, FakeRecord> LoadMailDkimFile(const std::string& path);

 private:
  void Serve();
  std::string Answer(const std::string& query, bool tcp);

  std::map<std::string, FakeRecord> records_;
  int udp_ = -1, tcp_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0}, tcp_queries_{0};
  std::thread thread_;
};

}  // namespace repd::dkim::testing
