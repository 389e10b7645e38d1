// http_server.cc -- the listeners: bind, accept onto a strand per connection, enforce the
// connection cap, and stop.
#include "api/http_server.h"

#include <sys/socket.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

#include "absl/strings/str_cat.h"
#include "api/session.h"
#include "spdlog/spdlog.h"

namespace repd::api {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("http: bad listen address '", text, "' (want ADDR:PORT or [V6]:PORT)"));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("http: bad listen address '", text, "' (want ADDR:PORT)"));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("http: bad listen address '", text, "'"));
  }
  return tcp::endpoint(address, static_cast<uint16_t>(std::stoi(port)));
}

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, std::shared_ptr<ServerCore> core, net::ssl::context* tls)
      : io_(io), core_(std::move(core)), tls_(tls), acceptor_(net::make_strand(io)) {}

  absl::Status Bind(const std::string& text) {
    auto endpoint = ParseEndpoint(text);
    if (!endpoint.ok()) return endpoint.status();
    boost::system::error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(*endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("http: cannot listen on ", text, ": ", ec.message()));
    }
    name_ = text;
    return absl::OkStatus();
  }

  void Start() { Accept(); }

  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void Accept() {
    acceptor_.async_accept(
        net::make_strand(io_),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->OnAccept(ec, std::move(socket));
        });
  }

  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (core_->connections.load(std::memory_order_relaxed) >=
          core_->api->options().max_connections) {
        Refuse(std::move(socket));
      } else if (tls_ != nullptr) {
        StartTlsSession(core_, std::move(socket), *tls_);
      } else {
        StartPlainSession(core_, std::move(socket));
      }
    } else {
      // Out of descriptors and the like: keep accepting, the condition may pass.
      spdlog::warn("http {}: accept: {}", name_, ec.message());
    }
    Accept();
  }

  // Over the cap: a short 503 on plain listeners (TLS gets a plain close), without a session.
  void Refuse(tcp::socket socket) {
    core_->api->metrics().refused_connections.Add();
    if (tls_ == nullptr) {
      static const std::string kAnswer = [] {
        std::string body =
            "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"connection limit "
            "reached\"}}\n";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
               "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
      }();
      // A fresh socket's send buffer takes this at once; a non-blocking send never waits.
      ::send(socket.native_handle(), kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  net::io_context& io_;
  std::shared_ptr<ServerCore> core_;
  net::ssl::context* tls_;
  tcp::acceptor acceptor_;
  std::string name_;
};

class HttpServerImpl : public HttpServer {
 public:
  explicit HttpServerImpl(std::shared_ptr<ServerCore> core) : core_(std::move(core)) {}
  ~HttpServerImpl() override { Stop(); }

  void Stop() override {
    if (core_->stopping.exchange(true)) return;
    for (auto& l : listeners_) l->Stop();
    core_->ShutdownAll();
  }

  std::shared_ptr<ServerCore> core_;
  std::vector<std::shared_ptr<Listener>> listeners_;
};

absl::StatusOr<std::unique_ptr<net::ssl::context>> MakeTlsContext(const HttpOptions& options) {
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    return absl::InvalidArgumentError("http.tls_listen needs http.tls_cert and http.tls_key");
  }
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(options.tls_cert, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.tls_cert '", options.tls_cert, "': ", ec.message()));
  }
  ctx->use_private_key_file(options.tls_key, net::ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.tls_key '", options.tls_key, "': ", ec.message()));
  }
  return ctx;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(net::io_context& io,
                                                               const HttpOptions& options,
                                                               Services services) {
  auto api = Api::Create(options, services);
  if (!api.ok()) return api.status();
  auto core = std::make_shared<ServerCore>(std::move(*api));
  if (!options.tls_listen.empty()) {
    auto ctx = MakeTlsContext(options);
    if (!ctx.ok()) return ctx.status();
    core->tls = std::move(*ctx);
  }
  auto server = std::make_unique<HttpServerImpl>(core);
  for (const auto& address : options.listen) {
    auto l = std::make_shared<Listener>(io, core, nullptr);
    if (auto s = l->Bind(address); !s.ok()) return s;
    server->listeners_.push_back(std::move(l));
  }
  for (const auto& address : options.tls_listen) {
    auto l = std::make_shared<Listener>(io, core, core->tls.get());
    if (auto s = l->Bind(address); !s.ok()) return s;
    server->listeners_.push_back(std::move(l));
  }
  for (auto& l : server->listeners_) l->Start();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace repd::api
