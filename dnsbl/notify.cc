#include "dnsbl/notify.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <random>

#include "dnsbl/answer.h"
#include "dnsbl/tsig.h"

namespace repd::dnsbl {

namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

constexpr auto kCoalesce = std::chrono::seconds(1);
constexpr auto kRetryAfter = std::chrono::seconds(2);
constexpr int kAttempts = 5;

asio::awaitable<void> NotifyOne(udp::endpoint target, std::string message, uint16_t id,
                                metrics::Counter* sent) {
  auto executor = co_await asio::this_coro::executor;
  udp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(target.protocol(), ec);
  if (ec) co_return;
  uint8_t reply[512];
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    socket.send_to(asio::buffer(message), target, 0, ec);
    sent->Add();
    asio::steady_timer timer(executor, kRetryAfter);
    udp::endpoint from;
    auto result = co_await (
        socket.async_receive_from(asio::buffer(reply), from, asio::as_tuple(asio::use_awaitable)) ||
        timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 0) {
      auto [rec, n] = std::get<0>(result);
      // Any answer with our id ends the retries (RFC 1996 4.7); errors too: the secondary
      // heard us.
      if (!rec && n >= kHeaderSize && Get16(reply) == id && (reply[2] & 0x80)) co_return;
    }
  }
}

}  // namespace

std::string BuildNotify(const Zone& zone, const DnsOptions& o, uint16_t id, uint32_t serial) {
  uint8_t buf[1024];
  Writer w(buf, sizeof buf);
  w.U16(id);
  w.U16(static_cast<uint16_t>(kOpNotify << 11) | kFlagAA);
  w.U16(1);
  w.U16(1);
  w.U16(0);
  w.U16(0);
  w.Bytes(zone.wire.data(), zone.wire.size());
  w.U16(kTypeSOA);
  w.U16(kClassIN);
  // The SOA in the answer section is a hint of the new serial (RFC 1996 3.7).
  WriteSoaRecord(w, zone, o, kHeaderSize, o.soa_ttl, serial);
  return std::string(reinterpret_cast<char*>(buf), w.size());
}

Notifier::Notifier(asio::io_context& io, ServerContext& context, std::vector<udp::endpoint> targets)
    : io_(io), context_(context), targets_(std::move(targets)) {}

void Notifier::Schedule() {
  if (targets_.empty() || stopped_ || pending_.exchange(true)) return;
  auto timer = std::make_shared<asio::steady_timer>(io_, kCoalesce);
  timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code& ec) {
    self->pending_ = false;
    if (!ec && !self->stopped_) self->SendRound();
  });
}

void Notifier::Stop() { stopped_ = true; }

void Notifier::SendRound() {
  static thread_local std::mt19937 rng(std::random_device{}());
  const uint32_t serial = context_.index.Current()->Serial();
  for (const Zone& zone : context_.zones.zones()) {
    for (const udp::endpoint& target : targets_) {
      const auto id = static_cast<uint16_t>(rng());
      std::string message = BuildNotify(zone, context_.zones.options(), id, serial);
      // With a key configured, secondaries are told to accept NOTIFY signed with it.
      if (context_.tsig) {
        TsigKey::Exchange exchange;
        if (!context_.tsig->Sign(&message, &exchange).ok()) continue;
      }
      asio::co_spawn(io_, NotifyOne(target, std::move(message), id, context_.metrics.notifies),
                     asio::detached);
    }
  }
}

}  // namespace repd::dnsbl
