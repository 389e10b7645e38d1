// signature.h -- a DKIM-Signature header field and a key record, parsed and checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dkim/canon.h"

namespace repd::dkim {

enum class Algorithm { kRsaSha256, kRsaSha1, kEd25519Sha256 };
std::string_view AlgorithmName(Algorithm a);

struct Signature {
  Algorithm algorithm = Algorithm::kRsaSha256;
  std::string algorithm_text;
  std::string b;       // decoded signature
  std::string b_text;  // as written, for header.b
  std::string bh;      // decoded body hash
  Canon header_canon = Canon::kSimple, body_canon = Canon::kSimple;
  std::string domain;  // d=, lower case
  std::string selector;
  std::string identity;               // i=, default "@d"
  std::vector<std::string> headers;   // h=, lower case, in order
  std::optional<uint64_t> length;     // l=
  std::optional<int64_t> timestamp;   // t=
  std::optional<int64_t> expiration;  // x=
};

// Parses the value of a DKIM-Signature field. Errors are the permerror reasons.
absl::StatusOr<Signature> ParseSignature(std::string_view value);

struct KeyRecord {
  enum class Type { kRsa, kEd25519 };
  Type type = Type::kRsa;
  std::string public_key;                         // decoded p=; empty: revoked
  bool allows_sha1 = true, allows_sha256 = true;  // h=
  bool testing = false;                           // t=y
  bool strict_identity = false;                   // t=s
  // g= of RFC 4871 (dropped by RFC 6376): a pattern for the local part of i=, checked in
  // legacy mode only.
  std::optional<std::string> granularity;
};

// dkim-quoted-printable (RFC 6376 2.11), as in i=.
std::string DecodeQuotedPrintable(std::string_view s);

absl::StatusOr<KeyRecord> ParseKeyRecord(std::string_view txt);

// The field's text with the value of its b= tag removed, as it is hashed (RFC 6376 3.7).
std::string WithoutSignatureValue(std::string_view field);

}  // namespace repd::dkim
