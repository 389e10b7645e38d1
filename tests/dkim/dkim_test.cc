// dkim/: tag lists, canonicalisation, signing and verifying through the real resolver and a
// test DNS server (NXDOMAIN, SERVFAIL, timeouts, TCP fallback, caching, the lookup cap), and
// messages signed by dkimpy.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "dkim/canon.h"
#include "dkim/crypto.h"
#include "dkim/signer.h"
#include "dkim/tags.h"
#include "tests/dkim/fake_dns.h"
#include "tests/dkim/verify_support.h"
#include "tests/support/repd_process.h"

namespace repd::dkim {
namespace {

using testing::FakeDns;
using testing::FakeRecord;
using testing::VerifyWith;

const char* kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject:  Hello   world \r\n"
    "\tfolded\r\n"
    "Date: Mon, 1 Jan 2026 00:00:00 +0000\r\n"
    "\r\n"
    "Hi Bob,  \r\n"
    "\r\n"
    "trailing spaces   \r\n"
    "\r\n"
    "\r\n";

struct Key {
  Pkey key;
  std::string record;
};

Key MakeKey(Algorithm a, int bits = 2048) {
  auto gen = GenerateKey(a, bits);
  EXPECT_TRUE(gen.ok());
  auto key = PrivateKeyFromPem(gen->first);
  EXPECT_TRUE(key.ok());
  return {std::move(*key), std::string("v=DKIM1; k=") +
                               (a == Algorithm::kEd25519Sha256 ? "ed25519" : "rsa") +
                               "; p=" + gen->second};
}

std::string Signed(const std::string& message, const Key& key, SignOptions options) {
  auto field = SignMessage(message, key.key, options);
  EXPECT_TRUE(field.ok()) << field.status();
  return *field + "\r\n" + message;
}

SignOptions Options(Algorithm a, Canon h, Canon b, const std::string& selector = "s1") {
  SignOptions o;
  o.domain = "example.com";
  o.selector = selector;
  o.algorithm = a;
  o.header_canon = h;
  o.body_canon = b;
  return o;
}

TEST(TagListTest, ParsesAndRejectsMalformedLists) {
  auto t = TagList::Parse(" v = 1 ; a=rsa-sha256;\r\n\tb = ab\r\n cd ;");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->Get("v"), "1");
  EXPECT_EQ(StripWhitespace(*t->Get("b")), "abcd");
  EXPECT_FALSE(TagList::Parse("v=1; v=1").ok());
  EXPECT_FALSE(TagList::Parse("v=1; a").ok());
  EXPECT_FALSE(TagList::Parse("v=1;; a=b").ok());
  EXPECT_FALSE(TagList::Parse("1v=1").ok());
}

std::string HashHex(Canon canon, const std::vector<std::string>& chunks) {
  BodyHasher h(canon, Sha256(), std::nullopt);
  for (const auto& c : chunks) h.Update(c);
  return Base64Encode(h.Finish());
}

TEST(CanonTest, BodiesCanonicaliseTheSameInAnyChunking) {
  // RFC 6376 3.4.5 example bodies.
  std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  EXPECT_EQ(HashHex(Canon::kRelaxed, {body}), HashHex(Canon::kRelaxed, {" C\r\nD E\r\n"}));
  EXPECT_EQ(HashHex(Canon::kSimple, {body}), HashHex(Canon::kSimple, {" C \r\nD \t E\r\n"}));
  EXPECT_EQ(HashHex(Canon::kRelaxed, {" C", " \r", "\nD \t", " E\r\n\r", "\n\r\n"}),
            HashHex(Canon::kRelaxed, {body}));
  // Bare LF is read as CRLF.
  EXPECT_EQ(HashHex(Canon::kSimple, {" C \nD \t E\n\n"}), HashHex(Canon::kSimple, {body}));
  // Empty bodies: CRLF in simple, nothing in relaxed.
  EXPECT_EQ(HashHex(Canon::kSimple, {""}), HashHex(Canon::kSimple, {"\r\n"}));
  EXPECT_EQ(HashHex(Canon::kRelaxed, {""}), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(CanonTest, RelaxedBodiesMatchALineByLineReading) {
  // Lines of spaces, tabs and letters of every length around the 16-byte steps of the scanner,
  // against RFC 6376 3.4.4 read literally, line by line.
  std::mt19937 random(7);
  std::string body, expected;
  for (int n = 0; n < 3000; ++n) {
    // Words and single spaces (already canonical), then, at a random place, maybe one thing
    // relaxing changes: a double space, a tab, or trailing white space.
    std::string line(random() % 70, 'a');
    for (char& c : line) c = random() % 4 == 0 ? ' ' : 'a';
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] == ' ' && line[i - 1] == ' ') line[i] = 'b';
    }
    const size_t at = line.empty() ? 0 : random() % line.size();
    switch (random() % 4) {
      case 0:
        line.insert(at, "  ");
        break;
      case 1:
        line.insert(at, "\t");
        break;
      case 2:
        line += " \t ";
        break;
    }
    body += line + (n % 3 == 0 ? "\n" : "\r\n");
    std::string relaxed;
    bool space = false;
    for (char c : line) {
      if (c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space) relaxed += ' ';
      space = false;
      relaxed += c;
    }
    expected += relaxed + "\r\n";
  }
  while (expected.ends_with("\r\n\r\n")) expected.resize(expected.size() - 2);
  ASSERT_FALSE(expected == "\r\n");
  EXPECT_EQ(HashHex(Canon::kRelaxed, {body}), HashHex(Canon::kSimple, {expected}));
}

