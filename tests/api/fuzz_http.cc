// libFuzzer target: raw bytes through Beast's request parser, the router, admission and every
// handler (with a fake reputation engine and no verifier). Nothing may crash, hang or leak,
// and every answer must be a well-formed HTTP response with a JSON or text body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/api.h"
#include "api/wire.h"
#include "tests/api/fake_reputation.h"

namespace {

repd::api::Api& TheApi() {
  static repd::api::testing::FakeReputation* rep = [] {
    auto* r = new repd::api::testing::FakeReputation;
    r->listed.insert("192.0.2.1");
    r->listed.insert("example.com");
    return r;
  }();
  static repd::api::Api* api = [] {
    repd::api::HttpOptions o;
    o.body_limit = 4096;
    o.feedback_body_limit = 65536;
    o.feedback_max_events = 100;
    o.delist_burst = 1e9;  // the fuzzer must reach the handler, not the limiter
    // SHA-256 of "t" for the admin role, so that "Bearer t" reaches the admin routes.
    o.tokens = {{"a", "admin", "e3b98a4da31a127d4bde6e43033f66ba274cab0eb7eb1c70ec41402bf6273dd8"}};
    auto created = repd::api::Api::Create(o, {rep, nullptr, nullptr});
    if (!created.ok()) std::abort();
    auto* a = created->release();
    a->now = [] { return int64_t{1700000000}; };
    return a;
  }();
  return *api;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string out;
  size_t answers = repd::api::ServeBytes(
      TheApi(), std::string_view(reinterpret_cast<const char*>(data), size), &out);
  if (answers > 0 && out.compare(0, 9, "HTTP/1.1 ") != 0 && out.compare(0, 9, "HTTP/1.0 ") != 0) {
    std::abort();
  }
  return 0;
}
