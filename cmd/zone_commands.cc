#include "cmd/zone_commands.h"

#include <chrono>
#include <fstream>
#include <iostream>

#include "cmd/config.h"
#include "common/clock.h"
#include "cmd/flags.h"
#include "cmd/logging.h"
#include "dnsbl/zone_files.h"
#include "reputation/reputation.h"

namespace repd::cmd {

namespace {

constexpr const char* kExportUsage =
    "usage: repd export [--config FILE] [--data-dir DIR] --format zone|rbldnsd "
    "[--dataset ip4set|dnset] [--output FILE]\n"
    "  zone:    every served zone as master files (SOA, NS, test points, listings)\n"
    "  rbldnsd: the IP blocklist as an ip4set (default) or the domain blocklist as a dnset";
constexpr const char* kImportUsage =
    "usage: repd import [--config FILE] [--data-dir DIR] --format rbldnsd|csv "
    "[--expires UNIXTIME] FILE...\n"
    "  Loads rbldnsd ip4set/ip4trie/dnset data or gen_data.py CSV as operator listings into\n"
    "  the data dir of a stopped repd (a running one holds the data dir: stop it first).";


// Shared by both commands: the config, with --data-dir applied.
std::optional<Config> LoadWithDataDir(const Flags& flags) {
  (void)SetUpLogging("warn");  // data on stdout, only problems on stderr
  auto config = LoadConfig(flags.Get("config").value_or(""));
  if (!config.ok()) {
    std::cerr << "repd: " << config.status().message() << "\n";
    return std::nullopt;
  }
  if (auto v = flags.Get("data-dir")) config->reputation.data_dir = *v;
  return *config;
}

}  // namespace

int RunExport(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv, {"config", "data-dir", "format", "dataset", "output"},
                           {"help"});
  auto format = flags.Get("format");
  if (flags.Has("help")) {
    std::cout << kExportUsage << "\n";
    return 0;
  }
  if (!flags.error.empty() || !flags.positional.empty() || !format ||
      (*format != "zone" && *format != "rbldnsd")) {
    std::cerr << "repd export: " << (flags.error.empty() ? "bad arguments" : flags.error) << "\n"
              << kExportUsage << "\n";
    return 2;
  }
  std::string dataset = flags.Get("dataset").value_or("ip4set");
  if (dataset != "ip4set" && dataset != "dnset") {
    std::cerr << "repd export: --dataset is ip4set or dnset\n";
    return 2;
  }
  auto config = LoadWithDataDir(flags);
  if (!config) return 1;
  config->reputation.read_only = true;
  auto rep = reputation::Reputation::Open(config->reputation);
  if (!rep.ok()) {
    std::cerr << "repd: " << rep.status().message() << "\n";
    return 1;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (auto path = flags.Get("output")) {
    file.open(*path, std::ios::trunc);
    if (!file) {
      std::cerr << "repd export: cannot write " << *path << "\n";
      return 1;
    }
    out = &file;
  }
  auto snapshot = (*rep)->index().Current();
  if (*format == "zone") {
    dnsbl::ExportZone(*snapshot, config->dns, *out);
  } else {
    dnsbl::ExportRbldnsd(*snapshot, config->dns,
                         dataset == "dnset" ? dnsbl::RbldnsdDataset::kDnset
                                            : dnsbl::RbldnsdDataset::kIp4set,
                         *out);
  }
  out->flush();
  if (!*out) {
    std::cerr << "repd export: write failed\n";
    return 1;
  }
  return 0;
}

int RunImport(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv, {"config", "data-dir", "format", "expires"}, {"help"});
  auto format = flags.Get("format");
  if (flags.Has("help")) {
    std::cout << kImportUsage << "\n";
    return 0;
  }
  if (!flags.error.empty() || flags.positional.empty() || !format ||
      (*format != "rbldnsd" && *format != "csv")) {
    std::cerr << "repd import: " << (flags.error.empty() ? "bad arguments" : flags.error) << "\n"
              << kImportUsage << "\n";
    return 2;
  }
  auto config = LoadWithDataDir(flags);
  if (!config) return 1;
  dnsbl::ImportOptions options;
  options.now = UnixNow();
  if (auto e = flags.Get("expires")) {
    try {
      options.expires = std::stoll(*e);
    } catch (...) {
      std::cerr << "repd import: --expires needs unix seconds\n";
      return 2;
    }
  }
  std::vector<reputation::Override> all;
  size_t warned = 0;
  for (const auto& path : flags.positional) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "repd import: cannot read " << path << "\n";
      return 1;
    }
    options.source = path;
    dnsbl::ImportWarnings warnings;
    auto parsed = *format == "csv" ? dnsbl::ParseListingsCsv(in, options, &warnings)
                                   : dnsbl::ParseRbldnsd(in, options, &warnings);
    if (!parsed.ok()) {
      std::cerr << "repd import: " << path << ": " << parsed.status().message() << "\n";
      return 1;
    }
    for (const auto& w : warnings) {
      if (++warned <= 20) std::cerr << "repd import: skipped " << w << "\n";
    }
    all.insert(all.end(), std::make_move_iterator(parsed->begin()),
               std::make_move_iterator(parsed->end()));
  }
  if (warned > 20) std::cerr << "repd import: ... " << warned - 20 << " more lines skipped\n";
  auto start = std::chrono::steady_clock::now();
  auto rep = reputation::Reputation::Open(config->reputation);
  if (!rep.ok()) {
    std::cerr << "repd: " << rep.status().message() << "\n";
    return 1;
  }
  if (auto s = (*rep)->PutOverrides(all); !s.ok()) {
    std::cerr << "repd import: " << s.message() << "\n";
    return 1;
  }
  (*rep)->WaitForIndex();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "repd import: " << all.size() << " listings from " << flags.positional.size()
            << " file(s) into " << config->reputation.data_dir << " in " << seconds << " s"
            << (warned ? ", " + std::to_string(warned) + " lines skipped" : "") << "\n";
  return 0;
}

}  // namespace repd::cmd
