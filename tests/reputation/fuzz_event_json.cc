// libFuzzer: one feedback event (an NDJSON line) never crashes the parser; what it accepts is
// a well-formed event.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reputation/feedback.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto event = repd::reputation::ParseEventJson(line, 2'000'000'000);
  if (event.ok()) {
    if (event->id.empty() || event->reporter.empty() || !(event->count > 0) ||
        (!event->ip && event->domain.empty())) {
      __builtin_trap();
    }
  }
  return 0;
}
