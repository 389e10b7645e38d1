#include "dkim/tags.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"

namespace repd::dkim {

namespace {
bool IsWsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

bool ValidName(std::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}
}  // namespace

absl::StatusOr<TagList> TagList::Parse(std::string_view text) {
  TagList list;
  while (!text.empty()) {
    size_t semi = text.find(';');
    std::string_view spec = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (Trim(spec).empty()) {
      if (text.empty()) break;  // a trailing ';' is allowed
      return absl::InvalidArgumentError("empty tag in tag list");
    }
    size_t eq = spec.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("tag without '=': ", std::string(Trim(spec).substr(0, 40))));
    }
    std::string_view name = Trim(spec.substr(0, eq));
    std::string_view value = Trim(spec.substr(eq + 1));
    if (!ValidName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("bad tag name '", std::string(name), "'"));
    }
    if (list.Get(name)) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate tag ", std::string(name), "="));
    }
    list.tags_.emplace_back(name, value);
  }
  return list;
}

std::optional<std::string_view> TagList::Get(std::string_view name) const {
  for (const auto& [n, v] : tags_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string StripWhitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (!IsWsp(c)) out += c;
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string s = StripWhitespace(in);
  if (s.size() % 4 != 0) return std::nullopt;
  std::string out(s.size() / 4 * 3, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace repd::dkim
