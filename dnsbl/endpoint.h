// endpoint.h -- "ADDR:PORT" / "[v6]:PORT" text as used by listen and notify keys.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace repd::dnsbl {

// Errors name `key` and the bad text.
absl::StatusOr<std::pair<boost::asio::ip::address, uint16_t>> ParseHostPort(std::string_view text,
                                                                            std::string_view key);

}  // namespace repd::dnsbl
