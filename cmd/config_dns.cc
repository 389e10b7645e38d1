#include "cmd/config_dns.h"

#include <limits>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "dnsbl/acl.h"
#include "dnsbl/endpoint.h"
#include "dnsbl/tsig.h"
#include "dnsbl/zone.h"

namespace repd::cmd {

namespace {

using absl::StrCat;

class Section {
 public:
  Section(const toml::table* table, std::string name) : table_(table), name_(std::move(name)) {}

  absl::Status Unknown(const std::set<std::string, std::less<>>& known) const {
    if (table_ == nullptr) return absl::OkStatus();
    for (const auto& [key, value] : *table_) {
      if (!known.contains(key.str())) {
        return absl::InvalidArgumentError(
            StrCat("config: unknown key '", name_, ".", std::string(key.str()), "'"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status String(const char* key, std::string* out) const {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    auto v = node->value<std::string>();
    if (!v) return Error(key, "must be a string");
    *out = *v;
    return absl::OkStatus();
  }

  absl::Status Strings(const char* key, std::vector<std::string>* out) const {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    const toml::array* arr = node->as_array();
    if (arr == nullptr) return Error(key, "must be an array of strings");
    out->clear();
    for (const auto& item : *arr) {
      auto v = item.value<std::string>();
      if (!v) return Error(key, "must be an array of strings");
      out->push_back(*v);
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Integer(const char* key, T* out, int64_t min,
                       int64_t max = std::numeric_limits<T>::max()) const {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    auto v = node->value_exact<int64_t>();
    if (!v || *v < min || *v > max) {
      return Error(key, StrCat("must be a whole number from ", min, " to ", max));
    }
    *out = static_cast<T>(*v);
    return absl::OkStatus();
  }

  absl::Status Error(const char* key, const std::string& what) const {
    return absl::InvalidArgumentError(StrCat("config key '", name_, ".", key, "': ", what));
  }

 private:
  const toml::node* Get(const char* key) const {
    return table_ == nullptr ? nullptr : table_->get(key);
  }
  const toml::table* table_;
  std::string name_;
};

#define REPD_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    if (absl::Status s = (expr); !s.ok()) return s; \
  } while (0)

}  // namespace

absl::Status ParseDnsConfig(const toml::table& root, dnsbl::DnsOptions* out) {
  Section zones(root["zones"].as_table(), "zones");
  // txt_template belongs to the reputation engine (it writes the TXT texts).
  REPD_RETURN_IF_ERROR(
      zones.Unknown({"ip_block", "domain_block", "allow", "score", "txt_template"}));
  REPD_RETURN_IF_ERROR(zones.String("ip_block", &out->zones.ip_block));
  REPD_RETURN_IF_ERROR(zones.String("domain_block", &out->zones.domain_block));
  REPD_RETURN_IF_ERROR(zones.String("allow", &out->zones.allow));
  REPD_RETURN_IF_ERROR(zones.String("score", &out->zones.score));

  Section dns(root["dns"].as_table(), "dns");
  REPD_RETURN_IF_ERROR(dns.Unknown({"ttl",
                                    "negative_ttl",
                                    "soa_ttl",
                                    "refresh",
                                    "retry",
                                    "expire",
                                    "ns",
                                    "hostmaster",
                                    "allow_category",
                                    "shared_allow_category",
                                    "max_udp_payload",
                                    "max_amplification",
                                    "udp_sockets",
                                    "tcp_idle_timeout_ms",
                                    "tcp_max_connections",
                                    "transfer_allow",
                                    "notify",
                                    "tsig_name",
                                    "tsig_algorithm",
                                    "tsig_secret",
                                    "ixfr_journal",
                                    "rrl_rate",
                                    "rrl_slip",
                                    "rrl_ipv4_prefix",
                                    "rrl_ipv6_prefix"}));
  constexpr int64_t kMaxTtl = 2147483647;  // RFC 2181 8
  REPD_RETURN_IF_ERROR(dns.Integer("ttl", &out->ttl, 0, kMaxTtl));
  REPD_RETURN_IF_ERROR(dns.Integer("negative_ttl", &out->negative_ttl, 0, kMaxTtl));
  REPD_RETURN_IF_ERROR(dns.Integer("soa_ttl", &out->soa_ttl, 0, kMaxTtl));
  REPD_RETURN_IF_ERROR(dns.Integer("refresh", &out->refresh, 1, kMaxTtl));
  REPD_RETURN_IF_ERROR(dns.Integer("retry", &out->retry, 1, kMaxTtl));
  REPD_RETURN_IF_ERROR(dns.Integer("expire", &out->expire, 1, kMaxTtl));
  REPD_RETURN_IF_ERROR(dns.Strings("ns", &out->ns));
  REPD_RETURN_IF_ERROR(dns.String("hostmaster", &out->hostmaster));
  REPD_RETURN_IF_ERROR(dns.Integer("allow_category", &out->allow_category, 0, 255));
  REPD_RETURN_IF_ERROR(dns.Integer("shared_allow_category", &out->shared_allow_category, 0, 255));
  REPD_RETURN_IF_ERROR(dns.Integer("max_udp_payload", &out->max_udp_payload, 512, 65535));
  REPD_RETURN_IF_ERROR(dns.Integer("max_amplification", &out->max_amplification, 0, 100));
  REPD_RETURN_IF_ERROR(dns.Integer("udp_sockets", &out->udp_sockets, 0, 256));
  REPD_RETURN_IF_ERROR(dns.Integer("tcp_idle_timeout_ms", &out->tcp_idle_timeout_ms, 100, 3600000));
  REPD_RETURN_IF_ERROR(dns.Integer("tcp_max_connections", &out->tcp_max_connections, 1, 1000000));
  REPD_RETURN_IF_ERROR(dns.Strings("transfer_allow", &out->transfer_allow));
  REPD_RETURN_IF_ERROR(dns.Strings("notify", &out->notify));
  REPD_RETURN_IF_ERROR(dns.String("tsig_name", &out->tsig_name));
  REPD_RETURN_IF_ERROR(dns.String("tsig_algorithm", &out->tsig_algorithm));
  REPD_RETURN_IF_ERROR(dns.String("tsig_secret", &out->tsig_secret));
  REPD_RETURN_IF_ERROR(dns.Integer("ixfr_journal", &out->ixfr_journal, 0, 100000000));
  REPD_RETURN_IF_ERROR(dns.Integer("rrl_rate", &out->rrl_rate, 0, 1000000));
  REPD_RETURN_IF_ERROR(dns.Integer("rrl_slip", &out->rrl_slip, 0, 100));
  REPD_RETURN_IF_ERROR(dns.Integer("rrl_ipv4_prefix", &out->rrl_ipv4_prefix, 8, 32));
  REPD_RETURN_IF_ERROR(dns.Integer("rrl_ipv6_prefix", &out->rrl_ipv6_prefix, 16, 128));

  // Everything checkable without binding a socket is checked now, with the key's name.
  if (auto z = dnsbl::ZoneSet::Create(*out); !z.ok()) return z.status();
  if (auto a = dnsbl::Acl::Parse(out->transfer_allow, "dns.transfer_allow"); !a.ok()) {
    return a.status();
  }
  for (const std::string& target : out->notify) {
    if (auto p = dnsbl::ParseHostPort(target, "dns.notify"); !p.ok()) return p.status();
  }
  if (!out->tsig_name.empty() && out->tsig_secret.empty()) {
    return dns.Error("tsig_secret", "is needed when dns.tsig_name is set (base64)");
  }
  if (auto k = dnsbl::TsigKey::FromOptions(*out); !k.ok()) return k.status();
  return absl::OkStatus();
}

}  // namespace repd::cmd
