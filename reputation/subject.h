// subject.h -- the things repd keeps reputation for: IP addresses, their prefixes, and domains.
//
// Every subject is normalised once at the boundary, so that the store, the index, DNS and HTTP
// all agree on one spelling: IPv4-mapped IPv6 becomes IPv4, domains become lower-case A-labels
// without a trailing dot.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace repd::reputation {

struct IpAddress {
  // Network byte order. An IPv4 address uses bytes[0..3] and leaves the rest zero.
  std::array<uint8_t, 16> bytes{};
  bool v4 = true;

  // Accepts dotted IPv4 and any RFC 4291 IPv6 text; ::ffff:a.b.c.d comes back as IPv4.
  static std::optional<IpAddress> Parse(std::string_view text);
  static IpAddress FromV4(uint32_t host_order);
  static IpAddress FromV6(const std::array<uint8_t, 16>& network_order);

  uint32_t V4HostOrder() const;
  std::string ToString() const;
  // The aggregate used as a weak prior: the /24 of an IPv4 address, the /64 of an IPv6 one.
  IpAddress Prefix() const { return Masked(PrefixLength()); }
  int PrefixLength() const { return v4 ? 24 : 64; }
  // The network of this address at `length` bits (0..32 or 0..128): the rest set to zero.
  IpAddress Masked(int length) const;
  int Bits() const { return v4 ? 32 : 128; }

  auto operator<=>(const IpAddress&) const = default;
};

// Lower-case A-label form without a trailing dot, or nullopt when `name` is not a valid host
// name (empty label, label over 63 octets, name over 253, characters IDNA rejects).
std::optional<std::string> NormalizeDomain(std::string_view name);

// The organisational domain of a normalised name, from the Public Suffix List (libpsl):
// "mail.example.co.uk" -> "example.co.uk". A public suffix itself maps to itself.
std::string OrganizationalDomain(std::string_view normalized);

// The first parent of `name`, nearest first ("a.b.example" -> "b.example", "example"), for
// which stop(parent) holds; nullopt when none does.
template <typename Stop>
std::optional<std::string_view> FindParentDomain(std::string_view name, Stop&& stop) {
  for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
    const std::string_view parent = name.substr(dot + 1);
    if (stop(parent)) return parent;
  }
  return std::nullopt;
}

}  // namespace repd::reputation
