#include "cmd/zone_commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "api/admin_client.h"
#include "cmd/config.h"
#include "cmd/flags.h"
#include "cmd/logging.h"
#include "common/clock.h"
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
    "       repd import --url http://HOST:PORT [--token TOKEN | --token-file FILE] "
    "--format rbldnsd|csv [--expires UNIXTIME] [--batch N] FILE...\n"
    "  Loads rbldnsd ip4set/ip4trie/dnset data or gen_data.py CSV as operator listings.\n"
    "  Without --url, into the data dir of a stopped repd (a running one holds it).\n"
    "  With --url, through the admin API of a running repd (POST /v1/overrides, N listings\n"
    "  per request, default 50000), served at once. The admin token comes from --token,\n"
    "  --token-file or $REPD_ADMIN_TOKEN (the config keeps only its SHA-256).";

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

// Where `repd import --url` sends, checked before any file is read: a million lines need not
// be parsed to learn that the token is missing.
struct ApiTarget {
  std::string url;
  std::string token;
  api::PostOverridesOptions options;
};

// The admin token: --token, else the first line of --token-file, else $REPD_ADMIN_TOKEN.
std::optional<std::string> AdminToken(const Flags& flags) {
  if (auto t = flags.Get("token")) return *t;
  if (auto path = flags.Get("token-file")) {
    std::ifstream in(*path);
    std::string line;
    if (!in || !std::getline(in, line)) {
      std::cerr << "repd import: cannot read the token file " << *path << "\n";
      return std::nullopt;
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  const char* env = std::getenv("REPD_ADMIN_TOKEN");
  return env ? env : "";
}

std::optional<ApiTarget> ReadApiTarget(const Flags& flags) {
  ApiTarget target;
  target.url = *flags.Get("url");
  if (auto s = api::CheckAdminUrl(target.url); !s.ok()) {
    std::cerr << "repd import: " << s.message() << "\n";
    return std::nullopt;
  }
  auto token = AdminToken(flags);
  if (!token) return std::nullopt;
  if (token->empty()) {
    std::cerr << "repd import: --url needs the admin token: --token, --token-file or "
                 "REPD_ADMIN_TOKEN\n";
    return std::nullopt;
  }
  target.token = std::move(*token);
  if (auto b = flags.Get("batch")) {
    target.options.batch = std::strtoul(b->c_str(), nullptr, 10);
    if (target.options.batch == 0) {
      std::cerr << "repd import: --batch needs a positive number\n";
      return std::nullopt;
    }
  }
  return target;
}

// Every listing of every file, in order, to `sink` in batches of `batch` as the files are
// read; skipped lines are reported on stderr. The error is the first of an unreadable file,
// a parse error or the sink's; batches already handed over stay with the sink.
absl::Status StreamListings(const std::vector<std::string>& paths, bool csv,
                            dnsbl::ImportOptions options, size_t batch,
                            const dnsbl::ListingSink& sink, size_t* skipped) {
  absl::Status status;
  for (const auto& path : paths) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError("cannot read " + path);
    options.source = path;
    dnsbl::ImportWarnings warnings;
    status = csv ? dnsbl::ParseListingsCsv(in, options, &warnings, batch, sink)
                 : dnsbl::ParseRbldnsd(in, options, &warnings, batch, sink);
    for (const auto& w : warnings) {
      if (++*skipped <= 20) std::cerr << "repd import: skipped " << w << "\n";
    }
    if (!status.ok()) break;
  }
  if (*skipped > 20) std::cerr << "repd import: ... " << *skipped - 20 << " more lines skipped\n";
  return status;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `repd import --url`: the listings go to a running repd, batch by batch as they are read.
int ImportThroughApi(ApiTarget target, const Flags& flags, bool csv,
                     const dnsbl::ImportOptions& import_options) {
  api::PostOverridesOptions& options = target.options;
  const bool tty = isatty(STDERR_FILENO);
  if (tty) {
    options.progress = [](size_t sent) {
      std::cerr << "\rrepd import: " << sent << " sent" << std::flush;
    };
  }
  auto start = std::chrono::steady_clock::now();
  const size_t batch = options.batch;
  auto poster = api::OverridesPoster::Create(target.url, target.token, std::move(options));
  if (!poster.ok()) {
    std::cerr << "repd import: " << poster.status().message() << "\n";
    return 1;
  }
  size_t skipped = 0;
  const absl::Status status = StreamListings(
      flags.positional, csv, import_options, batch,
      [&](std::vector<reputation::Override>&& listings) { return (*poster)->Send(listings); },
      &skipped);
  if (tty) std::cerr << "\n";
  if (!status.ok()) {
    std::cerr << "repd import: " << status.message() << "\n";
    return 1;
  }
  const api::PostOverridesResult& result = (*poster)->result();
  for (size_t i = 0; i < result.rejected.size() && i < 20; ++i) {
    std::cerr << "repd import: refused " << result.rejected[i] << "\n";
  }
  if (result.rejected.size() > 20) {
    std::cerr << "repd import: ... " << result.rejected.size() - 20 << " more refused\n";
  }
  std::cerr << "repd import: " << result.accepted << " listings from " << flags.positional.size()
            << " file(s) sent to " << target.url << " in " << SecondsSince(start) << " s ("
            << result.requests << " requests of up to " << result.batch << ")"
            << (skipped ? ", " + std::to_string(skipped) + " lines skipped" : "")
            << (result.rejected.empty()
                    ? ""
                    : ", " + std::to_string(result.rejected.size()) + " refused")
            << "\n";
  return result.rejected.empty() ? 0 : 1;
}

}  // namespace

int RunExport(int argc, char** argv) {
  Flags flags =
      ParseFlags(argc, argv, {"config", "data-dir", "format", "dataset", "output"}, {"help"});
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
    dnsbl::ExportRbldnsd(
        *snapshot, config->dns,
        dataset == "dnset" ? dnsbl::RbldnsdDataset::kDnset : dnsbl::RbldnsdDataset::kIp4set, *out);
  }
  out->flush();
  if (!*out) {
    std::cerr << "repd export: write failed\n";
    return 1;
  }
  return 0;
}

