// The operator's commands on a data dir: import rbldnsd / CSV listings, query a subject,
// export zone and rbldnsd files, then serve what was imported.
#include <algorithm>

#include <gtest/gtest.h>

#include "tests/support/dig.h"
#include "tests/support/repd_process.h"

namespace repd::testing {
namespace {

std::string Repd(const std::string& args, int* code) {
  return RunCommand(RepdProcess::BinaryPath() + " " + args + " 2>&1", code);
}

TEST(CliTest, ImportQueryExportAndServe) {
  std::string dir = MakeTempDir("repd-cli");
  std::string data = dir + "/var";
  WriteFile(dir + "/listings.csv",
            "kind,subject,code,category\n"
            "ip,198.51.100.7,127.0.0.4,bot\n"
            "ip,198.51.100.8,127.0.0.10,policy\n"
            "domain,spam-domain.example,127.0.1.2,spam\n");
  WriteFile(dir + "/ip4.rbl",
            ":127.0.0.2:Listed $ (see http://repd.test/lookup/$)\n"
            "203.0.113.9 :127.0.0.3:trap: $\n"
            "# a comment\n"
            "192.0.2.0/99\n");
  int code = 0;
  std::string out =
      Repd("import --data-dir " + data + " --format csv " + dir + "/listings.csv", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("3 listings"), std::string::npos) << out;
  out = Repd("import --data-dir " + data + " --format rbldnsd " + dir + "/ip4.rbl", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("skipped"), std::string::npos) << "a bad line is reported: " << out;

  out = Repd("query --data-dir " + data + " ip 198.51.100.7", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("bot(4)"), std::string::npos) << out;
  out = Repd("query --data-dir " + data + " domain Spam-Domain.example.", &code);
  EXPECT_NE(out.find("spam(2)"), std::string::npos) << out;
  EXPECT_EQ(Repd("query --data-dir " + data + " ip not-an-ip", &code).empty(), false);
  EXPECT_EQ(code, 2);

  out = Repd("export --data-dir " + data + " --format rbldnsd", &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("198.51.100.7"), std::string::npos) << out;
  EXPECT_NE(out.find("203.0.113.9"), std::string::npos) << out;
  out = Repd("export --data-dir " + data + " --format rbldnsd --dataset dnset", &code);
  EXPECT_NE(out.find("spam-domain.example"), std::string::npos) << out;
  out = Repd("export --data-dir " + data + " --format zone", &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("SOA"), std::string::npos);
  EXPECT_NE(out.find("\n7.100.51.198 "), std::string::npos) << out.substr(0, 2000);

  RepdOptions options;
  options.data_dir = data;
  auto repd = RepdProcess::Start(options);
  ASSERT_TRUE(repd);
  EXPECT_EQ(Dig(repd->dns_port(), "7.100.51.198.bl.repd.test", "A").AnswerData("A"),
            std::vector<std::string>{"127.0.0.4"});
  auto txt = Dig(repd->dns_port(), "9.113.0.203.bl.repd.test", "TXT").AnswerData("TXT");
  ASSERT_EQ(txt.size(), 1u);
  EXPECT_NE(txt[0].find("trap: 203.0.113.9"), std::string::npos) << txt[0];
  EXPECT_EQ(Dig(repd->dns_port(), "spam-domain.example.dbl.repd.test", "A").AnswerData("A"),
            std::vector<std::string>{"127.0.1.2"});
  // The data dir of a running service is locked: a clear error, nothing written.
  out = Repd("import --data-dir " + data + " --format csv " + dir + "/listings.csv", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("in use"), std::string::npos) << out;
}

TEST(CliTest, ImportThroughTheAdminApiOfARunningService) {
  const std::string admin = "import-admin-token";
  RepdOptions options;
  options.config_text =
      "[[tokens]]\nname = \"admin\"\nrole = \"admin\"\nsha256 = \"" + Sha256Hex(admin) + "\"\n";
  auto repd = RepdProcess::Start(options);
  ASSERT_TRUE(repd);
  const std::string url = "http://127.0.0.1:" + std::to_string(repd->http_port());
  std::string dir = MakeTempDir("repd-cli-url");
  std::string rbl = ":127.0.0.2:Listed $\n";
  for (int i = 0; i < 250; ++i) {
    rbl += "198.51." + std::to_string(100 + i / 200) + "." + std::to_string(i % 200) + "\n";
  }
  rbl += "192.0.2.0/99\n";
  WriteFile(dir + "/ip4.rbl", rbl);
  const std::string file = " --format rbldnsd " + dir + "/ip4.rbl";

  int code = 0;
  std::string out =
      Repd("import --url " + url + " --token " + admin + " --batch 100" + file, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("250 listings"), std::string::npos) << out;
  EXPECT_NE(out.find("3 requests"), std::string::npos) << out;
  EXPECT_NE(out.find("1 lines skipped"), std::string::npos) << out;
  // Served at once, without a restart.
  EXPECT_EQ(Dig(repd->dns_port(), "49.101.51.198.bl.repd.test", "A").AnswerData("A"),
            std::vector<std::string>{"127.0.0.2"});
  auto txt = Dig(repd->dns_port(), "7.100.51.198.bl.repd.test", "TXT").AnswerData("TXT");
  ASSERT_EQ(txt.size(), 1u);
  EXPECT_NE(txt[0].find("Listed 198.51.100.7"), std::string::npos) << txt[0];

  // The token may also come from a file or the environment.
  WriteFile(dir + "/token", admin + "\n");
  out = Repd("import --url " + url + " --token-file " + dir + "/token" + file, &code);
  EXPECT_EQ(code, 0) << out;
  out = RunCommand("REPD_ADMIN_TOKEN=" + admin + " " + RepdProcess::BinaryPath() +
                       " import --url " + url + file + " 2>&1",
                   &code);
  EXPECT_EQ(code, 0) << out;

  // Every failure is one line and a non-zero exit.
  WriteFile(dir + "/one.rbl", "203.0.113.1\n");
  const std::string one = " --format rbldnsd " + dir + "/one.rbl";
  struct Case {
    std::string args, needle;
  } failures[] = {
      {"import --url " + url + " --token wrong" + one, "401"},
      {"import --url " + url + one, "admin token"},
      {"import --url ftp://127.0.0.1:1 --token x" + one, "bad URL"},
      {"import --url http://127.0.0.1:" + std::to_string(PickFreePort()) + " --token x" + one,
       "refused"},
      {"import --url " + url + " --token " + admin + " --data-dir " + dir + one, "--data-dir"},
      {"import --url " + url + " --token " + admin + " --batch 0" + one, "--batch"},
      {"import --url " + url + " --token-file " + dir + "/none" + one, "token file"},
      {"import --url " + url + " --token " + admin + " " + dir + "/none.rbl --format rbldnsd",
       "none.rbl"},
  };
  for (const auto& f : failures) {
    out = Repd(f.args, &code);
    EXPECT_NE(code, 0) << f.args;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << f.args << "\n" << out;
    EXPECT_NE(out.find(f.needle), std::string::npos) << f.args << "\n" << out;
  }

  // Stored durably: a restart serves the same.
  const std::string data = repd->data_dir();
  repd.reset();
  RepdOptions again = options;
  again.data_dir = data;
  repd = RepdProcess::Start(again);
  ASSERT_TRUE(repd);
  EXPECT_EQ(Dig(repd->dns_port(), "49.101.51.198.bl.repd.test", "A").AnswerData("A"),
            std::vector<std::string>{"127.0.0.2"});
}

TEST(CliTest, ImportThroughTheApiHalvesBatchesTheServerFindsTooLarge) {
  const std::string admin = "import-admin-token";
  RepdOptions options;
  options.config_text = "[[tokens]]\nname = \"admin\"\nrole = \"admin\"\nsha256 = \"" +
                        Sha256Hex(admin) + "\"\n[http]\noverrides_body_limit = 4096\n";
  auto repd = RepdProcess::Start(options);
  ASSERT_TRUE(repd);
  std::string dir = MakeTempDir("repd-cli-413");
  std::string rbl;
  for (int i = 0; i < 250; ++i) rbl += "198.51.100." + std::to_string(i) + "\n";
  WriteFile(dir + "/ip4.rbl", rbl);
  int code = 0;
  std::string out = Repd("import --url http://127.0.0.1:" + std::to_string(repd->http_port()) +
                             " --token " + admin + " --format rbldnsd " + dir + "/ip4.rbl",
                         &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("250 listings"), std::string::npos) << out;
  EXPECT_EQ(Dig(repd->dns_port(), "249.100.51.198.bl.repd.test", "A").AnswerData("A"),
            std::vector<std::string>{"127.0.0.2"});
}

TEST(CliTest, ImportOfMoreListingsThanAChunkStoresThemAll) {
  std::string dir = MakeTempDir("repd-cli-big");
  std::string rbl;
  for (int i = 0; i < 210000; ++i) {
    rbl += "10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
           std::to_string(i & 255) + "\n";
  }
  WriteFile(dir + "/ip4.rbl", rbl);
  int code = 0;
  // A missing file anywhere in the list stops the import before anything is stored.
  std::string out = Repd("import --data-dir " + dir + "/var --format rbldnsd " + dir + "/ip4.rbl " +
                             dir + "/missing.rbl",
                         &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("missing.rbl"), std::string::npos) << out;
  out = Repd("query --data-dir " + dir + "/var ip 10.0.0.0", &code);
  EXPECT_EQ(out.find("listed spam"), std::string::npos) << out;

  out = Repd("import --data-dir " + dir + "/var --format rbldnsd " + dir + "/ip4.rbl", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("210000 listings"), std::string::npos) << out;
  for (const char* ip : {"10.0.0.0", "10.1.134.159", "10.3.52.15"}) {
    out = Repd("query --data-dir " + dir + "/var ip " + ip, &code);
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("listed spam"), std::string::npos) << ip << ": " << out;
  }
}

}  // namespace
}  // namespace repd::testing
