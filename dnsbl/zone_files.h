// zone_files.h -- zones to and from files: `repd export --format zone|rbldnsd` (a master file
// for any DNS server, rbldnsd datasets for rsync-style distribution) and `repd import
// --format rbldnsd|csv` (rbldnsd ip4set / ip4trie / dnset data and the neutral CSV of
// ../shared/bench/dnsbl/gen_data.py, as operator listings).
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dnsbl/dns_server.h"
#include "reputation/listing_index.h"
#include "reputation/reputation.h"

namespace repd::dnsbl {

struct ImportOptions {
  std::string source = "import";  // file name, for warnings and the override's reason
  int64_t now = 0;                // `created` of the overrides (unix seconds)
  int64_t expires = 0;            // 0: never
};

// Lines that were skipped, with their number and why ("ip4.rbl:12: not an address").
using ImportWarnings = std::vector<std::string>;

// An rbldnsd dataset: ip4set / ip4trie lines ("1.2.3.4", "10.0.0.0/8", "1.2.3", "1.2.3.4-9"
// and per-entry values " :127.0.0.C:text") or dnset lines ("example.com"), with ":A:TXT"
// default-value lines, '#' comments and '$' directives. The kind of each entry comes from
// its text (IP or domain), so one function reads every dataset type. A value 127.0.x.C
// becomes category C (10: policy, anything else: block). Entries rbldnsd can express but
// repd cannot (exclusions "!…", wildcard domains "*.x" / ".x") are skipped with a warning.
absl::StatusOr<std::vector<reputation::Override>> ParseRbldnsd(std::istream& in,
                                                               const ImportOptions& options,
                                                               ImportWarnings* warnings);

// The CSV of gen_data.py: a "kind,subject,code,category" header, then
// "ip|domain,SUBJECT,127.0.x.C,NAME" lines.
absl::StatusOr<std::vector<reputation::Override>> ParseListingsCsv(std::istream& in,
                                                                   const ImportOptions& options,
                                                                   ImportWarnings* warnings);

// Takes parsed listings a batch at a time; an error stops the parse and is returned by it.
using ListingSink = std::function<absl::Status(std::vector<reputation::Override>&& batch)>;

// The same parsers, handing listings to `sink` in batches of `batch` (the last one smaller)
// as they are read, so that a file of ten million entries is never held at once.
absl::Status ParseRbldnsd(std::istream& in, const ImportOptions& options, ImportWarnings* warnings,
                          size_t batch, const ListingSink& sink);
absl::Status ParseListingsCsv(std::istream& in, const ImportOptions& options,
                              ImportWarnings* warnings, size_t batch, const ListingSink& sink);

// Every served zone as RFC 1035 master files, one $ORIGIN block per zone (SOA, NS, test
// points, every record), exactly what AXFR would send.
void ExportZone(const reputation::ListingIndex::Snapshot& snapshot, const DnsOptions& options,
                std::ostream& out);

enum class RbldnsdDataset { kIp4set, kDnset };
// The IP blocklist as an ip4set, or the domain blocklist as a dnset, with the TXT templates
// ('$' kept: rbldnsd substitutes it the same way). A subject listed in several categories
// is written once per category.
void ExportRbldnsd(const reputation::ListingIndex::Snapshot& snapshot, const DnsOptions& options,
                   RbldnsdDataset dataset, std::ostream& out);

}  // namespace repd::dnsbl
