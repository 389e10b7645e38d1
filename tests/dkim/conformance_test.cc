// Mail::DKIM's corpus (../shared/conformance/mail-dkim): every message, with the DNS answers of
// FAKE_DNS.dat served over UDP by a test server and looked up by the real resolver. The
// strict column by default, the legacy column in compatibility mode.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/dkim/fake_dns.h"
#include "tests/dkim/verify_support.h"

namespace repd::dkim {
namespace {

std::string SharedDir() {
  const char* dir = std::getenv("REPD_SHARED_DIR");
  return dir ? dir : "../shared";
}

struct Case {
  std::string file, legacy, strict, why;
};

std::vector<Case> Manifest() {
  std::vector<Case> cases;
  std::ifstream in(SharedDir() + "/conformance/mail-dkim/MANIFEST.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Case c;
    std::getline(fields, c.file, '\t');
    std::getline(fields, c.legacy, '\t');
    std::getline(fields, c.strict, '\t');
    std::getline(fields, c.why);
    if (!c.file.empty()) cases.push_back(c);
  }
  return cases;
}

bool Matches(const std::string& expected, Result got) {
  if (expected == "pass") return got == Result::kPass;
  if (expected == "fail") return got == Result::kFail;
  if (expected == "none") return got == Result::kNone;
  if (expected == "not-pass") return got != Result::kPass;
  if (expected == "invalid") {
    return got == Result::kPermError || got == Result::kTempError || got == Result::kNeutral ||
           got == Result::kPolicy;
  }
  return false;
}

void RunColumn(bool legacy) {
  auto cases = Manifest();
  if (cases.empty()) GTEST_SKIP() << "no corpus at " << SharedDir() << "/conformance/mail-dkim";
  testing::FakeDns dns(
      testing::FakeDns::LoadMailDkimFile(SharedDir() + "/conformance/mail-dkim/FAKE_DNS.dat"));
  VerifierOptions options;
  options.legacy = legacy;
  int checked = 0, passed = 0;
  for (const auto& c : cases) {
    const std::string& expected = legacy ? c.legacy : c.strict;
    if (expected == "skip") continue;
    std::ifstream in(SharedDir() + "/conformance/mail-dkim/corpus/" + c.file, std::ios::binary);
    ASSERT_TRUE(in) << c.file;
    std::ostringstream text;
    text << in.rdbuf();
    MessageResult r = testing::VerifyWith(dns.server(), text.str(), options);
    ++checked;
    std::string detail;
    for (const auto& s : r.signatures) {
      detail += " [" + s.domain + " " + std::string(ResultName(s.result)) + ": " + s.reason + "]";
    }
    if (Matches(expected, r.result)) {
      ++passed;
    } else {
      ADD_FAILURE() << c.file << ": expected " << expected << " (" << c.why << "), got "
                    << ResultName(r.result) << detail;
    }
  }
  std::printf("%s column: %d/%d messages as expected\n", legacy ? "legacy" : "strict", passed,
              checked);
  EXPECT_GT(checked, 50);
}

TEST(MailDkimConformance, StrictColumn) { RunColumn(false); }
TEST(MailDkimConformance, LegacyColumn) { RunColumn(true); }

}  // namespace
}  // namespace repd::dkim