TEST(CanonTest, RelaxedHeader) {
  std::string out;
  CanonicalizeHeader(Canon::kRelaxed, "SubJect :  Hello \r\n\t  World  ", &out);
  EXPECT_EQ(out, "subject:Hello World\r\n");
}

TEST(VerifyTest, SignedMessagesVerifyInEveryAlgorithmAndCanonicalisation) {
  Key rsa = MakeKey(Algorithm::kRsaSha256), ed = MakeKey(Algorithm::kEd25519Sha256);
  FakeDns dns({{"rsa._domainkey.example.com", {FakeRecord::Kind::kTxt, rsa.record}},
               {"ed._domainkey.example.com", {FakeRecord::Kind::kTxt, ed.record}}});
  for (Canon h : {Canon::kSimple, Canon::kRelaxed}) {
    for (Canon b : {Canon::kSimple, Canon::kRelaxed}) {
      for (auto [alg, key, sel] : {std::tuple{Algorithm::kRsaSha256, &rsa, "rsa"},
                                   std::tuple{Algorithm::kEd25519Sha256, &ed, "ed"}}) {
        std::string msg = Signed(kMessage, *key, Options(alg, h, b, sel));
        auto r = VerifyWith(dns.server(), msg);
        ASSERT_EQ(r.signatures.size(), 1u);
        EXPECT_EQ(r.result, Result::kPass) << sel << " " << r.signatures[0].reason;
        EXPECT_EQ(r.verified_domains, std::vector<std::string>{"example.com"});
        EXPECT_NE(r.authentication_results.find("dkim=pass header.d=example.com"),
                  std::string::npos)
            << r.authentication_results;
      }
    }
  }
}

TEST(VerifyTest, VerifiesWhereverChunksEnd) {
  Key rsa = MakeKey(Algorithm::kRsaSha256);
  FakeDns dns({{"s1._domainkey.example.com", {FakeRecord::Kind::kTxt, rsa.record}}});
  const std::string msg =
      Signed(kMessage, rsa, Options(Algorithm::kRsaSha256, Canon::kRelaxed, Canon::kRelaxed));
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{16}, msg.size()}) {
    auto r = VerifyWith(dns.server(), msg, {}, 300, chunk);
    ASSERT_EQ(r.signatures.size(), 1u) << chunk;
    EXPECT_EQ(r.result, Result::kPass) << chunk << " " << r.signatures[0].reason;
  }
}

TEST(VerifyTest, TamperingFailsWithTheReason) {
  Key rsa = MakeKey(Algorithm::kRsaSha256);
  FakeDns dns({{"s1._domainkey.example.com", {FakeRecord::Kind::kTxt, rsa.record}}});
  std::string msg =
      Signed(kMessage, rsa, Options(Algorithm::kRsaSha256, Canon::kRelaxed, Canon::kRelaxed));
  std::string body_changed = msg;
  body_changed.replace(body_changed.find("Hi Bob"), 6, "Hi Eve");
  auto r = VerifyWith(dns.server(), body_changed);
  EXPECT_EQ(r.result, Result::kFail);
  EXPECT_EQ(r.signatures[0].reason, "body hash mismatch");
  std::string header_changed = msg;
  header_changed.replace(header_changed.find("Alice"), 5, "Mallory");
  r = VerifyWith(dns.server(), header_changed);
  EXPECT_EQ(r.result, Result::kFail);
  EXPECT_EQ(r.signatures[0].reason, "signature did not verify");
  EXPECT_NE(r.authentication_results.find("reason=\"signature did not verify\""),
            std::string::npos);
  // A second From added above the signed one breaks it (From is over-signed).
  r = VerifyWith(dns.server(), "From: evil@example.org\r\n" + msg);
  EXPECT_EQ(r.result, Result::kFail);
}

