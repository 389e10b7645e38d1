// repd_process.h -- integration-test support: the real repd binary on free loopback ports,
// a minimal HTTP/1.1 client, and shell helpers.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace repd::testing {

// A fresh empty directory under $TMPDIR, removed when the process exits, unless a test failed
// (so that its logs and data can be read) or REPD_KEEP_TEST_DIRS is set.
std::string MakeTempDir(const std::string& prefix);

// A port that is free for both UDP and TCP on 127.0.0.1 right now.
int PickFreePort();

// Runs `command` with /bin/sh, returns its stdout; *exit_code gets the exit status.
std::string RunCommand(const std::string& command, int* exit_code = nullptr);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

// SHA-256 hex of `text` (to put bearer tokens into a config).
std::string Sha256Hex(const std::string& text);

struct HttpResponse {
  int status = 0;                              // 0: no connection / no answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One request on its own connection (Connection: close).
HttpResponse HttpRequest(int port, const std::string& method, const std::string& target,
                         const std::string& body = {},
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

struct RepdOptions {
  std::string data_dir;     // empty: a new temp dir
  std::string config_text;  // TOML written to a file in the data dir's parent; empty: none
  std::vector<std::string> extra_args;
  int dns_port = 0;   // 0: pick
  int http_port = 0;  // 0: pick
};

class RepdProcess {
 public:
  // Starts `$REPD_BINARY serve` and waits (up to 30 s) until GET /healthz answers 200.
  // Returns nullptr (and logs the child's stderr) if it does not come up.
  static std::unique_ptr<RepdProcess> Start(RepdOptions options);
  ~RepdProcess();

  int dns_port() const { return options_.dns_port; }
  int http_port() const { return options_.http_port; }
  const std::string& data_dir() const { return options_.data_dir; }
  const RepdOptions& options() const { return options_; }
  std::string Stderr() const;

  // Sends `signal` and waits for the exit; returns the wait status.
  int Stop(int signal = 15);
  bool running() const { return pid_ > 0; }

  // Binary path from $REPD_BINARY (set by ctest).
  static std::string BinaryPath();

 private:
  RepdProcess() = default;
  RepdOptions options_;
  std::string stderr_path_;
  pid_t pid_ = -1;
};

}  // namespace repd::testing
