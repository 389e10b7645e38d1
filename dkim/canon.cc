#include "dkim/canon.h"

#include <algorithm>
#include <cctype>

namespace repd::dkim {

namespace {
bool IsWsp(char c) { return c == ' ' || c == '\t'; }
}  // namespace

void CanonicalizeHeader(Canon canon, std::string_view field, std::string* out) {
  if (canon == Canon::kSimple) {
    out->append(field);
    out->append("\r\n");
    return;
  }
  size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && IsWsp(name.back())) name.remove_suffix(1);
  for (char c : name) out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  out->push_back(':');
  if (colon == std::string_view::npos) {
    out->append("\r\n");
    return;
  }
  std::string_view value = field.substr(colon + 1);
  bool space = false, started = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;  // unfold
    if (IsWsp(c)) {
      space = true;
      continue;
    }
    if (space && started) out->push_back(' ');
    space = false;
    started = true;
    out->push_back(c);
  }
  out->append("\r\n");
}

BodyHasher::BodyHasher(Canon canon, const EVP_MD* md, std::optional<uint64_t> limit)
    : canon_(canon), md_(md), limit_(limit), ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_, md_, nullptr);
}

BodyHasher::~BodyHasher() { EVP_MD_CTX_free(ctx_); }

void BodyHasher::Emit(std::string_view bytes) {
  total_ += bytes.size();
  if (limit_) {
    if (hashed_ >= *limit_) return;
    bytes = bytes.substr(0, std::min<uint64_t>(bytes.size(), *limit_ - hashed_));
  }
  hashed_ += bytes.size();
  EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}

void BodyHasher::Line(std::string_view line) {
  if (canon_ == Canon::kRelaxed) {
    scratch_.clear();
    bool space = false;
    for (char c : line) {
      if (IsWsp(c)) {
        space = true;
        continue;
      }
      if (space) scratch_.push_back(' ');
      space = false;
      scratch_.push_back(c);
    }
    line = scratch_;  // trailing white space is gone with `space`
  }
  if (line.empty()) {
    ++pending_empty_;
    return;
  }
  for (; pending_empty_ > 0; --pending_empty_) Emit("\r\n");
  Emit(line);
  Emit("\r\n");
}

void BodyHasher::Update(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    std::string_view piece = chunk.substr(0, nl);
    chunk.remove_prefix(nl + 1);
    std::string_view line;
    if (partial_.empty()) {
      line = piece;
    } else {
      partial_.append(piece);
      line = partial_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Line(line);
    partial_.clear();
  }
}

std::string BodyHasher::Finish() {
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    if (!last.empty() && last.back() == '\r') last.pop_back();
    Line(last);
  }
  // An empty body: "\r\n" in simple canonicalisation, nothing in relaxed (RFC 6376 errata).
  if (total_ == 0 && canon_ == Canon::kSimple) Emit("\r\n");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, digest, &len);
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace repd::dkim
