#include "dnsbl/zone_files.h"

#include <limits>
#include <map>

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "dnsbl/zone.h"
#include "reputation/range_table.h"

namespace repd::dnsbl {

namespace {

using reputation::Override;

// Warnings beyond this many are counted, not listed: a broken file must not flood the log.
constexpr size_t kMaxWarnings = 100;

class Importer {
 public:
  Importer(const ImportOptions& options, ImportWarnings* warnings)
      : options_(options), warnings_(warnings) {}

  void Warn(size_t line, std::string_view what) {
    ++skipped_;
    if (warnings_ != nullptr && warnings_->size() < kMaxWarnings) {
      warnings_->push_back(absl::StrCat(options_.source, ":", line, ": ", AsAbsl(what)));
    }
  }

  void Finish() {
    if (warnings_ != nullptr && skipped_ > warnings_->size()) {
      warnings_->push_back(
          absl::StrCat(options_.source, ": ", skipped_ - warnings_->size(), " more lines skipped"));
    }
  }

  // Adds an entry for an IP, a CIDR prefix, a partial IPv4 ("1.2.3" = /24), a last-octet
  // range ("1.2.3.4-9") or a domain; with a leading '!', an exclusion of it from the
  // networks and wildcards listed around it. Returns false (after warning) when it is none.
  bool Add(size_t line, std::string_view subject, int category, std::string_view txt,
           std::vector<Override>* out) {
    const bool exclude = !subject.empty() && subject[0] == '!';
    if (exclude) subject.remove_prefix(1);
    if (subject.empty()) return Warn(line, "empty entry"), false;
    // dnset wildcards: "*.example.com" lists every name under example.com, ".example.com"
    // example.com itself as well.
    const bool apex_too = subject[0] == '.';
    const bool subdomains = apex_too || absl::StartsWith(AsAbsl(subject), "*.");
    if (subdomains) subject.remove_prefix(apex_too ? 1 : 2);
    if (subdomains && subject.find_first_not_of("0123456789.") == std::string_view::npos) {
      return Warn(line, absl::StrCat("not a domain: ", AsAbsl(subject))), false;
    }
    if (category < 1 || category > 31) {
      return Warn(line, "the A value must be 127.0.x.C with C from 1 to 31"), false;
    }
    Override o;
    o.action = exclude                                   ? Override::Action::kExclude
               : category == reputation::kCategoryPolicy ? Override::Action::kPolicy
                                                         : Override::Action::kBlock;
    o.category = exclude ? 0 : category;
    if (!exclude) o.txt = std::string(txt);
    o.reason = absl::StrCat(exclude ? "excluded by " : "imported from ", options_.source);
    o.created = options_.now;
    o.expires = options_.expires;
    // IPv6 has colons; IPv4 forms ("1.2.3", "1.2.3.4/24", "1.2.3.4-9") only digits, dots,
    // '/' and '-'. Anything else ("007spam.biz") is a domain.
    const bool looks_ip = subject.find(':') != std::string_view::npos ||
                          subject.find_first_not_of("0123456789./-") == std::string_view::npos;
    if (!looks_ip || subdomains) {
      auto domain = reputation::NormalizeDomain(subject);
      if (!domain) return Warn(line, absl::StrCat("not a domain: ", AsAbsl(subject))), false;
      o.is_domain = true;
      if (!subdomains || apex_too) {
        o.subject = *domain;
        out->push_back(o);
      }
      if (subdomains) {
        o.subject = "*." + *domain;
        out->push_back(std::move(o));
      }
      return true;
    }
    if (size_t dash = subject.find('-'); dash != std::string_view::npos) {
      auto first = reputation::IpAddress::Parse(subject.substr(0, dash));
      int last = 0;
      auto tail = subject.substr(dash + 1);
      if (!first || !first->v4 ||
          std::from_chars(tail.data(), tail.data() + tail.size(), last).ec != std::errc() ||
          last < first->bytes[3] || last > 255) {
        return Warn(line, absl::StrCat("not an address range: ", AsAbsl(subject))), false;
      }
      for (int b = first->bytes[3]; b <= last; ++b) {
        reputation::IpAddress ip = *first;
        ip.bytes[3] = static_cast<uint8_t>(b);
        o.subject = ip.ToString();
        out->push_back(o);
      }
      return true;
    }
    std::string_view addr = subject;
    int bits = -1;
    if (size_t slash = subject.find('/'); slash != std::string_view::npos) {
      addr = subject.substr(0, slash);
      auto b = subject.substr(slash + 1);
      if (std::from_chars(b.data(), b.data() + b.size(), bits).ec != std::errc()) bits = 999;
    }
    std::string full(addr);
    if (addr.find(':') == std::string_view::npos) {
      // rbldnsd's partial IPv4 notation: "1.2.3" is 1.2.3.0/24.
      int dots = static_cast<int>(std::count(addr.begin(), addr.end(), '.'));
      for (int i = dots; i < 3; ++i) full += ".0";
      if (bits < 0 && dots < 3) bits = 8 * (dots + 1);
    }
    auto ip = reputation::IpAddress::Parse(full);
    if (!ip || bits > (ip->v4 ? 32 : 128)) {
      return Warn(line, absl::StrCat("not an address or prefix: ", AsAbsl(subject))), false;
    }
    // The store holds IPv4 ranges from /8 and IPv6 prefixes from /16; a wider one (a typo or
    // a whole address family) is skipped with a warning rather than failing the whole file.
    if (bits >= 0 && bits < (ip->v4 ? 8 : 16)) {
      return Warn(line, absl::StrCat("ranges wider than an IPv4 /8 or an IPv6 /16 are not "
                                     "served: ",
                                     AsAbsl(subject))),
             false;
    }
    o.subject = ip->ToString();
    if (bits >= 0 && bits != (ip->v4 ? 32 : 128)) absl::StrAppend(&o.subject, "/", bits);
    out->push_back(std::move(o));
    return true;
  }

