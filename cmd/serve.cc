#include "cmd/serve.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/http_server.h"
#include "cmd/config.h"
#include "cmd/flags.h"
#include "cmd/logging.h"
#include "common/clock.h"
#include "dkim/dkim.h"
#include "dnsbl/dns_server.h"
#include "reputation/reputation.h"
#include "spdlog/spdlog.h"

namespace repd::cmd {

namespace {

constexpr const char* kUsage =
    "usage: repd serve [--config FILE] [--data-dir DIR] [--dns-listen ADDR:PORT]... "
    "[--http-listen ADDR:PORT]... [--threads N] [--log-level LEVEL]";

// Runs the periodic sweep on its own thread, so that a long sweep never delays a DNS answer.
class Sweeper {
 public:
  Sweeper(reputation::Reputation& rep, int interval_s)
      : thread_([this, &rep, interval_s] {
          std::unique_lock lock(mu_);
          while (!stop_) {
            if (cv_.wait_for(lock, std::chrono::seconds(interval_s), [this] { return stop_; })) {
              break;
            }
            lock.unlock();
            auto start = std::chrono::steady_clock::now();
            rep.Sweep(UnixNow());
            spdlog::debug("sweep took {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - start)
                                                  .count());
            lock.lock();
          }
        }) {}
  ~Sweeper() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int RunServe(int argc, char** argv) {
  Flags flags = ParseFlags(
      argc, argv, {"config", "data-dir", "dns-listen", "http-listen", "threads", "log-level"}, {});
  if (!flags.error.empty() || !flags.positional.empty()) {
    std::cerr << "repd serve: " << (flags.error.empty() ? "unexpected argument" : flags.error)
              << "\n"
              << kUsage << "\n";
    return 2;
  }
  auto config = LoadConfig(flags.Get("config").value_or(""));
  if (!config.ok()) {
    std::cerr << "repd: " << config.status().message() << "\n";
    return 1;
  }
  Config& c = *config;
  if (auto v = flags.Get("data-dir")) c.reputation.data_dir = *v;
  if (flags.values.contains("dns-listen")) c.dns_listen = flags.values["dns-listen"];
  if (flags.values.contains("http-listen")) c.http_listen = flags.values["http-listen"];
  if (auto v = flags.Get("log-level")) c.log_level = *v;
  if (auto v = flags.Get("threads")) {
    try {
      c.threads = std::stoi(*v);
    } catch (...) {
      std::cerr << "repd serve: --threads needs a number\n";
      return 2;
    }
  }
  c.dns.listen = c.dns_listen;
  c.http.listen = c.http_listen;
  if (auto s = SetUpLogging(c.log_level); !s.ok()) {
    std::cerr << "repd: " << s.message() << "\n";
    return 1;
  }
  const int threads = c.threads > 0 ? c.threads : std::max(1u, std::thread::hardware_concurrency());
  // One UDP socket per thread that serves them, so that `--threads 1` means one of each.
  if (c.dns.udp_sockets == 0) c.dns.udp_sockets = threads;

  auto rep = reputation::Reputation::Open(c.reputation);
  if (!rep.ok()) {
    spdlog::critical("{}", std::string(rep.status().message()));
    return 1;
  }
  boost::asio::io_context io(threads);
  std::atomic<bool> ready{false};
  auto resolver = dkim::MakeDnsKeyResolver(io, c.resolver);
  dkim::Verifier verifier(*resolver, c.verifier);
  auto dns = dnsbl::DnsServer::Create(io, c.dns, (*rep)->index());
  if (!dns.ok()) {
    spdlog::critical("{}", std::string(dns.status().message()));
    return 1;
  }
  auto http = api::HttpServer::Create(io, c.http, api::Services{rep->get(), &verifier, &ready});
  if (!http.ok()) {
    spdlog::critical("{}", std::string(http.status().message()));
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    ready = false;
    (*dns)->Stop();
    (*http)->Stop();
    // Answers in flight get a moment to finish; run() returns earlier when nothing is left.
    auto grace = std::make_shared<boost::asio::steady_timer>(io, std::chrono::seconds(2));
    grace->async_wait([&io, grace](const boost::system::error_code&) { io.stop(); });
  });
  std::signal(SIGPIPE, SIG_IGN);
  ready = true;
  spdlog::info("repd serving: data {} dns {} http {} threads {}", c.reputation.data_dir,
               fmt::join(c.dns_listen, ","), fmt::join(c.http_listen, ","), threads);
  {
    Sweeper sweeper(**rep, c.sweep_interval_s);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  }
  http->reset();
  dns->reset();
  rep->reset();  // closes RocksDB: the WAL is flushed and synced
  spdlog::info("repd stopped");
  return 0;
}

}  // namespace repd::cmd
