// signer.h -- DKIM signing (rsa-sha256, ed25519-sha256; simple or relaxed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dkim/canon.h"
#include "dkim/crypto.h"

namespace repd::dkim {

struct SignOptions {
  std::string domain, selector;
  Algorithm algorithm = Algorithm::kRsaSha256;
  Canon header_canon = Canon::kRelaxed, body_canon = Canon::kRelaxed;
  // Fields to sign (those present are signed; From is signed once more than it appears so
  // that no From can be added). Empty: a sensible default list.
  std::vector<std::string> headers;
  bool body_length = false;  // add l=
  int64_t timestamp = 0;     // t=, 0: none
};

// The DKIM-Signature field to prepend, "DKIM-Signature: ..." folded with CRLF, without a
// final line end.
absl::StatusOr<std::string> SignMessage(std::string_view message, const Pkey& key,
                                        const SignOptions& options);

}  // namespace repd::dkim
