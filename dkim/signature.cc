#include "dkim/signature.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"
#include "dkim/tags.h"

namespace repd::dkim {

std::string_view AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kRsaSha256:
      return "rsa-sha256";
    case Algorithm::kRsaSha1:
      return "rsa-sha1";
    case Algorithm::kEd25519Sha256:
      return "ed25519-sha256";
  }
  return "?";
}

namespace {

absl::Status Bad(std::string_view what) { return absl::InvalidArgumentError(std::string(what)); }

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(AsAbsl(s)); }

bool ParseNumber(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 76) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(AsAbsl(s), out);
}

// i= must be the d= domain or one of its subdomains.
bool IdentityMatches(std::string_view identity, std::string_view domain) {
  size_t at = identity.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string host = Lower(identity.substr(at + 1));
  return host == domain || (host.size() > domain.size() &&
                            host.compare(host.size() - domain.size(), domain.size(), domain) == 0 &&
                            host[host.size() - domain.size() - 1] == '.');
}

}  // namespace

std::string DecodeQuotedPrintable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<Signature> ParseSignature(std::string_view value) {
  auto tags = TagList::Parse(value);
  if (!tags.ok()) return Bad(absl::StrCat("malformed signature: ", tags.status().message()));
  Signature sig;
  // Signatures of the pre-RFC drafts (no v=, or v=0.5) are read the same way; every tag
  // they need is checked below.
  auto v = tags->Get("v");
  if (v && *v != "1" && *v != "0.5") return Bad("unsupported signature version");
  for (const char* required : {"a", "b", "bh", "d", "h", "s"}) {
    if (!tags->Get(required)) return Bad(absl::StrCat("signature missing ", required, "="));
  }
  sig.algorithm_text = Lower(*tags->Get("a"));
  if (sig.algorithm_text == "rsa-sha256") {
    sig.algorithm = Algorithm::kRsaSha256;
  } else if (sig.algorithm_text == "rsa-sha1") {
    sig.algorithm = Algorithm::kRsaSha1;
  } else if (sig.algorithm_text == "ed25519-sha256") {
    sig.algorithm = Algorithm::kEd25519Sha256;
  } else {
    return Bad("unsupported algorithm " + sig.algorithm_text);
  }
  sig.b_text = StripWhitespace(*tags->Get("b"));
  auto b = Base64Decode(sig.b_text);
  if (!b || b->empty()) return Bad("signature b= is not base64");
  sig.b = *b;
  auto bh = Base64Decode(*tags->Get("bh"));
  if (!bh || bh->empty()) return Bad("body hash bh= is not base64");
  sig.bh = *bh;
  if (auto c = tags->Get("c")) {
    std::string text = Lower(*c);
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
    auto canon = [](const std::string& s, Canon* out) {
      if (s == "simple")
        *out = Canon::kSimple;
      else if (s == "relaxed")
        *out = Canon::kRelaxed;
      else
        return false;
      return true;
    };
    if (!canon(parts.first, &sig.header_canon)) return Bad("unknown canonicalization " + text);
    if (!parts.second.empty() && !canon(parts.second, &sig.body_canon)) {
      return Bad("unknown canonicalization " + text);
    }
  }
  sig.domain = Lower(*tags->Get("d"));
  while (!sig.domain.empty() && sig.domain.back() == '.') sig.domain.pop_back();
  if (sig.domain.empty()) return Bad("empty d=");
  sig.selector = Lower(*tags->Get("s"));
  if (sig.selector.empty()) return Bad("empty s=");
  for (absl::string_view h : absl::StrSplit(AsAbsl(*tags->Get("h")), ':')) {
    std::string name = Lower(AsStd(absl::StripAsciiWhitespace(h)));
    if (name.empty()) return Bad("empty header name in h=");
    sig.headers.push_back(name);
  }
  if (std::find(sig.headers.begin(), sig.headers.end(), "from") == sig.headers.end()) {
    return Bad("From field not signed");
  }
  if (auto i = tags->Get("i")) {
    sig.identity = DecodeQuotedPrintable(StripWhitespace(*i));
    if (!IdentityMatches(sig.identity, sig.domain)) return Bad("i= is not within d=");
  } else {
    sig.identity = "@" + sig.domain;
  }
  if (auto l = tags->Get("l")) {
    uint64_t n;
    if (!ParseNumber(*l, &n)) return Bad("l= is not a number");
    sig.length = n;
  }
  if (auto q = tags->Get("q")) {
    bool dns = false;
    for (absl::string_view m : absl::StrSplit(AsAbsl(*q), ':')) {
      auto method = absl::AsciiStrToLower(absl::StripAsciiWhitespace(m));
      dns |= method == "dns/txt" || method == "dns";  // "dns": the drafts' spelling
    }
    if (!dns) return Bad("unsupported query method q=");
  }
  uint64_t n;
  if (auto t = tags->Get("t")) {
    if (!ParseNumber(*t, &n)) return Bad("t= is not a number");
    sig.timestamp = static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX));
  }
  if (auto x = tags->Get("x")) {
    if (!ParseNumber(*x, &n)) return Bad("x= is not a number");
    sig.expiration = static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX));
    if (sig.timestamp && *sig.expiration < *sig.timestamp) return Bad("x= is before t=");
  }
  return sig;
}

