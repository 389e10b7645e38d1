#include "dnsbl/dns_server.h"

#include <boost/asio/io_context.hpp>
#include <thread>

#include "dnsbl/endpoint.h"
#include "dnsbl/notify.h"
#include "dnsbl/server_context.h"
#include "dnsbl/tcp.h"
#include "dnsbl/tsig.h"
#include "dnsbl/udp.h"
#include "dnsbl/xfr.h"
#include "spdlog/spdlog.h"

namespace repd::dnsbl {

namespace {

namespace asio = boost::asio;

class DnsServerImpl final : public DnsServer {
 public:
  explicit DnsServerImpl(std::unique_ptr<ServerContext> context) : context_(std::move(context)) {}
  ~DnsServerImpl() override { Stop(); }

  absl::Status Listen(asio::io_context& io, const std::string& text) {
    auto parsed = ParseHostPort(text, "server.dns_listen");
    if (!parsed.ok()) return parsed.status();
    auto [address, port] = *parsed;
    // TCP first and without SO_REUSEPORT, so that a port held by another process is an
    // error here rather than a silently shared UDP port.
    auto tcp = TcpListener::Bind(io, {address, port}, *context_);
    if (!tcp.ok()) return tcp.status();
    port = (*tcp)->local_endpoint().port();
    const int configured = context_->zones.options().udp_sockets;
    const int sockets = configured > 0
                            ? configured
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < sockets; ++i) {
      auto udp = UdpListener::Bind(io, {address, port}, sockets > 1, *context_);
      if (!udp.ok()) return udp.status();
      udp_.push_back(*udp);
    }
    tcp_.push_back(*tcp);
    return absl::OkStatus();
  }

  void Start() {
    for (auto& u : udp_) u->Start();
    for (auto& t : tcp_) t->Start();
  }

  void SetNotifier(std::shared_ptr<Notifier> notifier) { notifier_ = std::move(notifier); }

  void Stop() override {
    if (notifier_) notifier_->Stop();
    for (auto& u : udp_) u->Stop();
    for (auto& t : tcp_) t->Stop();
  }

 private:
  std::unique_ptr<ServerContext> context_;
  std::vector<std::shared_ptr<UdpListener>> udp_;
  std::vector<std::shared_ptr<TcpListener>> tcp_;
  std::shared_ptr<Notifier> notifier_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DnsServer>> DnsServer::Create(
    asio::io_context& io, const DnsOptions& options, const reputation::ListingIndex& index) {
  auto zones = ZoneSet::Create(options);
  if (!zones.ok()) return zones.status();
  auto acl = Acl::Parse(options.transfer_allow, "dns.transfer_allow");
  if (!acl.ok()) return acl.status();
  std::vector<asio::ip::udp::endpoint> notify_targets;
  for (const std::string& text : options.notify) {
    auto parsed = ParseHostPort(text, "dns.notify");
    if (!parsed.ok()) return parsed.status();
    notify_targets.emplace_back(parsed->first, parsed->second);
  }
  auto tsig = TsigKey::FromOptions(options);
  if (!tsig.ok()) return tsig.status();
  auto metrics = ServerMetrics::Register(*zones);
  auto context = std::unique_ptr<ServerContext>(
      new ServerContext{std::move(*zones), index, std::move(metrics), std::move(*acl), nullptr,
                        std::make_shared<Journal>(options.ixfr_journal), *tsig});
  if (options.rrl_rate > 0) {
    context->rrl = std::make_unique<RateLimiter>(options.rrl_rate, options.rrl_slip,
                                                 options.rrl_ipv4_prefix, options.rrl_ipv6_prefix);
  }
  ServerContext& ctx = *context;
  auto server = std::make_unique<DnsServerImpl>(std::move(context));
  for (const std::string& listen : options.listen) {
    if (auto s = server->Listen(io, listen); !s.ok()) return s;
  }
  auto notifier = std::make_shared<Notifier>(io, ctx, std::move(notify_targets));
  server->SetNotifier(notifier);
  // Listeners cannot be removed and the index may outlive the server, so the listener holds
  // only weak references. The contract hands us a const index; subscribing is the one
  // non-const use (the lead is asked to make AddChangeListener const).
  std::weak_ptr<Journal> journal = ctx.journal;
  std::weak_ptr<Notifier> weak_notifier = notifier;
  index.AddChangeListener(
      [journal, weak_notifier](uint32_t from, uint32_t to,
                               const std::vector<reputation::ListingChange>& changes) {
        if (auto j = journal.lock()) j->Record(from, to, changes);
        if (auto n = weak_notifier.lock()) n->Schedule();
      });
  server->Start();
  spdlog::info("dns: serving {}, {}, {}, {} on {} address(es)", options.zones.ip_block,
               options.zones.domain_block, options.zones.allow, options.zones.score,
               options.listen.size());
  return server;
}

}  // namespace repd::dnsbl
