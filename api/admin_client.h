// admin_client.h -- the admin API seen from the other side: `repd import --url` sends
// operator listings to a running repd through POST /v1/overrides. Beast stays behind this
// header, so cmd/ needs none of it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "reputation/reputation.h"

namespace repd::api {

struct PostOverridesOptions {
  // Overrides per request. 50,000 rbldnsd entries are about 7 MB of NDJSON; a batch the
  // server refuses as too large (413) is halved and sent again.
  size_t batch = 50000;
  // Seconds for each request: connecting, sending, and the server storing the batch.
  double timeout = 300;
  // While the server answers 503 (still starting, store unavailable), try again for this long.
  double retry_for = 30;
  // Called after each stored batch with the number of overrides sent so far.
  std::function<void(size_t sent)> progress;
};

struct PostOverridesResult {
  size_t accepted = 0;
  std::vector<std::string> rejected;  // "SUBJECT: why", one per override the server refused
  size_t requests = 0;                // batches stored
  size_t batch = 0;                   // overrides per request now (smaller after a 413)
};

// OK when `url` has the shape OverridesPoster needs; else why not, in one line.
absl::Status CheckAdminUrl(std::string_view url);

// Sends overrides to `url` ("http://HOST[:PORT]", with an optional path prefix) with the
// admin bearer `token`, in batches over one kept-alive connection, as many Send calls as the
// caller has batches (an importer reading a file sends as it reads). Overrides the server
// refuses one by one (a bad line) are listed in the result; anything that stops the import
// is an error in one line: a refused connection or a server that stays unavailable
// (Unavailable), a token that is wrong (Unauthenticated) or not an admin's
// (PermissionDenied), an override too large for the server (ResourceExhausted). Batches
// stored before an error stay stored; sending everything again is harmless.
class OverridesPoster {
 public:
  // InvalidArgument for a bad URL, Unauthenticated without a token.
  static absl::StatusOr<std::unique_ptr<OverridesPoster>> Create(std::string_view url,
                                                                 std::string_view token,
                                                                 PostOverridesOptions options = {});
  ~OverridesPoster();

  absl::Status Send(const std::vector<reputation::Override>& overrides);
  const PostOverridesResult& result() const;

 private:
  struct Impl;
  explicit OverridesPoster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace repd::api
