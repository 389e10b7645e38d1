// keys.h -- how subjects and overrides are named in the store.
#pragma once

#include <string>
#include <string_view>

#include "reputation/subject.h"

namespace repd::reputation {

inline std::string IpKey(const IpAddress& ip) { return "ip:" + ip.ToString(); }
inline std::string DomainKey(std::string_view domain) { return "dom:" + std::string(domain); }
inline std::string OverrideKey(bool is_domain, std::string_view subject) {
  return (is_domain ? "dom:" : "ip:") + std::string(subject);
}

}  // namespace repd::reputation
