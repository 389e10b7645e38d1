#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include "absl/strings/str_cat.h"

namespace repd::api {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Role ParseRole(std::string_view name) {
  if (name == "feedback") return Role::kFeedback;
  if (name == "admin") return Role::kAdmin;
  return Role::kNone;
}

absl::StatusOr<TokenStore> TokenStore::Create(const std::vector<TokenConfig>& tokens) {
  TokenStore store;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const TokenConfig& t = tokens[i];
    std::string which =
        t.name.empty() ? absl::StrCat("tokens[", i, "]") : absl::StrCat("token '", t.name, "'");
    Entry entry{};
    entry.role = ParseRole(t.role);
    entry.name = t.name;
    if (entry.role == Role::kNone) {
      return absl::InvalidArgumentError(
          absl::StrCat(which, ": role must be \"feedback\" or \"admin\", not \"", t.role, "\""));
    }
    if (t.sha256.size() != 64) {
      return absl::InvalidArgumentError(
          absl::StrCat(which, ": sha256 must be 64 hex digits (printf %s TOKEN | sha256sum)"));
    }
    for (size_t b = 0; b < 32; ++b) {
      int hi = HexDigit(t.sha256[2 * b]), lo = HexDigit(t.sha256[2 * b + 1]);
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(absl::StrCat(which, ": sha256 is not hex"));
      }
      entry.digest[b] = static_cast<uint8_t>(hi * 16 + lo);
    }
    store.entries_.push_back(std::move(entry));
  }
  return store;
}

TokenStore::Identity TokenStore::Authenticate(std::string_view authorization) const {
  Identity id;
  if (authorization.empty()) return id;
  id.outcome = Outcome::kInvalid;
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return id;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return id;
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    return id;
  }
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    // No early exit: every digest is compared whatever matched before.
    bool equal = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
    if (equal && match == nullptr) match = &e;
  }
  if (match != nullptr) {
    id.outcome = Outcome::kOk;
    id.role = match->role;
    id.name = match->name;
  }
  return id;
}

}  // namespace repd::api
