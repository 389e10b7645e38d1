// The operator's commands on a data dir: import rbldnsd / CSV listings, query a subject,
// export zone and rbldnsd files, then serve what was imported.
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
  std::string out = Repd("import --data-dir " + data + " --format csv " + dir + "/listings.csv", &code);
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

}  // namespace
}  // namespace repd::testing
