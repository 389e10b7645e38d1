// [zones] and [dns] of repd.toml: the documented defaults are the code's defaults, and bad
// values are errors naming their key.
#include "cmd/config_dns.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace repd::cmd {
namespace {

using ::testing::HasSubstr;

absl::Status ParseText(const std::string& text, dnsbl::DnsOptions* out) {
  toml::table root = toml::parse(text);
  return ParseDnsConfig(root, out);
}

TEST(ConfigDnsTest, DocumentedDefaultsAreTheCodeDefaults) {
  const char* src = std::getenv("REPD_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  toml::table root = toml::parse_file(std::string(src) + "/data/repd.toml");
  dnsbl::DnsOptions parsed;
  parsed.ttl = 1;  // proves the file sets it
  ASSERT_TRUE(ParseDnsConfig(root, &parsed).ok());
  const dnsbl::DnsOptions d;
  EXPECT_EQ(parsed.ttl, d.ttl);
  EXPECT_EQ(parsed.negative_ttl, d.negative_ttl);
  EXPECT_EQ(parsed.soa_ttl, d.soa_ttl);
  EXPECT_EQ(parsed.refresh, d.refresh);
  EXPECT_EQ(parsed.retry, d.retry);
  EXPECT_EQ(parsed.expire, d.expire);
  EXPECT_EQ(parsed.ns, d.ns);
  EXPECT_EQ(parsed.hostmaster, d.hostmaster);
  EXPECT_EQ(parsed.allow_category, d.allow_category);
  EXPECT_EQ(parsed.shared_allow_category, d.shared_allow_category);
  EXPECT_EQ(parsed.max_udp_payload, d.max_udp_payload);
  EXPECT_EQ(parsed.max_amplification, d.max_amplification);
  EXPECT_EQ(parsed.udp_sockets, d.udp_sockets);
  EXPECT_EQ(parsed.tcp_idle_timeout_ms, d.tcp_idle_timeout_ms);
  EXPECT_EQ(parsed.tcp_max_connections, d.tcp_max_connections);
  EXPECT_EQ(parsed.transfer_allow, d.transfer_allow);
  EXPECT_EQ(parsed.notify, d.notify);
  EXPECT_EQ(parsed.tsig_name, d.tsig_name);
  EXPECT_EQ(parsed.tsig_algorithm, d.tsig_algorithm);
  EXPECT_EQ(parsed.tsig_secret, d.tsig_secret);
  EXPECT_EQ(parsed.ixfr_journal, d.ixfr_journal);
  EXPECT_EQ(parsed.rrl_rate, d.rrl_rate);
  EXPECT_EQ(parsed.rrl_slip, d.rrl_slip);
  EXPECT_EQ(parsed.rrl_ipv4_prefix, d.rrl_ipv4_prefix);
  EXPECT_EQ(parsed.rrl_ipv6_prefix, d.rrl_ipv6_prefix);
  EXPECT_EQ(parsed.zones.ip_block, d.zones.ip_block);
  EXPECT_EQ(parsed.zones.domain_block, d.zones.domain_block);
  EXPECT_EQ(parsed.zones.allow, d.zones.allow);
  EXPECT_EQ(parsed.zones.score, d.zones.score);
}

TEST(ConfigDnsTest, ReadsValues) {
  dnsbl::DnsOptions o;
  ASSERT_TRUE(ParseText("[zones]\nip_block = \"bl.example.org\"\n"
                        "[dns]\nttl = 900\nns = [\"a.example.org\", \"b.example.org\"]\n"
                        "notify = [\"[::1]:53\", \"192.0.2.1:5353\"]\nrrl_rate = 20\n",
                        &o)
                  .ok());
  EXPECT_EQ(o.zones.ip_block, "bl.example.org");
  EXPECT_EQ(o.ttl, 900u);
  EXPECT_EQ(o.ns.size(), 2u);
  EXPECT_EQ(o.notify.size(), 2u);
  EXPECT_EQ(o.rrl_rate, 20u);
}

TEST(ConfigDnsTest, ErrorsNameTheKey) {
  struct Case {
    const char* toml;
    const char* message;
  } cases[] = {
      {"[dns]\nttls = 1\n", "unknown key 'dns.ttls'"},
      {"[zones]\nip_blocks = \"x\"\n", "unknown key 'zones.ip_blocks'"},
      {"[dns]\nttl = \"300\"\n", "'dns.ttl': must be a whole number"},
      {"[dns]\nttl = -1\n", "'dns.ttl'"},
      {"[dns]\nmax_udp_payload = 100\n", "'dns.max_udp_payload'"},
      {"[dns]\nns = \"ns1\"\n", "'dns.ns': must be an array"},
      {"[dns]\nns = []\n", "'dns.ns'"},
      {"[zones]\nip_block = \"a..b\"\n", "'zones.ip_block'"},
      {"[zones]\nallow = \"bl.repd.test\"\n", "configured twice"},
      {"[dns]\ntransfer_allow = [\"10.0.0.0/33\"]\n", "'dns.transfer_allow'"},
      {"[dns]\nnotify = [\"::1:53\"]\n", "'dns.notify'"},
      {"[dns]\nnotify = [\"127.0.0.1\"]\n", "'dns.notify'"},
      {"[dns]\ntsig_name = \"k\"\n", "'dns.tsig_secret'"},
      {"[dns]\ntsig_name = \"k\"\ntsig_secret = \"!!\"\n", "'dns.tsig_secret'"},
      {"[dns]\ntsig_name = \"k\"\ntsig_secret = \"c2VjcmV0\"\ntsig_algorithm = \"md4\"\n",
       "'dns.tsig_algorithm'"},
  };
  for (const Case& c : cases) {
    dnsbl::DnsOptions o;
    absl::Status s = ParseText(c.toml, &o);
    EXPECT_FALSE(s.ok()) << c.toml;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.toml;
  }
}

}  // namespace
}  // namespace repd::cmd
