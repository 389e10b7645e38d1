// udp.h -- the UDP side: one non-blocking socket per thread (SO_REUSEPORT), drained with
// recvmmsg and answered with sendmmsg in batches, one index snapshot per batch.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>

#include "absl/status/statusor.h"
#include "dnsbl/server_context.h"

namespace repd::dnsbl {

class UdpListener {
 public:
  // Binds `endpoint` (reuse_port: share the port with sibling sockets of this process).
  static absl::StatusOr<std::shared_ptr<UdpListener>> Bind(
      boost::asio::io_context& io, const boost::asio::ip::udp::endpoint& endpoint, bool reuse_port,
      ServerContext& context);
  virtual ~UdpListener() = default;
  virtual void Start() = 0;
  virtual void Stop() = 0;
  virtual boost::asio::ip::udp::endpoint local_endpoint() const = 0;
};

}  // namespace repd::dnsbl
