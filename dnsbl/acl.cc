#include "dnsbl/acl.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace repd::dnsbl {

namespace {

bool PrefixMatches(const reputation::IpAddress& a, const reputation::IpAddress& b, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a.bytes[i] & mask) != (b.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Acl> Acl::Parse(const std::vector<std::string>& entries, std::string_view key) {
  Acl acl;
  for (const std::string& text : entries) {
    auto bad = [&] {
      return absl::InvalidArgumentError(absl::StrCat("config key '", AsAbsl(key), "': '", text,
                                                     "' is not an address or ADDR/BITS"));
    };
    const size_t slash = text.find('/');
    auto ip = reputation::IpAddress::Parse(std::string_view(text).substr(0, slash));
    if (!ip) return bad();
    int bits = ip->v4 ? 32 : 128;
    if (slash != std::string::npos &&
        (!absl::SimpleAtoi(AsAbsl(std::string_view(text).substr(slash + 1)), &bits) || bits < 0 ||
         bits > (ip->v4 ? 32 : 128))) {
      return bad();
    }
    acl.entries_.push_back({*ip, bits});
  }
  return acl;
}

bool Acl::Allows(const reputation::IpAddress& ip) const {
  for (const Entry& e : entries_) {
    if (e.network.v4 == ip.v4 && PrefixMatches(e.network, ip, e.bits)) return true;
  }
  return false;
}

}  // namespace repd::dnsbl
