// libFuzzer: one NDJSON line of POST /v1/overrides never crashes the parser, and what it
// accepts is written back (AppendOverrideLine, the shape GET /v1/overrides gives) into a line
// that reads back the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/override_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using repd::api::AppendOverrideLine;
  using repd::api::ParseOverrideLine;
  constexpr int64_t kNow = 1'700'000'000;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseOverrideLine(line, kNow);
  if (!parsed.ok()) return 0;
  if (parsed->subject.empty() || parsed->reason.empty()) __builtin_trap();
  std::string written;
  AppendOverrideLine(*parsed, &written);
  auto again = ParseOverrideLine(written, kNow);
  if (!again.ok() || again->subject != parsed->subject || again->is_domain != parsed->is_domain ||
      again->action != parsed->action || again->reason != parsed->reason ||
      again->txt != parsed->txt || again->category != parsed->category ||
      again->expires != parsed->expires || again->created != parsed->created) {
    __builtin_trap();
  }
  return 0;
}
