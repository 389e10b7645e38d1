// auth.h -- bearer tokens: each configured token has a role; only SHA-256 digests are kept.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/http_server.h"

namespace repd::api {

enum class Role { kNone, kFeedback, kAdmin };

// The role named in the config ("feedback" | "admin"), or kNone.
Role ParseRole(std::string_view name);

class TokenStore {
 public:
  // Fails when a digest is not 64 hex digits or a role is unknown, naming the token.
  static absl::StatusOr<TokenStore> Create(const std::vector<TokenConfig>& tokens);

  enum class Outcome {
    kMissing,  // no Authorization header: 401
    kInvalid,  // not "Bearer <token>", or no configured token matches: 401
    kOk,
  };
  struct Identity {
    Outcome outcome = Outcome::kMissing;
    Role role = Role::kNone;
    std::string_view name;  // the token's configured name, for logs and audit
  };

  // `authorization` is the header's value. Every configured digest is compared, each in
  // constant time, so the answer's timing says nothing about the tokens.
  Identity Authenticate(std::string_view authorization) const;

  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::array<uint8_t, 32> digest;
    Role role;
    std::string name;
  };
  std::vector<Entry> entries_;
};

}  // namespace repd::api
