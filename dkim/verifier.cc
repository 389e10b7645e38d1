// verifier.cc -- one message through DKIM verification: headers buffered, the body streamed
// into shared body hashers, keys looked up asynchronously (deduplicated and capped), then
// every signature judged.
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "dkim/canon.h"
#include "dkim/crypto.h"
#include "dkim/dkim.h"
#include "dkim/message.h"
#include "dkim/signature.h"
#include "reputation/subject.h"

namespace repd::dkim {

std::string_view ResultName(Result r) {
  switch (r) {
    case Result::kNone:
      return "none";
    case Result::kPass:
      return "pass";
    case Result::kFail:
      return "fail";
    case Result::kNeutral:
      return "neutral";
    case Result::kPolicy:
      return "policy";
    case Result::kTempError:
      return "temperror";
    case Result::kPermError:
      return "permerror";
  }
  return "none";
}

Verifier::Verifier(KeyResolver& resolver, VerifierOptions options)
    : resolver_(resolver), options_(std::move(options)) {}
Verifier::~Verifier() = default;

namespace {

struct Candidate {
  std::string field_text;  // the DKIM-Signature field as it appeared
  absl::StatusOr<Signature> parsed = absl::UnknownError("");
  BodyHasher* body = nullptr;
  std::string key_name;
  bool lookup_capped = false;
};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  }
  return out + "\"";
}

// Parsing a public key costs as much as checking a signature with it: parsed keys are kept
// by their record text (a few hundred keys; the resolver's cache decides freshness).
absl::StatusOr<std::shared_ptr<const Pkey>> CachedKey(const std::string& txt,
                                                      const KeyRecord& record) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Pkey>> cache;
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(txt); it != cache.end()) return it->second;
  }
  auto key = PublicKeyFromRecord(record);
  if (!key.ok()) return key.status();
  auto shared = std::make_shared<const Pkey>(std::move(*key));
  std::lock_guard lock(mu);
  if (cache.size() >= 1024) cache.clear();
  cache[txt] = shared;
  return shared;
}

// RFC 4871 g=: the local part, with one optional '*' matching any run of characters.
bool GranularityMatches(std::string_view pattern, std::string_view local) {
  if (pattern.empty()) return false;  // "An empty g= value never matches any addresses."
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == local;
  std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  return local.size() >= head.size() + tail.size() && local.substr(0, head.size()) == head &&
         local.substr(local.size() - tail.size()) == tail;
}

// The data that the signature covers: the h= fields picked bottom-up, then the signature
// field itself without its b= value and without a final CRLF.
std::string SignedHeaderData(const Signature& sig, const std::vector<HeaderField>& fields,
                             std::string_view signature_field) {
  std::string data;
  std::vector<bool> used(fields.size(), false);
  for (const auto& name : sig.headers) {
    for (size_t i = fields.size(); i-- > 0;) {
      if (!used[i] && fields[i].name == name) {
        used[i] = true;
        CanonicalizeHeader(sig.header_canon, fields[i].text, &data);
        break;
      }
    }
  }
  std::string self;
  CanonicalizeHeader(sig.header_canon, WithoutSignatureValue(signature_field), &self);
  if (self.size() >= 2) self.resize(self.size() - 2);
  return data + self;
}

