// crypto.h -- the public-key operations of DKIM through OpenSSL EVP: RSA PKCS#1 v1.5 with
// SHA-256 / SHA-1, and Ed25519 over the SHA-256 of the signed data (RFC 8463).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dkim/signature.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace repd::dkim {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const;
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// From a key record's p=: SubjectPublicKeyInfo or PKCS#1 RSAPublicKey DER, or 32 raw bytes
// for Ed25519.
absl::StatusOr<Pkey> PublicKeyFromRecord(const KeyRecord& record);
int KeyBits(const Pkey& key);

bool VerifySignature(Algorithm algorithm, const Pkey& key, std::string_view data,
                     std::string_view signature);
absl::StatusOr<std::string> Sign(Algorithm algorithm, const Pkey& key, std::string_view data);

// A private key from PEM text (PKCS#8 or traditional).
absl::StatusOr<Pkey> PrivateKeyFromPem(std::string_view pem);
// A new key: RSA of `bits`, or Ed25519. Returns the PEM private key and the p= value.
absl::StatusOr<std::pair<std::string, std::string>> GenerateKey(Algorithm algorithm, int bits);

}  // namespace repd::dkim
