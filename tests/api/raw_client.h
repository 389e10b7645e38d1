// raw_client.h -- a blocking loopback TCP client for the server tests: it writes bytes as
// given (pipelining, slow clients, broken requests) and reads answers one by one.
#pragma once

#include <string>

namespace repd::api::testing {

struct RawResponse {
  int status = 0;  // 0: the connection closed (or timed out) before a full answer
  std::string head;
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive, "" when absent
};

class RawClient {
 public:
  explicit RawClient(int port, double timeout_s = 10);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Reads one answer (Content-Length framed).
  RawResponse Read();
  // True when the server closed the connection within `seconds` (reads and drops any bytes).
  bool ClosedWithin(double seconds);

 private:
  int fd_ = -1;
  std::string pending_;
};

// "GET /path HTTP/1.1" with Host, and a body with Content-Length when given.
std::string RequestText(const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::string& extra_headers = {});

}  // namespace repd::api::testing
