// dkim.h -- the public surface of dkim/: verify (RFC 6376, RFC 8301, RFC 8463) and report
// (RFC 8601), with asynchronous cached key lookups.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace boost::asio {
class io_context;
}

namespace repd::dkim {

// RFC 8601 dkim= result values.
enum class Result { kNone, kPass, kFail, kNeutral, kPolicy, kTempError, kPermError };
std::string_view ResultName(Result r);

struct SignatureResult {
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // a=
  std::string identity;   // i=, when present
  Result result = Result::kNone;
  std::string reason;  // human words: "body hash mismatch", "key revoked", "DNS timeout"
};

struct MessageResult {
  // pass if any signature passes, else fail if any fails, else the first error, none without
  // signatures.
  Result result = Result::kNone;
  std::vector<SignatureResult> signatures;
  std::string authentication_results;  // a complete Authentication-Results header *value*
  // d= domains of signatures that passed, normalised: what reputation may trust.
  std::vector<std::string> verified_domains;
};

// Asynchronous TXT lookup of `selector._domainkey.domain`.
class KeyResolver {
 public:
  enum class Status { kOk, kNxDomain, kNoData, kTempFail };
  struct Answer {
    Status status = Status::kTempFail;
    std::string txt;    // multi-string TXT joined; the first TXT record when several
    std::string error;  // why, for kTempFail ("DNS timeout", "SERVFAIL")
  };
  using Callback = std::function<void(Answer)>;
  virtual ~KeyResolver() = default;
  // The callback runs exactly once, on the io_context the resolver was made with.
  virtual void Lookup(const std::string& name, Callback callback) = 0;
};

struct ResolverOptions {
  std::vector<std::string> servers;  // "ADDR" or "ADDR:PORT"; empty = /etc/resolv.conf
  int timeout_ms = 2000;
  int attempts = 2;
  size_t cache_entries = 100000;
  int negative_ttl_s = 300;  // used when the SOA does not give one
};

std::unique_ptr<KeyResolver> MakeDnsKeyResolver(boost::asio::io_context& io,
                                                const ResolverOptions& options);

struct VerifierOptions {
  bool legacy = false;  // accept rsa-sha1 and RSA keys >= 512 bits (RFC 8301 compatibility)
  size_t max_message_bytes = 64 * 1024 * 1024;
  int max_signatures = 10;           // signatures beyond this are not evaluated (permerror)
  int max_key_lookups = 5;           // per message
  std::string authserv_id = "repd";  // the authserv-id of Authentication-Results
};

class Verifier {
 public:
  // Streams one message through the verifier: headers, then body, in chunks of any size,
  // without copying the body.
  class Session {
   public:
    virtual ~Session() = default;
    // Error (e.g. message over max_message_bytes) ends the session.
    virtual absl::Status Feed(std::string_view chunk) = 0;
    // The callback runs once, on the resolver's io_context, when every key has answered.
    virtual void Finish(std::function<void(MessageResult)> done) = 0;
  };

  Verifier(KeyResolver& resolver, VerifierOptions options);
  ~Verifier();
  std::unique_ptr<Session> Start();

 private:
  KeyResolver& resolver_;
  VerifierOptions options_;
};

}  // namespace repd::dkim
