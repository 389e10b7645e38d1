#include "dnsbl/endpoint.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace repd::dnsbl {

absl::StatusOr<std::pair<boost::asio::ip::address, uint16_t>> ParseHostPort(std::string_view text,
                                                                            std::string_view key) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", AsAbsl(key), "': '", AsAbsl(text), "' ", AsAbsl(why)));
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("needs ADDR:PORT ([v6]:PORT for IPv6)");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("needs brackets around an IPv6 address: [::1]:53");
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(AsAbsl(text.substr(colon + 1)), &port) || port > 65535) {
    return bad("has no valid port");
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return bad("has no valid IP address");
  return std::make_pair(address, static_cast<uint16_t>(port));
}

}  // namespace repd::dnsbl
