// exchange.h -- one HTTP request and its answer as plain data, so that routing and the
// handlers are tested and fuzzed without sockets or Beast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace repd::api {

struct Request {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // path and query, as sent
  std::string_view content_type;
  std::string_view authorization;
  std::string_view body;
  std::string_view client;  // the peer's IP address as text (rate limits)
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Allow, Retry-After, ...

  // Keeps the body's capacity: sessions reuse one Response for every request.
  void Reset() {
    status = 200;
    content_type = "application/json";
    body.clear();
    headers.clear();
  }
};

}  // namespace repd::api
