// libFuzzer: header splitting and canonicalisation of arbitrary bytes; a body hashed in one
// piece and in two pieces (split at a fuzzer-chosen point) gives the same digest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkim/canon.h"
#include "dkim/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace repd::dkim;
  if (size < 1) return 0;
  size_t split = data[0] % (size);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string canonical;
  for (const auto& field : SplitHeaders(text)) {
    CanonicalizeHeader(Canon::kRelaxed, field.text, &canonical);
    CanonicalizeHeader(Canon::kSimple, field.text, &canonical);
  }
  for (Canon canon : {Canon::kSimple, Canon::kRelaxed}) {
    BodyHasher whole(canon, EVP_sha256(), std::nullopt), parts(canon, EVP_sha256(), std::nullopt);
    whole.Update(text);
    size_t at = std::min(split, text.size());
    parts.Update(text.substr(0, at));
    parts.Update(text.substr(at));
    if (whole.Finish() != parts.Finish()) __builtin_trap();
  }
  return 0;
}
