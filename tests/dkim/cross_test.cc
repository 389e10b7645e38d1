// Cross-implementation: what repd signs verifies with dkimpy (Debian's python3-dkim) and
// with libopendkim (the shared benchmark's verifier, keys from a file, no network), for
// rsa-sha256 and ed25519-sha256, CRLF and bare LF, folded headers, trailing white space, an
// empty body, l= and 8-bit headers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "dkim/crypto.h"
#include "dkim/signer.h"
#include "tests/support/repd_process.h"

namespace repd::dkim {
namespace {

std::string Shell(const std::string& command, int* code) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

struct Sample {
  std::string name, message;
  SignOptions options;
};

std::vector<Sample> Samples(const std::string& rsa_selector, const std::string& ed_selector) {
  const std::string crlf =
      "From: Zoë <zoe@example.com>\r\nTo: bob@example.net\r\nSubject: Grüße   aus\r\n\tBerlin \r\n"
      "Date: Mon, 1 Jan 2026 00:00:00 +0000\r\n\r\nline with trailing   \r\n\r\n\r\n";
  std::string lf;
  for (char c : crlf) {
    if (c != '\r') lf += c;
  }
  const std::string empty_body = "From: a@example.com\r\nSubject: nothing\r\n\r\n";
  std::vector<Sample> out;
  for (auto [alg, sel, tag] : {std::tuple{Algorithm::kRsaSha256, rsa_selector, "rsa"},
                               std::tuple{Algorithm::kEd25519Sha256, ed_selector, "ed"}}) {
    for (auto [hc, bc, ctag] : {std::tuple{Canon::kRelaxed, Canon::kRelaxed, "rr"},
                                std::tuple{Canon::kSimple, Canon::kSimple, "ss"}}) {
      SignOptions o;
      o.domain = "example.com";
      o.selector = sel;
      o.algorithm = alg;
      o.header_canon = hc;
      o.body_canon = bc;
      std::string base = std::string(tag) + "-" + ctag;
      out.push_back({base + "-crlf", crlf, o});
      out.push_back({base + "-lf", lf, o});
      out.push_back({base + "-empty", empty_body, o});
      SignOptions with_l = o;
      with_l.body_length = true;
      out.push_back({base + "-l", crlf, with_l});
    }
  }
  return out;
}

TEST(CrossImplementationTest, RepdSignaturesVerifyWithDkimpyAndLibopendkim) {
  const char* shared = std::getenv("REPD_SHARED_DIR");
  std::string harness =
      std::string(shared ? shared : "../shared") + "/bench/dkim/verify_libopendkim.c";
  int code = 0;
  Shell("/usr/bin/python3 -c 'import dkim'", &code);
  if (code != 0) GTEST_SKIP() << "python3-dkim is not installed";
  std::string dir = ::repd::testing::MakeTempDir("repd-cross");
  auto rsa = GenerateKey(Algorithm::kRsaSha256, 2048);
  auto ed = GenerateKey(Algorithm::kEd25519Sha256, 0);
  ASSERT_TRUE(rsa.ok() && ed.ok());
  auto rsa_key = PrivateKeyFromPem(rsa->first);
  auto ed_key = PrivateKeyFromPem(ed->first);
  std::string rsa_txt = "v=DKIM1; k=rsa; p=" + rsa->second;
  std::string ed_txt = "v=DKIM1; k=ed25519; p=" + ed->second;
  std::ofstream(dir + "/keys.txt") << "rsa._domainkey.example.com " << rsa_txt << "\n"
                                   << "ed._domainkey.example.com " << ed_txt << "\n";
  Shell("mkdir -p " + dir + "/msgs " + dir + "/rsa/msgs", &code);
  std::ofstream(dir + "/rsa/keys.txt") << "rsa._domainkey.example.com " << rsa_txt << "\n";
  int signed_count = 0, rsa_count = 0;
  for (const auto& s : Samples("rsa", "ed")) {
    const Pkey& key = s.options.algorithm == Algorithm::kRsaSha256 ? *rsa_key : *ed_key;
    auto field = SignMessage(s.message, key, s.options);
    ASSERT_TRUE(field.ok()) << s.name << ": " << field.status();
    bool crlf = s.message.find("\r\n") != std::string::npos;
    std::string header = *field;
    if (!crlf) header.erase(std::remove(header.begin(), header.end(), '\r'), header.end());
    std::string text = header + (crlf ? "\r\n" : "\n") + s.message;
    std::ofstream(dir + "/msgs/" + s.name + ".eml", std::ios::binary) << text;
    // libopendkim reads CRLF messages; its harness has RSA keys only in Debian's build.
    if (crlf && s.options.algorithm == Algorithm::kRsaSha256) {
      std::ofstream(dir + "/rsa/msgs/" + s.name + ".eml", std::ios::binary) << text;
      ++rsa_count;
    }
    ++signed_count;
  }
  std::ofstream(dir + "/verify.py") << R"(
import dkim, glob, sys
d = sys.argv[1]
keys = dict(l.split(None, 1) for l in open(d + "/keys.txt").read().splitlines())
bad = []
for path in sorted(glob.glob(d + "/msgs/*.eml")):
    msg = open(path, "rb").read()
    if not dkim.verify(msg, dnsfunc=lambda n, timeout=5: keys[n.decode().rstrip(".")].encode()):
        bad.append(path)
print("dkimpy failures:", bad)
sys.exit(1 if bad else 0)
)";
  std::string out = Shell("/usr/bin/python3 " + dir + "/verify.py " + dir, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(signed_count, 16);

  if (Shell("cc -O2 -o " + dir + "/verify_libopendkim " + harness + " -lopendkim", &code);
      code != 0) {
    GTEST_SKIP() << "libopendkim-dev is not installed";
  }
  out = Shell(dir + "/verify_libopendkim " + dir + "/rsa 0.001", &code);
  EXPECT_NE(out.find(" failures=0 "), std::string::npos) << out;
  EXPECT_EQ(out.find("messages=0 "), std::string::npos) << out;
  EXPECT_EQ(rsa_count, 6);
}

}  // namespace
}  // namespace repd::dkim

