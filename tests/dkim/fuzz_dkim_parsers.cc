// libFuzzer: DKIM-Signature values, key records and tag lists from the network never crash
// the parsers; what parses keeps the invariants the verifier relies on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dkim/signature.h"
#include "dkim/tags.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace repd::dkim;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto sig = ParseSignature(text); sig.ok()) {
    if (sig->domain.empty() || sig->selector.empty() || sig->b.empty() || sig->bh.empty() ||
        sig->headers.empty()) {
      __builtin_trap();
    }
  }
  (void)ParseKeyRecord(text);
  (void)TagList::Parse(text);
  (void)WithoutSignatureValue(text);
  (void)DecodeQuotedPrintable(text);
  return 0;
}