absl::StatusOr<KeyRecord> ParseKeyRecord(std::string_view txt) {
  auto tags = TagList::Parse(txt);
  if (!tags.ok()) return Bad(absl::StrCat("malformed key record: ", tags.status().message()));
  KeyRecord key;
  if (auto v = tags->Get("v"); v && *v != "DKIM1") return Bad("key record v= is not DKIM1");
  if (auto k = tags->Get("k")) {
    std::string type = Lower(*k);
    if (type == "rsa")
      key.type = KeyRecord::Type::kRsa;
    else if (type == "ed25519")
      key.type = KeyRecord::Type::kEd25519;
    else
      return Bad("unknown key type k=" + type);
  }
  auto p = tags->Get("p");
  if (!p) return Bad("key record missing p=");
  std::string stripped = StripWhitespace(*p);
  if (!stripped.empty()) {
    auto decoded = Base64Decode(stripped);
    if (!decoded || decoded->empty()) return Bad("key p= is not base64");
    key.public_key = *decoded;
  }
  if (auto h = tags->Get("h")) {
    key.allows_sha1 = key.allows_sha256 = false;
    for (absl::string_view alg : absl::StrSplit(AsAbsl(*h), ':')) {
      std::string a = absl::AsciiStrToLower(absl::StripAsciiWhitespace(alg));
      key.allows_sha1 |= a == "sha1";
      key.allows_sha256 |= a == "sha256";
    }
  }
  if (auto s = tags->Get("s")) {
    bool email = false;
    for (absl::string_view st : absl::StrSplit(AsAbsl(*s), ':')) {
      auto t = absl::StripAsciiWhitespace(st);
      email |= t == "*" || absl::AsciiStrToLower(t) == "email";
    }
    if (!email) return Bad("key is not for email (s=)");
  }
  if (auto g = tags->Get("g")) key.granularity = std::string(*g);
  if (auto t = tags->Get("t")) {
    for (absl::string_view flag : absl::StrSplit(AsAbsl(*t), ':')) {
      auto f = absl::StripAsciiWhitespace(flag);
      key.testing |= f == "y";
      key.strict_identity |= f == "s";
    }
  }
  return key;
}

std::string WithoutSignatureValue(std::string_view field) {
  size_t colon = field.find(':');
  if (colon == std::string_view::npos) return std::string(field);
  std::string out(field.substr(0, colon + 1));
  std::string_view rest = field.substr(colon + 1);
  while (true) {
    size_t semi = rest.find(';');
    std::string_view spec = rest.substr(0, semi);
    size_t eq = spec.find('=');
    std::string_view name = eq == std::string_view::npos ? spec : spec.substr(0, eq);
    auto trimmed = absl::StripAsciiWhitespace(AsAbsl(name));
    if (trimmed == "b" && eq != std::string_view::npos) {
      out.append(spec.substr(0, eq + 1));  // keep "b=", drop the value
    } else {
      out.append(spec);
    }
    if (semi == std::string_view::npos) break;
    out.push_back(';');
    rest.remove_prefix(semi + 1);
  }
  return out;
}

}  // namespace repd::dkim
