// notify.h -- NOTIFY (RFC 1996): tells configured secondaries that the zones have a new
// serial, coalescing bursts of index changes into one round per second, with retries.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <vector>

#include "dnsbl/server_context.h"

namespace repd::dnsbl {

class Notifier : public std::enable_shared_from_this<Notifier> {
 public:
  Notifier(boost::asio::io_context& io, ServerContext& context,
           std::vector<boost::asio::ip::udp::endpoint> targets);
  // Thread-safe: called from the index writer's thread.
  void Schedule();
  void Stop();

 private:
  void SendRound();

  boost::asio::io_context& io_;
  ServerContext& context_;
  std::vector<boost::asio::ip::udp::endpoint> targets_;
  std::atomic<bool> pending_{false};
  std::atomic<bool> stopped_{false};
};

// The NOTIFY request for `zone` at `serial` (exposed for tests).
std::string BuildNotify(const Zone& zone, const DnsOptions& options, uint16_t id, uint32_t serial);

}  // namespace repd::dnsbl
