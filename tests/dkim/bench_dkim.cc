// bench_dkim DIR [SECONDS]: verifies every message of DIR/msgs (the corpus that
// ../shared/bench/dkim/gen_msgs.py writes) in a loop on one thread, keys from DIR/keys.txt held
// in memory (the "keys cached" condition of the peers' harnesses), and prints
// verify_per_s=... like verify_libopendkim.c and verify_dkimpy.py.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "dkim/dkim.h"

namespace {

class MemoryResolver final : public repd::dkim::KeyResolver {
 public:
  explicit MemoryResolver(std::map<std::string, std::string> keys) : keys_(std::move(keys)) {}
  void Lookup(const std::string& name, Callback callback) override {
    auto it = keys_.find(name);
    if (it == keys_.end()) {
      callback({Status::kNxDomain, "", ""});
    } else {
      callback({Status::kOk, it->second, ""});
    }
  }

 private:
  std::map<std::string, std::string> keys_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [SECONDS]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  double seconds = argc > 2 ? std::atof(argv[2]) : 5;
  std::map<std::string, std::string> keys;
  std::ifstream keyfile(dir + "/keys.txt");
  std::string line;
  while (std::getline(keyfile, line)) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    keys[line.substr(0, space)] = line.substr(line.find_first_not_of(' ', space));
  }
  std::vector<std::string> messages;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/msgs")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    messages.push_back(ss.str());
  }
  if (messages.empty() || keys.empty()) {
    std::fprintf(stderr, "no messages or keys in %s\n", dir.c_str());
    return 1;
  }
  MemoryResolver resolver(keys);
  repd::dkim::Verifier verifier(resolver, {});
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  size_t verified = 0, passed = 0;
  double elapsed = 0;
  do {
    for (const auto& m : messages) {
      auto session = verifier.Start();
      (void)session->Feed(m);
      session->Finish(
          [&](repd::dkim::MessageResult r) { passed += r.result == repd::dkim::Result::kPass; });
      ++verified;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  std::printf("verify_per_s=%.0f messages=%zu passed=%zu seconds=%.2f\n", verified / elapsed,
              verified, passed, elapsed);
  return passed == verified ? 0 : 1;
}