int RunImport(int argc, char** argv) {
  Flags flags = ParseFlags(
      argc, argv,
      {"config", "data-dir", "format", "expires", "url", "token", "token-file", "batch"}, {"help"});
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
  const bool api = flags.Get("url").has_value();
  if (api && (flags.Get("config") || flags.Get("data-dir"))) {
    std::cerr << "repd import: --url sends to a running repd; --config and --data-dir are for "
                 "the data dir of a stopped one\n";
    return 2;
  }
  if (!api && (flags.Get("token") || flags.Get("token-file") || flags.Get("batch"))) {
    std::cerr << "repd import: --token, --token-file and --batch go with --url\n";
    return 2;
  }
  std::optional<Config> config;
  std::optional<ApiTarget> target;
  if (api) {
    target = ReadApiTarget(flags);
    if (!target) return 2;
  } else {
    config = LoadWithDataDir(flags);
    if (!config) return 1;
  }
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
  // Every file is opened before anything is sent or stored: a typo in the last name must
  // not leave half an import behind.
  for (const auto& path : flags.positional) {
    if (!std::ifstream(path)) {
      std::cerr << "repd import: cannot read " << path << "\n";
      return 1;
    }
  }
  const bool csv = *format == "csv";
  if (api) return ImportThroughApi(std::move(*target), flags, csv, options);
  auto start = std::chrono::steady_clock::now();
  auto rep = reputation::Reputation::Open(config->reputation);
  if (!rep.ok()) {
    std::cerr << "repd: " << rep.status().message() << "\n";
    return 1;
  }
  // Stored as read, in durable batches: neither the files nor the engine's copies of a batch
  // (write batch, index changes) are ever held whole. A failure part way leaves earlier
  // batches stored, and importing again is harmless (an override is keyed by its subject).
  constexpr size_t kBatch = 100000;
  size_t total = 0, skipped = 0;
  const absl::Status status = StreamListings(
      flags.positional, csv, options, kBatch,
      [&](std::vector<reputation::Override>&& listings) {
        absl::Status stored = (*rep)->PutOverrides(listings);
        if (stored.ok()) total += listings.size();
        return stored;
      },
      &skipped);
  if (!status.ok()) {
    std::cerr << "repd import: " << status.message() << " (" << total
              << " listings stored before)\n";
    return 1;
  }
  (*rep)->WaitForIndex();
  std::cerr << "repd import: " << total << " listings from " << flags.positional.size()
            << " file(s) into " << config->reputation.data_dir << " in " << SecondsSince(start)
            << " s" << (skipped ? ", " + std::to_string(skipped) + " lines skipped" : "") << "\n";
  return 0;
}

}  // namespace repd::cmd
