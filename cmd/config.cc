#include "cmd/config.h"

#include <toml++/toml.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "cmd/config_dns.h"
#include "cmd/config_http.h"

namespace repd::cmd {

namespace {

absl::Status KeyError(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config key '", std::string(key), "': ", std::string(what)));
}

absl::Status CheckKeys(const toml::table* table, std::string_view section,
                       const std::set<std::string, std::less<>>& known) {
  if (table == nullptr) return absl::OkStatus();
  for (const auto& [key, value] : *table) {
    if (!known.contains(key.str())) {
      return absl::InvalidArgumentError(absl::StrCat("config: unknown key '", std::string(section),
                                                     ".", std::string(key.str()), "'"));
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status Read(const toml::table* table, std::string_view section, std::string_view key,
                  T* out) {
  if (table == nullptr) return absl::OkStatus();
  const toml::node* node = table->get(key);
  if (node == nullptr) return absl::OkStatus();
  std::string name = absl::StrCat(std::string(section), ".", std::string(key));
  if constexpr (std::is_same_v<T, std::string>) {
    auto v = node->value<std::string>();
    if (!v) return KeyError(name, "must be a string");
    *out = *v;
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = node->value<bool>();
    if (!v) return KeyError(name, "must be true or false");
    *out = *v;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    const toml::array* arr = node->as_array();
    if (arr == nullptr) return KeyError(name, "must be an array of strings");
    out->clear();
    for (const auto& item : *arr) {
      auto v = item.value<std::string>();
      if (!v) return KeyError(name, "must be an array of strings");
      out->push_back(*v);
    }
  } else {
    auto v = node->value<double>();
    if (!v) return KeyError(name, "must be a number");
    if (*v < 0) return KeyError(name, "must not be negative");
    *out = static_cast<T>(*v);
  }
  return absl::OkStatus();
}

#define REPD_TRY(expr)                         \
  do {                                         \
    if (auto _s = (expr); !_s.ok()) return _s; \
  } while (0)

absl::Status ParseModel(const toml::table* t, reputation::ModelParams* p) {
  std::set<std::string, std::less<>> known;
  absl::Status status;
  reputation::ForEachModelParam(*p, [&](const char* name, auto& field) {
    known.insert(name);
    if (status.ok()) status = Read(t, "model", name, &field);
  });
  REPD_TRY(status);
  REPD_TRY(CheckKeys(t, "model", known));
  if (p->hysteresis <= 0 || p->hysteresis > 1)
    return KeyError("model.hysteresis", "must be in (0, 1]");
  if (p->rate_threshold <= 0 || p->rate_threshold >= 1) {
    return KeyError("model.rate_threshold", "must be in (0, 1)");
  }
  if (p->prior_alpha <= 0 || p->prior_beta <= 0) {
    return KeyError("model.prior_alpha", "prior_alpha and prior_beta must be > 0");
  }
  if (p->volume_half_life_days <= 0 || p->evidence_half_life_days <= 0) {
    return KeyError("model.volume_half_life_days", "half-lives must be > 0");
  }
  return absl::OkStatus();
}

absl::Status ParseReporters(const toml::table* t, reputation::ReputationOptions* r) {
  if (t == nullptr) return absl::OkStatus();
  REPD_TRY(CheckKeys(t, "reporters", {"default_trust", "known"}));
  REPD_TRY(Read(t, "reporters", "default_trust", &r->default_reporter_trust));
  if (r->default_reporter_trust > 1)
    return KeyError("reporters.default_trust", "must be in [0, 1]");
  if (const toml::node* known = t->get("known")) {
    const toml::array* arr = known->as_array();
    if (arr == nullptr) return KeyError("reporters.known", "must be an array of tables");
    for (const auto& item : *arr) {
      const toml::table* entry = item.as_table();
      if (entry == nullptr) return KeyError("reporters.known", "must be an array of tables");
      REPD_TRY(CheckKeys(entry, "reporters.known", {"name", "trust"}));
      reputation::ReporterConfig rc;
      REPD_TRY(Read(entry, "reporters.known", "name", &rc.name));
      REPD_TRY(Read(entry, "reporters.known", "trust", &rc.trust));
      if (rc.name.empty()) return KeyError("reporters.known.name", "required");
      if (rc.trust > 1) return KeyError("reporters.known.trust", "must be in [0, 1]");
      r->reporters.push_back(rc);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseDkim(const toml::table* t, Config* c) {
  REPD_TRY(
      CheckKeys(t, "dkim",
                {"dns_servers", "timeout_ms", "attempts", "cache_entries", "negative_ttl", "legacy",
                 "max_message_bytes", "max_signatures", "max_key_lookups", "authserv_id"}));
  REPD_TRY(Read(t, "dkim", "dns_servers", &c->resolver.servers));
  REPD_TRY(Read(t, "dkim", "timeout_ms", &c->resolver.timeout_ms));
  REPD_TRY(Read(t, "dkim", "attempts", &c->resolver.attempts));
  REPD_TRY(Read(t, "dkim", "cache_entries", &c->resolver.cache_entries));
  REPD_TRY(Read(t, "dkim", "negative_ttl", &c->resolver.negative_ttl_s));
  REPD_TRY(Read(t, "dkim", "legacy", &c->verifier.legacy));
  REPD_TRY(Read(t, "dkim", "max_message_bytes", &c->verifier.max_message_bytes));
  REPD_TRY(Read(t, "dkim", "max_signatures", &c->verifier.max_signatures));
  REPD_TRY(Read(t, "dkim", "max_key_lookups", &c->verifier.max_key_lookups));
  REPD_TRY(Read(t, "dkim", "authserv_id", &c->verifier.authserv_id));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  Config c;
  toml::table root;
  if (!path.empty()) {
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return absl::InvalidArgumentError(absl::StrCat("config ", path, ":", e.source().begin.line,
                                                     ":", e.source().begin.column, ": ",
                                                     std::string(e.description())));
    }
  }
  for (const auto& [key, value] : root) {
    static const std::set<std::string, std::less<>> kSections = {
        "server", "zones", "dns", "http", "dkim", "tokens", "reporters", "model"};
    if (!kSections.contains(key.str())) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: unknown section '", std::string(key.str()), "'"));
    }
  }
  const toml::table* server = root["server"].as_table();
  REPD_TRY(CheckKeys(server, "server",
                     {"data_dir", "dns_listen", "http_listen", "threads", "log_level",
                      "sweep_interval", "event_log_retention_days"}));
  REPD_TRY(Read(server, "server", "data_dir", &c.reputation.data_dir));
  REPD_TRY(Read(server, "server", "dns_listen", &c.dns_listen));
  REPD_TRY(Read(server, "server", "http_listen", &c.http_listen));
  REPD_TRY(Read(server, "server", "threads", &c.threads));
  REPD_TRY(Read(server, "server", "log_level", &c.log_level));
  REPD_TRY(Read(server, "server", "sweep_interval", &c.sweep_interval_s));
  REPD_TRY(
      Read(server, "server", "event_log_retention_days", &c.reputation.event_log_retention_days));
  if (c.sweep_interval_s < 1) return KeyError("server.sweep_interval", "must be >= 1");
  if (c.reputation.event_log_retention_days < 1) {
    return KeyError("server.event_log_retention_days", "must be >= 1");
  }
  REPD_TRY(Read(root["zones"].as_table(), "zones", "txt_template", &c.reputation.txt_template));
  REPD_TRY(ParseModel(root["model"].as_table(), &c.reputation.model));
  REPD_TRY(ParseReporters(root["reporters"].as_table(), &c.reputation));
  REPD_TRY(ParseDkim(root["dkim"].as_table(), &c));
  REPD_TRY(ParseDnsConfig(root, &c.dns));
  REPD_TRY(ParseHttpConfig(root, &c.http));
  return c;
}

}  // namespace repd::cmd
