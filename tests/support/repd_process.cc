#include "tests/support/repd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "gtest/gtest.h"

namespace repd::testing {

namespace {

// The directories this process made, removed when it exits: a full test run made hundreds,
// with data dirs of up to a few hundred MB, and filled /tmp across runs.
class TempDirs {
 public:
  static TempDirs& Get() {
    static TempDirs* dirs = [] {
      auto* d = new TempDirs;  // never destroyed: the exit hook still reads it
      std::atexit([] { Get().RemoveAll(); });
      return d;
    }();
    return *dirs;
  }
  void Add(const std::string& dir) {
    std::lock_guard lock(mu_);
    dirs_.push_back(dir);
  }

 private:
  void RemoveAll() {
    // Kept for a look after a failing test, or on request.
    if (::testing::UnitTest::GetInstance()->Failed() || std::getenv("REPD_KEEP_TEST_DIRS")) {
      return;
    }
    std::lock_guard lock(mu_);
    for (const auto& dir : dirs_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  TempDirs::Get().Add(templ);
  return templ;
}

namespace {

bool CanBind(int type, int port) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

int PickFreePort() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    close(fd);
    if (CanBind(SOCK_STREAM, port) && CanBind(SOCK_DGRAM, port)) return port;
  }
  throw std::runtime_error("no free port");
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    if (exit_code) *exit_code = -1;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

HttpResponse HttpRequest(int port, const std::string& method, const std::string& target,
                         const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResponse response;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return response;
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return response;
  }
  std::ostringstream req;
  req << method << ' ' << target << " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req << k << ": " << v << "\r\n";
    if (strcasecmp(k.c_str(), "content-type") == 0) has_type = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!has_type) req << "Content-Type: application/json\r\n";
    req << "Content-Length: " << body.size() << "\r\n";
  }
  req << "\r\n" << body;
  std::string data = req.str();
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[8192];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) return response;
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  response.status = std::atoi(line.c_str() + line.find(' ') + 1);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = line.find_first_not_of(' ', colon + 1);
    response.headers[name] = v == std::string::npos ? "" : line.substr(v);
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

std::string RepdProcess::BinaryPath() {
  const char* bin = std::getenv("REPD_BINARY");
  return bin ? bin : "build/repd";
}

std::unique_ptr<RepdProcess> RepdProcess::Start(RepdOptions options) {
  std::unique_ptr<RepdProcess> p(new RepdProcess);
  if (options.data_dir.empty()) options.data_dir = MakeTempDir("repd-data") + "/var";
  if (options.dns_port == 0) options.dns_port = PickFreePort();
  if (options.http_port == 0) options.http_port = PickFreePort();
  std::string base = options.data_dir + ".run";
  mkdir(base.c_str(), 0755);
  p->stderr_path_ = base + "/stderr.log";
  std::vector<std::string> args = {
      BinaryPath(),    "serve",
      "--data-dir",    options.data_dir,
      "--dns-listen",  "127.0.0.1:" + std::to_string(options.dns_port),
      "--http-listen", "127.0.0.1:" + std::to_string(options.http_port)};
  if (!options.config_text.empty()) {
    std::string config = base + "/repd.toml";
    WriteFile(config, options.config_text);
    args.insert(args.begin() + 2, {"--config", config});
  }
  for (const auto& a : options.extra_args) args.push_back(a);
  p->options_ = options;

  pid_t pid = fork();
  if (pid == 0) {
    FILE* err = std::fopen(p->stderr_path_.c_str(), "a");
    if (err) dup2(fileno(err), 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  p->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      std::cerr << "repd exited during start-up:\n" << p->Stderr();
      return nullptr;
    }
    if (HttpRequest(options.http_port, "GET", "/healthz").status == 200) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "repd did not become healthy:\n" << p->Stderr();
  p->Stop(SIGKILL);
  return nullptr;
}

std::string RepdProcess::Stderr() const { return ReadFile(stderr_path_); }

int RepdProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

RepdProcess::~RepdProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

}  // namespace repd::testing
