// Imports from rbldnsd data and the benchmark CSV; exports as master file and rbldnsd data.
#include "dnsbl/zone_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "tests/dnsbl/test_util.h"

namespace repd::dnsbl {
namespace {

using reputation::Override;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ZoneFilesTest, ParsesIp4setWithDefaultsValuesAndComments) {
  std::istringstream in(
      "# comment\n"
      "$SOA 3600 ns1 hostmaster 1 2 3 4 5\n"
      ":127.0.0.2:Listed $ (see http://repd.test/lookup/$)\n"
      "1.2.3.4 :127.0.0.4:bot: $\n"
      "5.6.7.8\n"
      "9.9.9\n"
      "10.0.0.0/16 :10:policy range\n"
      "11.0.0.1-3\n"
      "!12.0.0.1\n"
      "300.1.1.1\n"
      "2001:db8::/32 :3\n"
      "10.0.0.0/8\n"
      "2001:db8::1 :3\n"
      "10.0.0.0/7\n"
      "2001::/15\n");
  ImportWarnings warnings;
  auto r = ParseRbldnsd(in, {.source = "ip4.rbl"}, &warnings);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 11u);
  EXPECT_EQ((*r)[0].subject, "1.2.3.4");
  EXPECT_EQ((*r)[0].category, 4);
  EXPECT_EQ((*r)[0].txt, "bot: $");
  EXPECT_EQ((*r)[0].action, Override::Action::kBlock);
  EXPECT_FALSE((*r)[0].is_domain);
  EXPECT_EQ((*r)[1].subject, "5.6.7.8");
  EXPECT_EQ((*r)[1].category, 2);
  EXPECT_EQ((*r)[1].txt, "Listed $ (see http://repd.test/lookup/$)");
  EXPECT_EQ((*r)[2].subject, "9.9.9.0/24");
  EXPECT_EQ((*r)[3].subject, "10.0.0.0/16");
  EXPECT_EQ((*r)[3].action, Override::Action::kPolicy);
  EXPECT_EQ((*r)[3].txt, "policy range");
  EXPECT_EQ((*r)[4].subject, "11.0.0.1");
  EXPECT_EQ((*r)[6].subject, "11.0.0.3");
  // "!addr": left out of the networks around it.
  EXPECT_EQ((*r)[7].subject, "12.0.0.1");
  EXPECT_EQ((*r)[7].action, Override::Action::kExclude);
  EXPECT_EQ((*r)[7].category, 0);
  // Networks of any width from an IPv4 /8 and an IPv6 /16 (ip4trie / ip6trie data).
  EXPECT_EQ((*r)[8].subject, "2001:db8::/32");
  EXPECT_EQ((*r)[8].category, 3);
  EXPECT_EQ((*r)[9].subject, "10.0.0.0/8");
  EXPECT_EQ((*r)[10].subject, "2001:db8::1");
  // What the store cannot serve is skipped line by line, never failing the whole file.
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_THAT(warnings[0], HasSubstr("ip4.rbl:10: not an address"));
  EXPECT_THAT(warnings[1], HasSubstr("ip4.rbl:14: ranges wider"));
  EXPECT_THAT(warnings[2], HasSubstr("ip4.rbl:15: ranges wider"));
}

TEST(ZoneFilesTest, ParsesDnset) {
  std::istringstream in(
      ":127.0.1.2:Domain $ listed\nExample.COM\n*.wild.example\nbad..name\n007spam.biz\n"
      ".Both.example\n*.1.2.3\n");
  ImportWarnings warnings;
  auto r = ParseRbldnsd(in, {}, &warnings);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_TRUE((*r)[0].is_domain);
  EXPECT_EQ((*r)[0].subject, "example.com");
  EXPECT_EQ((*r)[0].category, 2);
  // "*.name": the names under it; ".name": the name and the names under it.
  EXPECT_EQ((*r)[1].subject, "*.wild.example");
  EXPECT_TRUE((*r)[1].is_domain);
  EXPECT_EQ((*r)[2].subject, "007spam.biz");
  EXPECT_EQ((*r)[3].subject, "both.example");
  EXPECT_EQ((*r)[4].subject, "*.both.example");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("bad..name"));
  EXPECT_THAT(warnings[1], HasSubstr("not a domain: 1.2.3"));
}

