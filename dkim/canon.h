// canon.h -- RFC 6376 section 3.4 canonicalisation: header fields, and bodies streamed
// straight into a hash without keeping a copy.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace repd::dkim {

enum class Canon { kSimple, kRelaxed };

// One header field, as it appeared: "Name: value" with its folding, without the final CRLF
// (the canonical form ends with one).
// simple: unchanged. relaxed: lower-case name, unfolded, white space runs as one SP, no
// white space around the colon or at the end, then CRLF.
void CanonicalizeHeader(Canon canon, std::string_view field, std::string* out);

// Hashes a canonical body as it streams by, line by line, stopping after `limit` octets
// (the l= tag) when given. Trailing empty lines are held back until more text follows, so
// they are dropped at the end as the RFC requires.
class BodyHasher {
 public:
  BodyHasher(Canon canon, const EVP_MD* md, std::optional<uint64_t> limit);
  ~BodyHasher();
  BodyHasher(const BodyHasher&) = delete;
  BodyHasher& operator=(const BodyHasher&) = delete;

  // Body bytes in any chunking; CRLF or bare LF line ends.
  void Update(std::string_view chunk);
  // The digest, and how many canonical octets the body had (before the limit).
  std::string Finish();
  uint64_t canonical_length() const { return total_; }

  Canon canon() const { return canon_; }
  const EVP_MD* md() const { return md_; }
  std::optional<uint64_t> limit() const { return limit_; }

 private:
  void Line(std::string_view line);  // one line without its line end
  void Emit(std::string_view bytes);
  void Flush();

  Canon canon_;
  const EVP_MD* md_;
  std::optional<uint64_t> limit_;
  EVP_MD_CTX* ctx_;
  std::string partial_;         // an unfinished line
  uint64_t pending_empty_ = 0;  // empty lines not yet known to be followed by text
  uint64_t total_ = 0;          // canonical octets seen
  uint64_t hashed_ = 0;         // octets hashed (<= limit)
  std::string scratch_;
  std::string out_;  // canonical bytes not yet hashed: one digest update per 16 KiB
};

// SHA-256 and SHA-1, fetched once: implicit fetches take a lock on every use (OpenSSL 3).
const EVP_MD* Sha256();
const EVP_MD* Sha1();

}  // namespace repd::dkim
