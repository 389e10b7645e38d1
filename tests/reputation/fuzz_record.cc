// libFuzzer: stored records and merge operands from disk are untrusted bytes; decoding and
// applying them never crashes, and whatever decodes encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "reputation/evidence.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace repd::reputation;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Record record;
  if (DecodeRecord(bytes, &record)) {
    // Encoding is canonical: whatever decodes re-encodes to a fixed point.
    std::string canonical = EncodeRecord(record);
    Record again;
    if (!DecodeRecord(canonical, &again) || EncodeRecord(again) != canonical) __builtin_trap();
  }
  Record target;
  const HalfLives half_lives{604800, 604800, 604800, 604800, 1209600, 1209600, 1209600};
  ApplyOperand(bytes, half_lives, &target);
  return 0;
}
