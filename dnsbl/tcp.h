// tcp.h -- the TCP side: length-prefixed messages, several per connection, idle timeout,
// a connection limit, and zone transfers (AXFR/IXFR) streamed from xfr.h.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "absl/status/statusor.h"
#include "dnsbl/server_context.h"

namespace repd::dnsbl {

class TcpListener {
 public:
  static absl::StatusOr<std::shared_ptr<TcpListener>> Bind(
      boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
      ServerContext& context);
  virtual ~TcpListener() = default;
  virtual void Start() = 0;
  virtual void Stop() = 0;
  virtual boost::asio::ip::tcp::endpoint local_endpoint() const = 0;
};

}  // namespace repd::dnsbl
