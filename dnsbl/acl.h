// acl.h -- address access lists ("127.0.0.1/32", "::1/128", "10.0.0.0/8") for transfers.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reputation/subject.h"

namespace repd::dnsbl {

class Acl {
 public:
  // Errors name `key` and the bad entry.
  static absl::StatusOr<Acl> Parse(const std::vector<std::string>& entries, std::string_view key);
  bool Allows(const reputation::IpAddress& ip) const;

 private:
  struct Entry {
    reputation::IpAddress network;
    int bits = 0;
  };
  std::vector<Entry> entries_;
};

}  // namespace repd::dnsbl