class SessionImpl final : public Verifier::Session,
                          public std::enable_shared_from_this<SessionImpl> {
 public:
  SessionImpl(KeyResolver& resolver, const VerifierOptions& options)
      : resolver_(resolver), options_(options) {}

  absl::Status Feed(std::string_view chunk) override {
    size_ += chunk.size();
    if (size_ > options_.max_message_bytes) {
      failed_ = true;
      return absl::ResourceExhaustedError(absl::StrCat("message larger than the maximum of ",
                                                       options_.max_message_bytes, " bytes"));
    }
    if (in_body_) {
      for (auto& h : hashers_) h->Update(chunk);
      return absl::OkStatus();
    }
    // Only the header block is copied; the body is hashed from the caller's buffer.
    const size_t end = EndOfHeadersIn(chunk);
    if (end == std::string_view::npos) {
      header_.append(chunk);
      if (header_.size() > kMaxHeaderBytes) {
        failed_ = true;
        return absl::ResourceExhaustedError("header block larger than 1 MiB");
      }
      return absl::OkStatus();
    }
    header_.append(chunk.substr(0, end));
    StartBody();
    for (auto& h : hashers_) h->Update(chunk.substr(end));
    return absl::OkStatus();
  }

  void Finish(std::function<void(MessageResult)> done) override {
    if (!in_body_) StartBody();
    for (auto& h : hashers_) body_hashes_[h.get()] = h->Finish();
    done_ = std::move(done);
    if (failed_) {
      MessageResult r;
      r.result = Result::kPermError;
      r.authentication_results =
          options_.authserv_id + "; dkim=permerror reason=\"message too large\"";
      done_(std::move(r));
      return;
    }
    // One lookup per distinct key, at most max_key_lookups of them.
    std::vector<std::string> names;
    for (auto& c : candidates_) {
      if (!c.parsed.ok()) continue;
      c.key_name = c.parsed->selector + "._domainkey." + c.parsed->domain;
      if (std::find(names.begin(), names.end(), c.key_name) != names.end()) continue;
      if (static_cast<int>(names.size()) >= options_.max_key_lookups) {
        c.lookup_capped = true;
        continue;
      }
      names.push_back(c.key_name);
    }
    if (names.empty()) {
      Judge();
      return;
    }
    pending_ = names.size();
    auto self = shared_from_this();
    for (const auto& name : names) {
      resolver_.Lookup(name, [self, name](KeyResolver::Answer answer) {
        bool last;
        {
          std::lock_guard lock(self->mu_);
          self->answers_[name] = std::move(answer);
          last = --self->pending_ == 0;
        }
        if (last) self->Judge();
      });
    }
  }

 private:
  static constexpr size_t kMaxHeaderBytes = 1 << 20;

  // The offset in `chunk` of the first body byte: just after the blank line that ends the
  // header block ("\n\n" or "\n\r\n"), which may begin in the bytes held from earlier chunks.
  // npos when the header block goes on.
  size_t EndOfHeadersIn(std::string_view chunk) const {
    const auto held = static_cast<ptrdiff_t>(std::min<size_t>(header_.size(), 2));
    const auto size = static_cast<ptrdiff_t>(chunk.size());
    auto at = [&](ptrdiff_t i) { return i < 0 ? header_[header_.size() + i] : chunk[i]; };
    auto ends_at = [&](ptrdiff_t nl) -> ptrdiff_t {  // nl holds '\n'
      if (nl + 1 < size && at(nl + 1) == '\n') return nl + 2;
      if (nl + 2 < size && at(nl + 1) == '\r' && at(nl + 2) == '\n') return nl + 3;
      return -1;
    };
    for (ptrdiff_t i = -held; i < 0; ++i) {
      if (at(i) != '\n') continue;
      if (const ptrdiff_t end = ends_at(i); end >= 0) return static_cast<size_t>(end);
    }
    for (size_t i = chunk.find('\n'); i != std::string_view::npos; i = chunk.find('\n', i + 1)) {
      if (const ptrdiff_t end = ends_at(static_cast<ptrdiff_t>(i)); end >= 0)
        return static_cast<size_t>(end);
    }
    return std::string_view::npos;
  }

  void StartBody() {
    in_body_ = true;
    // Header lines as CRLF, whatever the input used.
    std::string normalized;
    normalized.reserve(header_.size() + 64);
    for (size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == '\n' && (i == 0 || header_[i - 1] != '\r')) normalized += '\r';
      normalized += header_[i];
    }
    header_ = std::move(normalized);
    fields_ = SplitHeaders(header_);
    for (const auto& f : fields_) {
      if (f.name != "dkim-signature") continue;
      Candidate c;
      c.field_text = std::string(f.text);
      if (static_cast<int>(candidates_.size()) >= options_.max_signatures) {
        c.parsed = absl::InvalidArgumentError(
            absl::StrCat("not evaluated: more than ", options_.max_signatures, " signatures"));
        candidates_.push_back(std::move(c));
        continue;
      }
      c.parsed = ParseSignature(f.text.substr(f.text.find(':') + 1));
      if (c.parsed.ok()) c.body = HasherFor(*c.parsed);
      candidates_.push_back(std::move(c));
    }
  }

  BodyHasher* HasherFor(const Signature& sig) {
    const EVP_MD* md = sig.algorithm == Algorithm::kRsaSha1 ? Sha1() : Sha256();
    for (auto& h : hashers_) {
      if (h->canon() == sig.body_canon && h->md() == md && h->limit() == sig.length) return h.get();
    }
    hashers_.push_back(std::make_unique<BodyHasher>(sig.body_canon, md, sig.length));
    return hashers_.back().get();
  }

  SignatureResult JudgeOne(const Candidate& c) {
    SignatureResult r;
    auto verdict = [&r](Result result, std::string reason) {
      r.result = result;
      r.reason = std::move(reason);
      return r;
    };
    if (!c.parsed.ok())
      return verdict(Result::kPermError, std::string(c.parsed.status().message()));
    const Signature& sig = *c.parsed;
    r.domain = sig.domain;
    r.selector = sig.selector;
    r.algorithm = sig.algorithm_text;
    r.identity = sig.identity;
    if (sig.expiration && *sig.expiration < UnixNow()) {
      return verdict(Result::kPermError, "signature expired (x=)");
    }
    if (c.lookup_capped) {
      return verdict(Result::kPolicy, absl::StrCat("not evaluated: more than ",
                                                   options_.max_key_lookups, " keys to look up"));
    }
    const KeyResolver::Answer& answer = answers_.at(c.key_name);
    switch (answer.status) {
      case KeyResolver::Status::kNxDomain:
        return verdict(Result::kPermError, "no key for signature (" + c.key_name + ": NXDOMAIN)");
      case KeyResolver::Status::kNoData:
        return verdict(Result::kPermError, "no key for signature (" + c.key_name + ": no TXT)");
      case KeyResolver::Status::kTempFail:
        return verdict(Result::kTempError, "key lookup failed: " + answer.error);
      case KeyResolver::Status::kOk:
        break;
    }
    auto record = ParseKeyRecord(answer.txt);
    if (!record.ok()) return verdict(Result::kPermError, std::string(record.status().message()));
    if (record->public_key.empty()) return verdict(Result::kPermError, "key revoked");
    bool ed = sig.algorithm == Algorithm::kEd25519Sha256;
    if (ed != (record->type == KeyRecord::Type::kEd25519)) {
      return verdict(Result::kPermError, "key type does not match the signature algorithm");
    }
    if ((sig.algorithm == Algorithm::kRsaSha1 && !record->allows_sha1) ||
        (sig.algorithm != Algorithm::kRsaSha1 && !record->allows_sha256)) {
      return verdict(Result::kPermError, "key does not allow this hash (h=)");
    }
    if (record->strict_identity) {
      std::string host = sig.identity.substr(sig.identity.rfind('@') + 1);
      for (char& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (host != sig.domain) return verdict(Result::kPermError, "i= domain differs from d= (t=s)");
    }
    if (options_.legacy && record->granularity &&
        !GranularityMatches(*record->granularity,
                            sig.identity.substr(0, sig.identity.rfind('@')))) {
      return verdict(Result::kPermError, "i= does not match the key's granularity (g=)");
    }
    auto key = CachedKey(answer.txt, *record);
    if (!key.ok()) return verdict(Result::kPermError, std::string(key.status().message()));
    if (sig.length && *sig.length > c.body->canonical_length()) {
      return verdict(Result::kFail, "l= is longer than the body");
    }
    if (body_hashes_.at(c.body) != sig.bh) return verdict(Result::kFail, "body hash mismatch");
    std::string data = SignedHeaderData(sig, fields_, c.field_text);
    if (!VerifySignature(sig.algorithm, **key, data, sig.b)) {
      return verdict(Result::kFail, "signature did not verify");
    }
    // RFC 8301 turns a cryptographic pass into an error; a signature that does not verify is
    // a failure whatever its key.
    if (sig.algorithm == Algorithm::kRsaSha1 && !options_.legacy) {
      return verdict(Result::kPermError, "rsa-sha1 is not accepted (RFC 8301)");
    }
    if (!ed) {
      int bits = KeyBits(**key);
      int minimum = options_.legacy ? 512 : 1024;
      if (bits < minimum) {
        return verdict(Result::kPermError,
                       absl::StrCat("RSA key of ", bits, " bits is too short (RFC 8301)"));
      }
    }
    return verdict(Result::kPass, record->testing ? "testing key (t=y)" : "");
  }

  void Judge() {
    MessageResult m;
    for (const auto& c : candidates_) m.signatures.push_back(JudgeOne(c));
    std::optional<Result> error;
    bool pass = false, fail = false;
    std::string ar = options_.authserv_id;
    for (size_t i = 0; i < m.signatures.size(); ++i) {
      const auto& s = m.signatures[i];
      pass |= s.result == Result::kPass;
      fail |= s.result == Result::kFail;
      if (!error && s.result != Result::kPass && s.result != Result::kFail) error = s.result;
      if (s.result == Result::kPass) {
        if (auto d = reputation::NormalizeDomain(s.domain);
            d && std::find(m.verified_domains.begin(), m.verified_domains.end(), *d) ==
                     m.verified_domains.end()) {
          m.verified_domains.push_back(*d);
        }
      }
      absl::StrAppend(&ar, "; dkim=", std::string(ResultName(s.result)));
      if (!s.reason.empty()) absl::StrAppend(&ar, " reason=", Quote(s.reason));
      if (!s.domain.empty()) absl::StrAppend(&ar, " header.d=", s.domain);
      if (!s.identity.empty()) absl::StrAppend(&ar, " header.i=", s.identity);
      if (!s.selector.empty()) absl::StrAppend(&ar, " header.s=", s.selector);
      const auto& parsed = candidates_[i].parsed;
      if (parsed.ok()) absl::StrAppend(&ar, " header.b=", parsed->b_text.substr(0, 8));
    }
    m.result = pass ? Result::kPass : fail ? Result::kFail : error.value_or(Result::kNone);
    if (m.signatures.empty()) absl::StrAppend(&ar, "; dkim=none");
    m.authentication_results = std::move(ar);
    done_(std::move(m));
  }

  KeyResolver& resolver_;
  const VerifierOptions& options_;
  size_t size_ = 0;
  bool in_body_ = false, failed_ = false;
  std::string header_;
  std::vector<HeaderField> fields_;
  std::vector<Candidate> candidates_;
  std::vector<std::unique_ptr<BodyHasher>> hashers_;
  std::map<const BodyHasher*, std::string> body_hashes_;
  std::function<void(MessageResult)> done_;
  std::mutex mu_;
  size_t pending_ = 0;
  std::map<std::string, KeyResolver::Answer> answers_;
};

// Start() hands out a unique_ptr, the lookups need shared ownership: the wrapper forwards.
class SessionHandle final : public Verifier::Session {
 public:
  explicit SessionHandle(std::shared_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
  absl::Status Feed(std::string_view chunk) override { return impl_->Feed(chunk); }
  void Finish(std::function<void(MessageResult)> done) override { impl_->Finish(std::move(done)); }

 private:
  std::shared_ptr<SessionImpl> impl_;
};

}  // namespace

std::unique_ptr<Verifier::Session> Verifier::Start() {
  return std::make_unique<SessionHandle>(std::make_shared<SessionImpl>(resolver_, options_));
}

}  // namespace repd::dkim
