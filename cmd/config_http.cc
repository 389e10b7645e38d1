#include "cmd/config_http.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/auth.h"

namespace repd::cmd {

namespace {

absl::Status KeyError(const std::string& key, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config key '", key, "': ", std::string(what)));
}

absl::Status ReadBool(const toml::table& t, const char* key, bool* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  auto v = n->value_exact<bool>();
  if (!v) return KeyError(absl::StrCat("http.", key), "must be true or false");
  *out = *v;
  return absl::OkStatus();
}

absl::Status ReadString(const toml::table& t, const std::string& section, const char* key,
                        std::string* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  auto v = n->value_exact<std::string>();
  if (!v) return KeyError(absl::StrCat(section, ".", key), "must be a string");
  *out = *v;
  return absl::OkStatus();
}

absl::Status ReadSize(const toml::table& t, const char* key, size_t* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  auto v = n->value_exact<int64_t>();
  if (!v || *v <= 0) return KeyError(absl::StrCat("http.", key), "must be a positive integer");
  *out = static_cast<size_t>(*v);
  return absl::OkStatus();
}

// Seconds or a rate: integers and floats both, above zero.
absl::Status ReadPositive(const toml::table& t, const char* key, double* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  auto v = n->value<double>();
  if (!v || !(*v > 0)) return KeyError(absl::StrCat("http.", key), "must be a number above 0");
  *out = *v;
  return absl::OkStatus();
}

absl::Status ReadStrings(const toml::table& t, const char* key, std::vector<std::string>* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return KeyError(absl::StrCat("http.", key), "must be an array of strings");
  out->clear();
  for (const auto& item : *arr) {
    auto v = item.value_exact<std::string>();
    if (!v) return KeyError(absl::StrCat("http.", key), "must be an array of strings");
    out->push_back(*v);
  }
  return absl::OkStatus();
}

#define REPD_HTTP_TRY(expr)                    \
  do {                                         \
    if (auto _s = (expr); !_s.ok()) return _s; \
  } while (0)

absl::Status ParseHttpSection(const toml::table& t, api::HttpOptions* o) {
  static const std::set<std::string, std::less<>> kKeys = {"public_reads",
                                                           "tls_listen",
                                                           "tls_cert",
                                                           "tls_key",
                                                           "max_connections",
                                                           "header_limit",
                                                           "body_limit",
                                                           "feedback_body_limit",
                                                           "feedback_max_events",
                                                           "verify_body_limit",
                                                           "overrides_body_limit",
                                                           "read_timeout",
                                                           "idle_timeout",
                                                           "write_timeout",
                                                           "delist_per_hour",
                                                           "delist_burst",
                                                           "rater"};
  for (const auto& [key, value] : t) {
    if (!kKeys.contains(key.str())) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: unknown key 'http.", std::string(key.str()), "'"));
    }
  }
  REPD_HTTP_TRY(ReadBool(t, "public_reads", &o->public_reads));
  REPD_HTTP_TRY(ReadStrings(t, "tls_listen", &o->tls_listen));
  REPD_HTTP_TRY(ReadString(t, "http", "tls_cert", &o->tls_cert));
  REPD_HTTP_TRY(ReadString(t, "http", "tls_key", &o->tls_key));
  REPD_HTTP_TRY(ReadSize(t, "max_connections", &o->max_connections));
  REPD_HTTP_TRY(ReadSize(t, "header_limit", &o->header_limit));
  REPD_HTTP_TRY(ReadSize(t, "body_limit", &o->body_limit));
  REPD_HTTP_TRY(ReadSize(t, "feedback_body_limit", &o->feedback_body_limit));
  REPD_HTTP_TRY(ReadSize(t, "feedback_max_events", &o->feedback_max_events));
  REPD_HTTP_TRY(ReadSize(t, "verify_body_limit", &o->verify_body_limit));
  REPD_HTTP_TRY(ReadSize(t, "overrides_body_limit", &o->overrides_body_limit));
  REPD_HTTP_TRY(ReadPositive(t, "read_timeout", &o->read_timeout));
  REPD_HTTP_TRY(ReadPositive(t, "idle_timeout", &o->idle_timeout));
  REPD_HTTP_TRY(ReadPositive(t, "write_timeout", &o->write_timeout));
  REPD_HTTP_TRY(ReadPositive(t, "delist_per_hour", &o->delist_per_hour));
  REPD_HTTP_TRY(ReadPositive(t, "delist_burst", &o->delist_burst));
  REPD_HTTP_TRY(ReadString(t, "http", "rater", &o->rater));
  if (o->header_limit > UINT32_MAX) return KeyError("http.header_limit", "is too large");
  if (!o->tls_listen.empty() && (o->tls_cert.empty() || o->tls_key.empty())) {
    return KeyError("http.tls_listen", "needs http.tls_cert and http.tls_key");
  }
  if (o->rater.empty()) return KeyError("http.rater", "must not be empty");
  return absl::OkStatus();
}

absl::Status ParseTokens(const toml::node& node, api::HttpOptions* o) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) return KeyError("tokens", "must be an array of tables ([[tokens]])");
  o->tokens.clear();
  std::set<std::string> names;
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string where = absl::StrCat("tokens[", i, "]");
    const toml::table* t = (*arr)[i].as_table();
    if (t == nullptr) return KeyError(where, "must be a table ([[tokens]])");
    for (const auto& [key, value] : *t) {
      if (key.str() != "name" && key.str() != "role" && key.str() != "sha256") {
        return absl::InvalidArgumentError(
            absl::StrCat("config: unknown key '", where, ".", std::string(key.str()), "'"));
      }
    }
    api::TokenConfig token;
    REPD_HTTP_TRY(ReadString(*t, where, "name", &token.name));
    REPD_HTTP_TRY(ReadString(*t, where, "role", &token.role));
    REPD_HTTP_TRY(ReadString(*t, where, "sha256", &token.sha256));
    if (token.name.empty()) return KeyError(where + ".name", "required");
    if (!names.insert(token.name).second) {
      return KeyError(where + ".name", "'" + token.name + "' is used twice");
    }
    if (api::ParseRole(token.role) == api::Role::kNone) {
      return KeyError(where + ".role", "must be \"feedback\" or \"admin\"");
    }
    for (char& c : token.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (token.sha256.size() != 64 ||
        token.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return KeyError(where + ".sha256",
                      "must be 64 hex digits: the SHA-256 of the token (printf %s TOKEN | "
                      "sha256sum)");
    }
    o->tokens.push_back(std::move(token));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseHttpConfig(const toml::table& root, api::HttpOptions* out) {
  if (const toml::node* http = root.get("http")) {
    const toml::table* t = http->as_table();
    if (t == nullptr) return KeyError("http", "must be a table ([http])");
    REPD_HTTP_TRY(ParseHttpSection(*t, out));
  }
  if (const toml::node* tokens = root.get("tokens")) REPD_HTTP_TRY(ParseTokens(*tokens, out));
  return absl::OkStatus();
}

}  // namespace repd::cmd