TEST(ZoneFilesTest, ParsesTheBenchmarkCsv) {
  std::istringstream in(
      "kind,subject,code,category\n"
      "ip,1.2.3.4,127.0.0.3,trap\n"
      "domain,abc.com,127.0.1.2,spam\n"
      "ip,abc.com,127.0.0.2,spam\n"
      "garbage\n");
  ImportWarnings warnings;
  auto r = ParseListingsCsv(in, {}, &warnings);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].category, 3);
  EXPECT_EQ((*r)[1].subject, "abc.com");
  EXPECT_TRUE((*r)[1].is_domain);
  EXPECT_EQ(warnings.size(), 2u);
  std::istringstream no_header("ip,1.2.3.4,127.0.0.3,trap\n");
  EXPECT_FALSE(ParseListingsCsv(no_header, {}, nullptr).ok());
}

TEST(ZoneFilesTest, ExportsMasterFileThatLdnsReadsBack) {
  reputation::ListingIndex index;
  testing::FillIndex(index);
  reputation::ListingChange wild = testing::DomainChange("wild.example", {});
  wild.subdomains = true;
  wild.after = testing::MakeListing({2}, "under $");
  index.Apply({testing::NetworkChange("10.0.0.0/8", testing::MakeListing({10}, "range $")),
               testing::IpChange("10.1.2.3", testing::MakeListing({2}, "own")),
               testing::IpChange("10.9.9.9", testing::MakeListing({}, "")), wild,
               testing::DomainChange("a.b.wild.example", testing::MakeListing({4}, "own")),
               testing::DomainChange("ok.wild.example", testing::MakeListing({}, ""))});
  std::ostringstream out;
  ExportZone(*index.Current(), DnsOptions{}, out);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("$ORIGIN bl.repd.test.\n"));
  EXPECT_THAT(text, HasSubstr("4.3.2.1 300 IN A 127.0.0.4\n"));
  EXPECT_THAT(text, HasSubstr("4.3.2.1 300 IN TXT \"Listed: 1.2.3.4 sent spam\"\n"));
  EXPECT_THAT(text, HasSubstr("example.com 300 IN A 127.0.1.2\n"));
  EXPECT_THAT(text, HasSubstr("good.example 300 IN A 127.0.20.2\n"));
  EXPECT_THAT(text, HasSubstr("2.0.0.127 300 IN A 127.0.0.2\n"));
  // A network: its wildcard, and one at each empty non-terminal inside it.
  EXPECT_THAT(text, HasSubstr("*.10 300 IN A 127.0.0.10\n"));
  EXPECT_THAT(text, HasSubstr("*.10 300 IN TXT \"range 10.0.0.0/8\"\n"));
  EXPECT_THAT(text, HasSubstr("*.1.10 300 IN A 127.0.0.10\n"));
  EXPECT_THAT(text, HasSubstr("*.2.1.10 300 IN A 127.0.0.10\n"));
  EXPECT_THAT(text, HasSubstr("3.2.1.10 300 IN A 127.0.0.2\n"));
  // A hole in it (10.9.9.9 not listed): no wildcard beside it, its neighbours spelled out.
  EXPECT_THAT(text, HasSubstr("*.9.10 300 IN A 127.0.0.10\n"));
  EXPECT_THAT(text, Not(HasSubstr("*.9.9.10 ")));
  EXPECT_THAT(text, Not(HasSubstr("\n9.9.9.10 ")));
  EXPECT_THAT(text, HasSubstr("\n8.9.9.10 300 IN A 127.0.0.10\n"));
  EXPECT_THAT(text, HasSubstr("\n255.9.9.10 300 IN TXT \"range 10.9.9.255\"\n"));
  // Every name under a domain: its wildcard, and one at the empty non-terminal b.wild.example.
  EXPECT_THAT(text, HasSubstr("*.wild.example 300 IN A 127.0.1.2\n"));
  EXPECT_THAT(text, HasSubstr("*.wild.example 300 IN TXT \"under *.wild.example\"\n"));
  EXPECT_THAT(text, HasSubstr("*.b.wild.example 300 IN A 127.0.1.2\n"));
  EXPECT_THAT(text, HasSubstr("a.b.wild.example 300 IN A 127.0.1.4\n"));
  // A name left out of the wildcard: a CNAME to the never-listed test point.
  EXPECT_THAT(text, HasSubstr("\nok.wild.example 300 IN CNAME invalid.dbl.repd.test.\n"));
  // Every line parses as a record for ldns.
  std::istringstream lines(text);
  std::string line, origin;
  int records = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("$ORIGIN ", 0) == 0) {
      origin = line.substr(8);
      continue;
    }
    ldns_rr* rr = nullptr;
    LdnsRdf origin_rdf(ldns_dname_new_frm_str(origin.c_str()));
    ASSERT_EQ(ldns_rr_new_frm_str(&rr, line.c_str(), 0, origin_rdf.get(), nullptr), LDNS_STATUS_OK)
        << line;
    ldns_rr_free(rr);
    ++records;
  }
  EXPECT_GT(records, 20);
}

