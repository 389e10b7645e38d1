// tsig.h -- TSIG (RFC 8945) for zone transfers: checks a signed request and signs every
// message of the answer, chaining MACs as secondaries expect. ldns does the HMAC work.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dnsbl/dns_server.h"
#include "dnsbl/ldns.h"

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

  // Checks a request signed with this key; on success `exchange` is ready for Sign().
  bool Verify(const uint8_t* wire, size_t len, Exchange* exchange) const;
  // Replaces `message` by its signed form.
  absl::Status Sign(std::string* message, Exchange* exchange) const;

 private:
  std::string name_, algorithm_, secret_;
};

}  // namespace repd::dnsbl