 private:
  const ImportOptions& options_;
  ImportWarnings* warnings_;
  size_t skipped_ = 0;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// "127.0.0.C" or a bare "C" (rbldnsd's shorthand) -> C; -1 when it is neither.
int CategoryOfA(std::string_view a) {
  if (a.find('.') != std::string_view::npos) {
    auto ip = reputation::IpAddress::Parse(a);
    if (!ip || !ip->v4 || ip->bytes[0] != 127) return -1;
    return ip->bytes[3];
  }
  int v = -1;
  if (std::from_chars(a.data(), a.data() + a.size(), v).ec != std::errc()) return -1;
  return v;
}

struct Value {
  int category = reputation::kCategorySpam;  // rbldnsd's default A value is 127.0.0.2
  std::string txt;
};

// Reads ":A:TXT", ":A", "::TXT" or a bare "TXT" over `defaults`.
bool ParseValue(std::string_view spec, const Value& defaults, Value* out) {
  *out = defaults;
  spec = Trim(spec);
  if (spec.empty()) return true;
  if (spec[0] != ':') {
    out->txt = std::string(spec);
    return true;
  }
  spec.remove_prefix(1);
  const size_t colon = spec.find(':');
  std::string_view a = Trim(spec.substr(0, colon));
  if (!a.empty()) {
    out->category = CategoryOfA(a);
    if (out->category < 0) return false;
  }
  if (colon != std::string_view::npos) {
    std::string_view txt = spec.substr(colon + 1);
    if (!txt.empty()) out->txt = std::string(txt);
  }
  return true;
}

// Hands `out` to `sink` once it holds `batch` listings (0: whenever it holds any).
absl::Status FlushIfFull(size_t batch, const ListingSink& sink, std::vector<Override>* out) {
  if (out->empty() || out->size() < batch) return absl::OkStatus();
  absl::Status s = sink(std::move(*out));
  out->clear();
  return s;
}

constexpr size_t kWholeFile = std::numeric_limits<size_t>::max();

ListingSink AppendTo(std::vector<Override>* all) {
  return [all](std::vector<Override>&& batch) {
    if (all->empty()) {
      *all = std::move(batch);
    } else {
      all->insert(all->end(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
    }
    return absl::OkStatus();
  };
}

}  // namespace

absl::Status ParseRbldnsd(std::istream& in, const ImportOptions& options, ImportWarnings* warnings,
                          size_t batch, const ListingSink& sink) {
  Importer importer(options, warnings);
  std::vector<Override> out;
  Value defaults;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    std::string_view s = Trim(line);
    if (s.empty() || s[0] == '#' || s[0] == ';' || s[0] == '$') continue;
    if (s[0] == ':') {
      if (!ParseValue(s, defaults, &defaults)) importer.Warn(n, "bad default value");
      continue;
    }
    size_t end = 0;
    // The entry ends at white space (IPv6 entries hold colons themselves).
    while (end < s.size() && !absl::ascii_isspace(static_cast<unsigned char>(s[end]))) ++end;
    Value value;
    if (!ParseValue(s.substr(end), defaults, &value)) {
      importer.Warn(n, "bad value (want :127.0.0.C:text)");
      continue;
    }
    importer.Add(n, s.substr(0, end), value.category, value.txt, &out);
    if (auto st = FlushIfFull(batch, sink, &out); !st.ok()) return st;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(options.source, ": read error"));
  importer.Finish();
  return FlushIfFull(0, sink, &out);
}

absl::StatusOr<std::vector<Override>> ParseRbldnsd(std::istream& in, const ImportOptions& options,
                                                   ImportWarnings* warnings) {
  std::vector<Override> all;
  auto s = ParseRbldnsd(in, options, warnings, kWholeFile, AppendTo(&all));
  if (!s.ok()) return s;
  return all;
}

absl::Status ParseListingsCsv(std::istream& in, const ImportOptions& options,
                              ImportWarnings* warnings, size_t batch, const ListingSink& sink) {
  Importer importer(options, warnings);
  std::vector<Override> out;
  std::string line;
  if (!std::getline(in, line) || Trim(line) != "kind,subject,code,category") {
    return absl::InvalidArgumentError(
        absl::StrCat(options.source, ":1: expected the header 'kind,subject,code,category'"));
  }
  for (size_t n = 2; std::getline(in, line); ++n) {
    std::string_view s = Trim(line);
    if (s.empty()) continue;
    std::string_view f[4];
    size_t count = 0;
    for (size_t start = 0; count < 4; ++count) {
      size_t comma = s.find(',', start);
      f[count] = s.substr(start, comma == std::string_view::npos ? comma : comma - start);
      if (comma == std::string_view::npos) {
        ++count;
        break;
      }
      start = comma + 1;
    }
    if (count != 4 || (f[0] != "ip" && f[0] != "domain")) {
      importer.Warn(n, "want kind,subject,code,category with kind ip or domain");
      continue;
    }
    const int category = CategoryOfA(f[2]);
    const size_t before = out.size();
    if (!importer.Add(n, f[1], category, "", &out)) continue;
    if ((f[0] == "domain") != out[before].is_domain) {
      out.resize(before);
      importer.Warn(n, absl::StrCat("kind ", AsAbsl(f[0]), " does not match ", AsAbsl(f[1])));
    }
    if (auto st = FlushIfFull(batch, sink, &out); !st.ok()) return st;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(options.source, ": read error"));
  importer.Finish();
  return FlushIfFull(0, sink, &out);
}

absl::StatusOr<std::vector<Override>> ParseListingsCsv(std::istream& in,
                                                       const ImportOptions& options,
                                                       ImportWarnings* warnings) {
  std::vector<Override> all;
  auto s = ParseListingsCsv(in, options, warnings, kWholeFile, AppendTo(&all));
  if (!s.ok()) return s;
  return all;
}

namespace {

std::string Expand(const std::string& text, const Subject& subject) {
  if (text.find('$') == std::string::npos) return text;
  char buf[kMaxName];
  const std::string_view s(buf, SubjectText(subject, buf));
  std::string out;
  for (char c : text) {
    if (c == '$') {
      out.append(s);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A TXT RDATA in master-file syntax: quoted character-strings of at most 255 octets.
std::string QuotedTxt(std::string_view text) {
  std::string out;
  size_t pos = 0;
  do {
    std::string_view chunk = text.substr(pos, 255);
    if (!out.empty()) out.push_back(' ');
    out.push_back('"');
    for (unsigned char c : chunk) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c < ' ' || c >= 0x7f) {
        absl::StrAppend(&out, "\\", c / 100, (c / 10) % 10, c % 10);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('"');
    pos += chunk.size();
  } while (pos < text.size());
  return out;
}

std::string NameOf(const CompressedName& n, const Zone& zone) {
  std::string wire = n.prefix;
  wire += n.apex_suffix >= 0 ? zone.wire.substr(static_cast<size_t>(n.apex_suffix))
                             : std::string(1, '\0');
  return WireToName(reinterpret_cast<const uint8_t*>(wire.data())) + ".";
}

}  // namespace

void ExportZone(const reputation::ListingIndex::Snapshot& snapshot, const DnsOptions& options,
                std::ostream& out) {
  auto zones = ZoneSet::Create(options);
  if (!zones.ok()) return;
  const uint32_t serial = snapshot.Serial();
  for (const Zone& zone : zones->zones()) {
    out << "$ORIGIN " << zone.name << ".\n";
    out << "@ " << options.soa_ttl << " IN SOA " << NameOf(zone.mname, zone) << " "
        << NameOf(zone.rname, zone) << " " << serial << " " << options.refresh << " "
        << options.retry << " " << options.expire << " " << options.negative_ttl << "\n";
    for (const CompressedName& ns : zone.ns) {
      out << "@ " << options.soa_ttl << " IN NS " << NameOf(ns, zone) << "\n";
    }
    for (const ZoneEntry& e : CollectZone(*zones, zone, snapshot)) {
      const Subject subject = e.ToSubject();
      const std::string labels = OwnerLabels(subject) + std::string(1, '\0');
      const std::string owner = WireToName(reinterpret_cast<const uint8_t*>(labels.data()));
      if (e.excluded) {
        out << owner << " " << options.ttl << " IN CNAME invalid." << zone.name << ".\n";
        continue;
      }
      e.records.ForEachA([&](uint8_t third, uint8_t last) {
        out << owner << " " << options.ttl << " IN A 127.0." << static_cast<int>(third) << "."
            << static_cast<int>(last) << "\n";
      });
      if (e.records.txt != nullptr) {
        out << owner << " " << options.ttl << " IN TXT "
            << QuotedTxt(Expand(*e.records.txt, subject)) << "\n";
      }
    }
  }
}

void ExportRbldnsd(const reputation::ListingIndex::Snapshot& snapshot, const DnsOptions& options,
                   RbldnsdDataset dataset, std::ostream& out) {
  const bool ips = dataset == RbldnsdDataset::kIp4set;
  out << "# " << (ips ? options.zones.ip_block : options.zones.domain_block)
      << " exported by repd, serial " << snapshot.Serial() << "\n";
  out << "$TTL " << options.ttl << "\n";
  const int third = ips ? 0 : 1;
  auto write = [&](const std::string& subject, const reputation::Listing& l) {
    // TXT text ends the line: a newline inside it would start a new entry.
    std::string txt = *l.txt;
    std::replace(txt.begin(), txt.end(), '\n', ' ');
    for (int c = 1; c < 32; ++c) {
      if (l.categories & (1u << c)) {
        out << subject << " :127.0." << third << "." << c << ":" << txt << "\n";
      }
    }
  };
  if (ips) {
    // ip4set holds IPv4 only; an address listed on its own wins over a network holding it,
    // and one that is not listed inside a listed network is written as an exclusion.
    reputation::RangeTable<bool> networks;  // listed or not
    snapshot.ForEachRange(
        [&](const reputation::IpAddress& ip, int bits, const reputation::Listing& l) {
          if (ip.v4) networks.Set(reputation::RangeKey::Of(ip, bits), l.listed());
        });
    // Whether the longest network shorter than `bits` holding `ip` is listed.
    auto inside_listed = [&](const reputation::IpAddress& ip, int bits) {
      const bool* around = networks.Match(
          ip, [&](const reputation::RangeKey& key, bool) { return key.length < bits; });
      return around != nullptr && *around;
    };
    snapshot.ForEachRange(
        [&](const reputation::IpAddress& ip, int bits, const reputation::Listing& l) {
          if (!ip.v4) return;
          const std::string cidr = absl::StrCat(ip.ToString(), "/", bits);
          if (l.listed()) {
            write(cidr, l);
          } else if (inside_listed(ip, bits)) {
            out << "!" << cidr << "\n";
          }
        });
    snapshot.ForEachIp([&](const reputation::IpAddress& ip, const reputation::Listing& l) {
      if (!ip.v4) return;
      if (l.listed()) {
        write(ip.ToString(), l);
      } else if (!networks.empty() && inside_listed(ip, ip.Bits() + 1)) {
        out << "!" << ip.ToString() << "\n";
      }
    });
  } else {
    std::map<std::string, reputation::Listing, std::less<>> parents;  // of names under them
    snapshot.ForEachSubdomainListing(
        [&](std::string_view d, const reputation::Listing& l) { parents[std::string(d)] = l; });
    // Whether the nearest parent strictly above `name` with a listing of its subdomains
    // lists them.
    auto under_listed = [&](std::string_view name) {
      bool listed = false;
      reputation::FindParentDomain(name, [&](std::string_view parent) {
        auto it = parents.find(parent);
        if (it == parents.end()) return false;
        listed = it->second.listed();
        return true;
      });
      return listed;
    };
    for (const auto& [d, l] : parents) {
      if (l.listed()) {
        write(absl::StrCat("*.", d), l);
      } else if (under_listed(d)) {
        out << "!*." << d << "\n";
      }
    }
    snapshot.ForEachDomain([&](std::string_view d, const reputation::Listing& l) {
      if (l.listed()) {
        write(std::string(d), l);
      } else if (!parents.empty() && under_listed(d)) {
        out << "!" << d << "\n";
      }
    });
  }
}

}  // namespace repd::dnsbl