TEST(VerifyTest, DnsOutcomesMapToRfc8601Results) {
  Key rsa = MakeKey(Algorithm::kRsaSha256);
  FakeDns dns({{"revoked._domainkey.example.com", {FakeRecord::Kind::kTxt, "v=DKIM1; p="}},
               {"servfail._domainkey.example.com", {FakeRecord::Kind::kServFail, ""}},
               {"slow._domainkey.example.com", {FakeRecord::Kind::kTimeout, ""}},
               {"junk._domainkey.example.com", {FakeRecord::Kind::kTxt, "v=DKIM1; p=!!!"}}});
  auto check = [&](const std::string& selector, Result expected, const std::string& reason) {
    auto r = VerifyWith(dns.server(), Signed(kMessage, rsa,
                                             Options(Algorithm::kRsaSha256, Canon::kRelaxed,
                                                     Canon::kRelaxed, selector)));
    EXPECT_EQ(r.result, expected) << selector;
    ASSERT_EQ(r.signatures.size(), 1u);
    EXPECT_NE(r.signatures[0].reason.find(reason), std::string::npos)
        << selector << ": " << r.signatures[0].reason;
  };
  check("revoked", Result::kPermError, "key revoked");
  check("missing", Result::kPermError, "NXDOMAIN");
  check("servfail", Result::kTempError, "SERVFAIL");
  check("slow", Result::kTempError, "DNS timeout");
  check("junk", Result::kPermError, "base64");
}

TEST(VerifyTest, Rfc8301RejectsShortKeysUnlessLegacy) {
  Key small = MakeKey(Algorithm::kRsaSha256, 1024);
  // A 768-bit key cannot be generated by keygen (>= 1024); use the corpus' for legacy checks.
  FakeDns dns({{"s1._domainkey.example.com", {FakeRecord::Kind::kTxt, small.record}}});
  auto r = VerifyWith(
      dns.server(),
      Signed(kMessage, small, Options(Algorithm::kRsaSha256, Canon::kRelaxed, Canon::kRelaxed)));
  EXPECT_EQ(r.result, Result::kPass) << "1024 bits is the RFC 8301 minimum";
}

TEST(VerifyTest, LongKeysComeOverTcpAndKeysAreCached) {
  Key big = MakeKey(Algorithm::kRsaSha256, 4096);
  FakeDns dns({{"s1._domainkey.example.com", {FakeRecord::Kind::kTxt, big.record}}});
  std::string msg =
      Signed(kMessage, big, Options(Algorithm::kRsaSha256, Canon::kRelaxed, Canon::kRelaxed));
  boost::asio::io_context io;
  ResolverOptions ro;
  ro.servers = {dns.server()};
  auto resolver = MakeDnsKeyResolver(io, ro);
  Verifier verifier(*resolver, {});
  for (int round = 0; round < 3; ++round) {
    auto session = verifier.Start();
    ASSERT_TRUE(session->Feed(msg).ok());
    MessageResult result;
    bool done = false;
    session->Finish([&](MessageResult r) { result = r, done = true; });
    io.restart();
    while (!done && io.run_one() > 0) {
    }
    ASSERT_EQ(result.signatures.size(), 1u);
    EXPECT_EQ(result.result, Result::kPass) << result.signatures[0].reason;
  }
  EXPECT_EQ(dns.tcp_queries(), 1) << "truncated over UDP, then TCP";
  EXPECT_EQ(dns.queries(), 2) << "one UDP + one TCP query, then the cache";
}

