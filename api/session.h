// session.h -- (api-private) one HTTP/1.1 connection, plain or TLS: keep-alive, pipelining,
// timeouts, per-route body limits, and the streamed body of POST /v1/verify.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "api/server_core.h"

namespace repd::api {

// The socket must have been accepted on its own strand (the session's executor).
void StartPlainSession(std::shared_ptr<ServerCore> core, boost::asio::ip::tcp::socket socket);
void StartTlsSession(std::shared_ptr<ServerCore> core, boost::asio::ip::tcp::socket socket,
                     boost::asio::ssl::context& tls);

}  // namespace repd::api