TEST(ZoneFilesTest, RbldnsdExportRoundTripsThroughTheImporter) {
  reputation::ListingIndex index;
  testing::FillIndex(index);
  const reputation::Listing none = testing::MakeListing({}, "");
  reputation::ListingChange wild = testing::DomainChange("wild.example", {});
  wild.subdomains = true;
  wild.after = testing::MakeListing({2}, "under $");
  reputation::ListingChange quiet = testing::DomainChange("sub.wild.example", none);
  quiet.subdomains = true;
  index.Apply({testing::NetworkChange("10.16.0.0/12", testing::MakeListing({10}, "range")),
               testing::NetworkChange("10.18.0.0/16", none), testing::IpChange("10.17.0.1", none),
               testing::IpChange("11.0.0.1", none), wild, quiet,
               testing::DomainChange("ok.wild.example", none)});
  std::ostringstream out;
  ExportRbldnsd(*index.Current(), DnsOptions{}, RbldnsdDataset::kIp4set, out);
  EXPECT_THAT(out.str(), HasSubstr("1.2.3.4 :127.0.0.2:Listed: $ sent spam\n"));
  EXPECT_THAT(out.str(), HasSubstr("1.2.3.4 :127.0.0.4:Listed: $ sent spam\n"));
  EXPECT_THAT(out.str(), HasSubstr("10.16.0.0/12 :127.0.0.10:range\n"));
  // Holes in listed networks are exclusions; an unlisted address elsewhere is not written.
  EXPECT_THAT(out.str(), HasSubstr("\n!10.18.0.0/16\n"));
  EXPECT_THAT(out.str(), HasSubstr("\n!10.17.0.1\n"));
  EXPECT_THAT(out.str(), Not(HasSubstr("11.0.0.1")));
  std::istringstream in(out.str());
  auto r = ParseRbldnsd(in, {}, nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  auto imported = [&](const std::string& subject, int category) -> const Override* {
    for (const Override& o : *r) {
      if (o.subject == subject && o.category == category) return &o;
    }
    return nullptr;
  };
  ASSERT_TRUE(imported("10.16.0.0/12", 10));
  ASSERT_TRUE(imported("10.18.0.0/16", 0));
  EXPECT_EQ(imported("10.18.0.0/16", 0)->action, Override::Action::kExclude);
  ASSERT_TRUE(imported("10.17.0.1", 0));
  EXPECT_EQ(imported("10.17.0.1", 0)->action, Override::Action::kExclude);
  ASSERT_TRUE(imported("1.2.3.4", 4));
  EXPECT_EQ(imported("1.2.3.4", 4)->txt, "Listed: $ sent spam");

  std::ostringstream domains;
  ExportRbldnsd(*index.Current(), DnsOptions{}, RbldnsdDataset::kDnset, domains);
  EXPECT_THAT(domains.str(), HasSubstr("\n*.wild.example :127.0.1.2:under $\n"));
  EXPECT_THAT(domains.str(), HasSubstr("\n!*.sub.wild.example\n"));
  EXPECT_THAT(domains.str(), HasSubstr("\n!ok.wild.example\n"));
  std::istringstream dnset(domains.str());
  auto d = ParseRbldnsd(dnset, {}, nullptr);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(
      std::count_if(d->begin(), d->end(),
                    [](const Override& o) {
                      return o.action == Override::Action::kExclude &&
                             (o.subject == "*.sub.wild.example" || o.subject == "ok.wild.example");
                    }),
      2);
}

}  // namespace
}  // namespace repd::dnsbl