#include "tests/dkim/fake_dns.h"
#include "tests/dkim/verify_support.h"

namespace repd::dkim {
namespace {

// OpenDKIM signs (opendkim-testmsg signs rsa-sha1 only): repd verifies its signatures in
// legacy mode and, by default, refuses them as RFC 8301 requires.
TEST(CrossImplementationTest, OpendkimSignedMessagesVerify) {
  int code = 0;
  Shell("command -v opendkim-testmsg || test -x /usr/sbin/opendkim-testmsg", &code);
  if (code != 0) GTEST_SKIP() << "opendkim-tools is not installed";
  std::string dir = ::repd::testing::MakeTempDir("repd-opendkim");
  auto rsa = GenerateKey(Algorithm::kRsaSha256, 2048);
  ASSERT_TRUE(rsa.ok());
  std::ofstream(dir + "/key.pem") << rsa->first;
  testing::FakeDns dns({{"od._domainkey.example.com",
                         {testing::FakeRecord::Kind::kTxt, "v=DKIM1; k=rsa; p=" + rsa->second}}});
  const std::vector<std::string> messages = {
      "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: via  opendkim \r\n"
      "\tfolded\r\nDate: Mon, 1 Jan 2026 00:00:00 +0000\r\n\r\nHello   \r\n\r\n\r\n",
      // 8-bit header text. opendkim-testmsg itself refuses an empty body or a short header
      // block ("dkim_chunk(): Syntax error"), hence the body line and the To and Date fields.
      "From: Zoë <zoe@example.com>\r\nTo: bob@example.net\r\nSubject: Grüße\r\n"
      "Date: Mon, 1 Jan 2026 00:00:00 +0000\r\n\r\nok\r\n",
  };
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string in = dir + "/m" + std::to_string(i) + ".eml";
    std::ofstream(in, std::ios::binary) << messages[i];
    std::string signed_message =
        Shell("PATH=$PATH:/usr/sbin opendkim-testmsg -C -d example.com -s od -k " + dir +
                  "/key.pem < " + in,
              &code);
    ASSERT_EQ(code, 0) << signed_message;
    ASSERT_NE(signed_message.find("DKIM-Signature:"), std::string::npos) << signed_message;
    VerifierOptions legacy;
    legacy.legacy = true;
    auto r = testing::VerifyWith(dns.server(), signed_message, legacy);
    ASSERT_EQ(r.signatures.size(), 1u);
    EXPECT_EQ(r.result, Result::kPass) << i << ": " << r.signatures[0].reason;
    r = testing::VerifyWith(dns.server(), signed_message);
    EXPECT_EQ(r.result, Result::kPermError) << i;
    EXPECT_NE(r.signatures[0].reason.find("RFC 8301"), std::string::npos);
  }
}

}  // namespace
}  // namespace repd::dkim
