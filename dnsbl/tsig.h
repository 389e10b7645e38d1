// tsig.h -- TSIG (RFC 8945): checks a signed request and signs the answer (every message of a
// transfer, chaining MACs as secondaries expect; the single answer to an ordinary query, such
// as a secondary's SOA check) and NOTIFY requests. ldns does the HMAC work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dnsbl/dns_server.h"
#include "dnsbl/ldns.h"
#include "dnsbl/query.h"

namespace repd::dnsbl {

class TsigKey {
 public:
  // Null when options carry no key; an error names the bad key.
  static absl::StatusOr<std::shared_ptr<const TsigKey>> FromOptions(const DnsOptions& options);

  // The state of one signed exchange: the MAC the next message is chained to.
  struct Exchange {
    LdnsRdf prior_mac;
    bool first = true;
  };

  // The outcome of checking a signed request: valid, or the TSIG error of the answer.
  enum class Check : uint16_t { kValid = 0, kBadSig = 16, kBadKey = 17, kBadTime = 18 };

  // Checks a request signed with this key (its MAC, and its time within the fudge of `now`,
  // unix seconds); when valid, or kBadTime (whose answer is signed too), `exchange` is ready
  // for Sign().
  Check Verify(const uint8_t* wire, size_t len, Exchange* exchange, int64_t now) const;
  // Replaces `message` by its signed form.
  absl::Status Sign(std::string* message, Exchange* exchange) const;
  // The HMAC of `data` with this key's algorithm and secret; empty on failure.
  std::string Mac(std::string_view data) const;

 private:
  std::string name_, algorithm_, secret_;
};

// The answer to an ordinary query that carries a TSIG (RFC 8945 5.2, 5.3), rewritten in place
// from the `size` bytes of the unsigned answer in `reply`: signed when the request verifies
// with `key` (truncated, TC=1, when the signed answer would pass `limit`); otherwise the
// error answer NOTAUTH with the TSIG error BADKEY or BADSIG, unsigned, or BADTIME, signed
// (its MAC verified) and carrying our time. `now` is unix seconds. Returns the new size; 0
// means no answer.
size_t AnswerSigned(const TsigKey* key, const Query& q, const DnsOptions& options,
                    const uint8_t* request, size_t request_len, size_t limit, uint8_t* reply,
                    size_t size, size_t capacity, int64_t now);

// The same error answer for a request that `check` refused (one message, for TCP: a refused
// zone transfer): NOTAUTH with the TSIG error, unsigned, or signed for BADTIME. Empty when the
// request's TSIG cannot be read back.
std::string TsigErrorAnswer(const TsigKey* key, TsigKey::Check check,
                            const TsigKey::Exchange& exchange, const DnsOptions& options,
                            const uint8_t* request, size_t request_len, int64_t now);

}  // namespace repd::dnsbl
