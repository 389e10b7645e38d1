// dns_file_server -- serves rbldnsd data files through the real DnsServer on one thread:
// the benchmark (scripts/bench_dns_compare.sh) and the Postfix check use it, so that they
// measure DnsServer alone, with the same data files as rbldnsd.
//
// usage: dns_file_server LISTEN SECONDS FILE.rbl...   (prints RSS and load time to stderr)
#include <malloc.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>

#include "dnsbl/dns_server.h"
#include "dnsbl/zone_files.h"

namespace {

long RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace repd;
  if (argc < 4) {
    std::cerr << "usage: dns_file_server LISTEN SECONDS FILE.rbl...\n";
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  reputation::ListingIndex index;
  {
    std::vector<reputation::ListingChange> all;
    for (int i = 3; i < argc; ++i) {
      std::ifstream in(argv[i]);
      dnsbl::ImportWarnings warnings;
      auto entries = dnsbl::ParseRbldnsd(in, {.source = argv[i]}, &warnings);
      if (!entries.ok() || !in.eof()) {
        std::cerr << argv[i] << ": cannot read\n";
        return 1;
      }
      for (const auto& w : warnings) std::cerr << w << "\n";
      for (const auto& o : *entries) {
        reputation::ListingChange c;
        c.is_domain = o.is_domain;
        if (o.is_domain) {
          c.domain = o.subject;
        } else {
          auto ip = reputation::IpAddress::Parse(o.subject);
          if (!ip) continue;  // prefixes: not in this benchmark's data
          c.ip = *ip;
        }
        reputation::Listing l;
        l.categories = 1u << o.category;
        l.txt = reputation::InternTxt(o.txt);
        c.after = l;
        all.push_back(std::move(c));
      }
    }
    index.Reset(std::move(all), 0);
  }
  malloc_trim(0);  // the parse buffers are gone; measure what serving holds
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "loaded " << index.Current()->Size() << " entries in " << load_s
            << " s, rss_kb=" << RssKb() << "\n";

  boost::asio::io_context io(1);
  dnsbl::DnsOptions options;
  options.listen = {argv[1]};
  options.udp_sockets = 1;
  auto server = dnsbl::DnsServer::Create(io, options, index);
  if (!server.ok()) {
    std::cerr << server.status().message() << "\n";
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  boost::asio::steady_timer limit(io, std::chrono::seconds(std::stoi(argv[2])));
  limit.async_wait([&](auto) { io.stop(); });
  io.run();
  std::cerr << "rss_kb=" << RssKb() << "\n";
  return 0;
}
