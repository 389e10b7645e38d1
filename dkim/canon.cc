#include "dkim/canon.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace repd::dkim {

namespace {
bool IsWsp(char c) { return c == ' ' || c == '\t'; }

// The next '\n' in [p, p + n) (n when there is none), and whether the bytes before it hold a
// tab or two adjacent spaces: the only things relaxed canonicalisation changes inside a line.
// Both in one pass, 16 bytes per step; the body of a message is mostly such scanning.
struct LineScan {
  size_t newline;
  bool needs_relaxing;
};

LineScan ScanLine(const char* p, size_t n) {
  bool relax = false;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n'), tab = _mm_set1_epi8('\t'),
                space = _mm_set1_epi8(' ');
  uint32_t space_before = 0;  // bit 0: the byte before this block is a space
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const auto nl = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)));
    const auto tabs = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab)));
    const auto spaces = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, space)));
    // Bit j: byte j is a tab, or a space after a space.
    const uint32_t relaxable = tabs | (spaces & ((spaces << 1) | space_before));
    if (nl != 0) {
      const int at = std::countr_zero(nl);
      return {i + static_cast<size_t>(at), relax || (relaxable & ((1u << at) - 1)) != 0};
    }
    relax = relax || relaxable != 0;
    space_before = spaces >> 15;
  }
#endif
  for (; i < n; ++i) {
    const char c = p[i];
    if (c == '\n') return {i, relax};
    if (c == '\t' || (c == ' ' && i > 0 && p[i - 1] == ' ')) relax = true;
  }
  return {n, relax};
}

// For a line without its line break.
bool NeedsRelaxing(std::string_view line) {
  return ScanLine(line.data(), line.size()).needs_relaxing;
}
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
  for (char c : name)
    out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
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
  out_.reserve(16384 + 1024);
}

BodyHasher::~BodyHasher() { EVP_MD_CTX_free(ctx_); }

const EVP_MD* Sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

const EVP_MD* Sha1() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

void BodyHasher::Emit(std::string_view bytes) {
  total_ += bytes.size();
  if (limit_) {
    if (hashed_ >= *limit_) return;
    bytes = bytes.substr(0, std::min<uint64_t>(bytes.size(), *limit_ - hashed_));
  }
  hashed_ += bytes.size();
  out_.append(bytes);
  if (out_.size() >= 16384) Flush();
}

void BodyHasher::Flush() {
  EVP_DigestUpdate(ctx_, out_.data(), out_.size());
  out_.clear();
}

void BodyHasher::Line(std::string_view line) {
  if (canon_ == Canon::kRelaxed) {
    while (!line.empty() && IsWsp(line.back())) line.remove_suffix(1);
  }
  if (line.empty()) {
    ++pending_empty_;
    return;
  }
  for (; pending_empty_ > 0; --pending_empty_) Emit("\r\n");
  if (canon_ == Canon::kSimple || limit_) {
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
      line = scratch_;
    }
    Emit(line);
    Emit("\r\n");
    return;
  }
  // Relaxed without l=. Most lines hold no tab and no double space: already canonical.
  if (!NeedsRelaxing(line)) {
    out_.append(line);
    out_.append("\r\n", 2);
    total_ += line.size() + 2;
    hashed_ += line.size() + 2;
    if (out_.size() >= 16384) Flush();
    return;
  }
  size_t old = out_.size();
  out_.resize(old + line.size() + 2);
  char* w = out_.data() + old;
  bool space = false;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) *w++ = ' ';
    space = false;
    *w++ = c;
  }
  *w++ = '\r';
  *w++ = '\n';
  size_t produced = static_cast<size_t>(w - (out_.data() + old));
  out_.resize(old + produced);
  total_ += produced;
  hashed_ += produced;
  if (out_.size() >= 16384) Flush();
}

void BodyHasher::Update(std::string_view chunk) {
  // A run of whole CRLF lines that are already canonical is hashed straight from the
  // caller's buffer: most of a body is, and then it is never copied.
  const char* run = nullptr;
  size_t run_len = 0;
  auto flush_run = [&] {
    if (run_len == 0) return;
    Flush();
    EVP_DigestUpdate(ctx_, run, run_len);
    run_len = 0;
  };
  while (!chunk.empty()) {
    const LineScan scan = ScanLine(chunk.data(), chunk.size());
    const size_t nl = scan.newline;
    if (nl == chunk.size()) {
      flush_run();
      partial_.append(chunk);
      return;
    }
    std::string_view piece = chunk.substr(0, nl);
    if (partial_.empty() && !limit_ && pending_empty_ == 0 && nl >= 2 && piece.back() == '\r') {
      std::string_view line = piece.substr(0, nl - 1);
      bool canonical = canon_ == Canon::kSimple || (!IsWsp(line.back()) && !scan.needs_relaxing);
      if (canonical) {
        if (run_len == 0) run = chunk.data();
        run_len += nl + 1;
        total_ += nl + 1;
        hashed_ += nl + 1;
        chunk.remove_prefix(nl + 1);
        continue;
      }
    }
    flush_run();
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
  flush_run();
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
  Flush();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, digest, &len);
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace repd::dkim
