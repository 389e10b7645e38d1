#include "dnsbl/tcp.h"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dnsbl/tsig.h"
#include "dnsbl/xfr.h"

namespace repd::dnsbl {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

reputation::IpAddress ToIp(const asio::ip::address& a) {
  if (a.is_v4()) return reputation::IpAddress::FromV4(a.to_v4().to_uint());
  return reputation::IpAddress::FromV6(a.to_v6().to_bytes());
}

class TcpListenerImpl final : public TcpListener,
                              public std::enable_shared_from_this<TcpListenerImpl> {
 public:
  TcpListenerImpl(tcp::acceptor acceptor, ServerContext& context)
      : acceptor_(std::move(acceptor)), context_(context) {}

  void Start() override {
    asio::co_spawn(acceptor_.get_executor(), Accept(shared_from_this()), asio::detached);
  }
  void Stop() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  tcp::endpoint local_endpoint() const override { return acceptor_.local_endpoint(); }

 private:
  static awaitable<void> Accept(std::shared_ptr<TcpListenerImpl> self) {
    while (self->acceptor_.is_open()) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(asio::as_tuple(use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      const auto& o = self->context_.zones.options();
      if (self->connections_.load() >= o.tcp_max_connections) {
        self->context_.metrics.dropped->Add();
        continue;  // closed by leaving scope
      }
      asio::co_spawn(socket.get_executor(), Session(self, std::move(socket)), asio::detached);
    }
  }

  // Completes a whole read or write, or gives up at the deadline (a stalled peer must not
  // hold a connection slot for ever).
  static awaitable<bool> Within(awaitable<std::tuple<boost::system::error_code, size_t>> io,
                                tcp::socket& s, std::chrono::milliseconds timeout) {
    asio::steady_timer timer(s.get_executor(), timeout);
    auto result = co_await (std::move(io) || timer.async_wait(asio::as_tuple(use_awaitable)));
    if (result.index() != 0) co_return false;
    co_return !std::get<0>(std::get<0>(result));
  }

  static awaitable<bool> ReadFor(tcp::socket& s, asio::mutable_buffer buf,
                                 std::chrono::milliseconds timeout) {
    co_return co_await Within(asio::async_read(s, buf, asio::as_tuple(use_awaitable)), s, timeout);
  }

  static awaitable<bool> SendMessage(tcp::socket& s, const uint8_t* data, size_t size,
                                     std::chrono::milliseconds timeout) {
    std::array<uint8_t, 2> len;
    Put16(len.data(), static_cast<uint16_t>(size));
    std::vector<asio::const_buffer> bufs{asio::buffer(len), asio::buffer(data, size)};
    co_return co_await Within(asio::async_write(s, bufs, asio::as_tuple(use_awaitable)), s,
                              timeout);
  }

  static awaitable<void> Session(std::shared_ptr<TcpListenerImpl> self, tcp::socket socket) {
    ++self->connections_;
    ServerContext& ctx = self->context_;
    const auto timeout = std::chrono::milliseconds(ctx.zones.options().tcp_idle_timeout_ms);
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    std::vector<uint8_t> in(65535);
    std::vector<uint8_t> out(65535);
    auto query = std::make_unique<Query>();
    while (!ec) {
      std::array<uint8_t, 2> len_bytes;
      if (!co_await ReadFor(socket, asio::buffer(len_bytes), timeout)) break;
      const size_t len = Get16(len_bytes.data());
      if (len == 0 || !co_await ReadFor(socket, asio::buffer(in.data(), len), timeout)) break;
      const auto start = std::chrono::steady_clock::now();
      const ParseStatus status = ParseQuery(in.data(), len, query.get());
      const auto snapshot = ctx.index.Current();
      if (status == ParseStatus::kOk && IsTransfer(*query)) {
        auto stream =
            TransferStream::Create(*query, in.data(), len, ToIp(peer.address()), ctx, snapshot);
        bool ok = true;
        std::string message;
        while (ok && stream->Next(&message)) {
          ok = co_await SendMessage(socket, reinterpret_cast<const uint8_t*>(message.data()),
                                    message.size(), timeout);
        }
        if (!ok || stream->close_after()) break;
        continue;
      }
      AnswerInfo info;
      size_t size = BuildAnswer(*query, status, ctx.zones, *snapshot, Transport::kTcp, out.size(),
                                out.data(), out.size(), &info);
      if (size != 0 && query->has_tsig) {
        size = AnswerSigned(ctx.tsig.get(), *query, ctx.zones.options(), in.data(), len, out.size(),
                            out.data(), size, out.size(), std::time(nullptr));
      }
      if (size == 0) {
        ctx.metrics.dropped->Add();
        break;  // garbage: the stream cannot be trusted any more
      }
      const ZoneMetrics& m = ctx.metrics.Count(ctx.zones, info);
      if (!co_await SendMessage(socket, out.data(), size, timeout)) break;
      m.latency->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    socket.close(ec);
    --self->connections_;
  }

  tcp::acceptor acceptor_;
  ServerContext& context_;
  std::atomic<int> connections_{0};
};

}  // namespace

absl::StatusOr<std::shared_ptr<TcpListener>> TcpListener::Bind(asio::io_context& io,
                                                               const tcp::endpoint& endpoint,
                                                               ServerContext& context) {
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("dns listen tcp ", endpoint.address().to_string(),
                                               ":", endpoint.port(), ": ", ec.message()));
  }
  return std::make_shared<TcpListenerImpl>(std::move(acceptor), context);
}

}  // namespace repd::dnsbl