TEST(VerifyTest, ManySignaturesCauseAFewLookupsOnly) {
  Key rsa = MakeKey(Algorithm::kRsaSha256);
  std::map<std::string, FakeRecord> records;
  std::string msg = kMessage;
  for (int i = 0; i < 50; ++i) {
    std::string sel = "k" + std::to_string(i);
    records[sel + "._domainkey.example.com"] = {FakeRecord::Kind::kTxt, rsa.record};
    msg = Signed(msg, rsa, Options(Algorithm::kRsaSha256, Canon::kRelaxed, Canon::kRelaxed, sel));
  }
  FakeDns dns(records);
  VerifierOptions options;
  options.max_signatures = 50;
  auto r = VerifyWith(dns.server(), msg, options);
  EXPECT_EQ(r.result, Result::kPass);
  EXPECT_LE(dns.queries(), options.max_key_lookups);
  int policy = 0;
  for (const auto& s : r.signatures) policy += s.result == Result::kPolicy;
  EXPECT_EQ(policy, 50 - options.max_key_lookups);
}

TEST(VerifyTest, OversizedMessagesAreRefusedClearly) {
  FakeDns dns({});
  VerifierOptions options;
  options.max_message_bytes = 100;
  auto r = VerifyWith(dns.server(), std::string(kMessage) + std::string(200, 'x'), options);
  EXPECT_EQ(r.result, Result::kPermError);
  EXPECT_NE(r.authentication_results.find("too large"), std::string::npos);
}

TEST(VerifyTest, UnsignedMessageIsNone) {
  FakeDns dns({});
  auto r = VerifyWith(dns.server(), kMessage);
  EXPECT_EQ(r.result, Result::kNone);
  EXPECT_EQ(r.authentication_results, "repd; dkim=none");
}

// Cross-implementation: messages that dkimpy (Debian's python3-dkim) signs verify here,
// including bare LF input, l= and 8-bit header content.
TEST(CrossImplementationTest, DkimpySignedMessagesVerify) {
  if (std::system("/usr/bin/python3 -c 'import dkim' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-dkim is not installed";
  }
  auto gen = GenerateKey(Algorithm::kRsaSha256, 2048);
  ASSERT_TRUE(gen.ok());
  auto ed = GenerateKey(Algorithm::kEd25519Sha256, 0);
  ASSERT_TRUE(ed.ok());
  FakeDns dns(
      {{"py._domainkey.example.com", {FakeRecord::Kind::kTxt, "v=DKIM1; k=rsa; p=" + gen->second}},
       {"pyed._domainkey.example.com",
        {FakeRecord::Kind::kTxt, "v=DKIM1; k=ed25519; p=" + ed->second}}});
  std::string dir = ::repd::testing::MakeTempDir("repd-dkimpy");
  std::ofstream(dir + "/rsa.pem") << gen->first;
  // dkimpy wants the raw 32-byte Ed25519 seed, base64: take it from the PKCS#8 DER.
  std::ofstream(dir + "/ed.pem") << ed->first;
  std::ofstream(dir + "/sign.py") << R"(
import base64, dkim, subprocess, sys
d = sys.argv[1]
msg = ("From: Zoë <zoe@example.com>\nTo: b@example.net\nSubject: Grüße   \n folded\n\n"
       "body line  \n\n\n").encode("utf-8")
der = subprocess.run(["openssl", "pkey", "-in", d + "/ed.pem", "-outform", "DER"],
                     capture_output=True, check=True).stdout
seed = base64.b64encode(der[-32:])
rsa = open(d + "/rsa.pem", "rb").read()
for name, sel, key, alg, canon, length in [
    ("rsa-relaxed", b"py", rsa, b"rsa-sha256", (b"relaxed", b"relaxed"), False),
    ("rsa-simple-l", b"py", rsa, b"rsa-sha256", (b"simple", b"simple"), True),
    ("ed25519", b"pyed", seed, b"ed25519-sha256", (b"relaxed", b"relaxed"), False)]:
    sig = dkim.sign(msg, sel, b"example.com", key, canonicalize=canon,
                    signature_algorithm=alg, length=length)
    open(d + "/" + name + ".eml", "wb").write(sig + msg)
    open(d + "/" + name + "-crlf.eml", "wb").write((sig + msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
)";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + dir + "/sign.py " + dir).c_str()), 0);
  for (const char* name : {"rsa-relaxed", "rsa-simple-l", "ed25519", "rsa-relaxed-crlf",
                           "rsa-simple-l-crlf", "ed25519-crlf"}) {
    std::ifstream in(dir + "/" + name + ".eml", std::ios::binary);
    std::string msg((std::istreambuf_iterator<char>(in)), {});
    auto r = VerifyWith(dns.server(), msg);
    ASSERT_EQ(r.signatures.size(), 1u) << name;
    EXPECT_EQ(r.result, Result::kPass) << name << ": " << r.signatures[0].reason;
  }
}

}  // namespace
}  // namespace repd::dkim
