#include "cmd/config_http.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace repd::cmd {
namespace {

absl::Status Parse(std::string_view text, api::HttpOptions* out) {
  toml::table root = toml::parse(text);
  return ParseHttpConfig(root, out);
}

TEST(ConfigHttpTest, DefaultsWhenAbsent) {
  api::HttpOptions o;
  ASSERT_TRUE(Parse("", &o).ok());
  EXPECT_TRUE(o.public_reads);
  EXPECT_EQ(o.body_limit, 64u * 1024);
  EXPECT_TRUE(o.tokens.empty());
}

TEST(ConfigHttpTest, ReadsEveryKey) {
  api::HttpOptions o;
  auto s = Parse(R"(
[http]
public_reads = false
tls_listen = ["127.0.0.1:8443"]
tls_cert = "c.pem"
tls_key = "k.pem"
max_connections = 5
header_limit = 4096
body_limit = 1000
feedback_body_limit = 2000
feedback_max_events = 10
verify_body_limit = 3000
read_timeout = 1.5
idle_timeout = 30
write_timeout = 7
delist_per_hour = 2
delist_burst = 1
rater = "rep.example"
[[tokens]]
name = "feed"
role = "feedback"
sha256 = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
)",
                 &o);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(o.public_reads);
  EXPECT_EQ(o.tls_listen.size(), 1u);
  EXPECT_EQ(o.max_connections, 5u);
  EXPECT_EQ(o.header_limit, 4096u);
  EXPECT_EQ(o.verify_body_limit, 3000u);
  EXPECT_DOUBLE_EQ(o.read_timeout, 1.5);
  EXPECT_DOUBLE_EQ(o.delist_burst, 1);
  EXPECT_EQ(o.rater, "rep.example");
  ASSERT_EQ(o.tokens.size(), 1u);
  EXPECT_EQ(o.tokens[0].sha256.substr(0, 6), "abcdef");
}

TEST(ConfigHttpTest, ErrorsNameTheKey) {
  struct Case {
    std::string toml;
    const char* key;
  } cases[] = {
      {"[http]\nbody_limit = -1", "http.body_limit"},
      {"[http]\nbody_limit = \"big\"", "http.body_limit"},
      {"[http]\nread_timeout = 0", "http.read_timeout"},
      {"[http]\npublic_reads = 1", "http.public_reads"},
      {"[http]\nbogus = 1", "http.bogus"},
      {"[http]\ntls_listen = [\"127.0.0.1:1\"]", "http.tls_listen"},
      {"[http]\ntls_listen = [1]", "http.tls_listen"},
      {"http = 3", "'http'"},
      {"tokens = 3", "tokens"},
      {"[[tokens]]\nrole = \"admin\"\nsha256 = \"" + std::string(64, 'a') + "\"", "tokens[0].name"},
      {"[[tokens]]\nname = \"a\"\nrole = \"root\"\nsha256 = \"" + std::string(64, 'a') + "\"",
       "tokens[0].role"},
      {"[[tokens]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"xyz\"", "tokens[0].sha256"},
      {"[[tokens]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + std::string(64, 'a') +
           "\"\ntoken = \"plain\"",
       "tokens[0].token"},
      {"[[tokens]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + std::string(64, 'a') +
           "\"\n[[tokens]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + std::string(64, 'b') +
           "\"",
       "tokens[1].name"},
  };
  for (const auto& c : cases) {
    api::HttpOptions o;
    auto s = Parse(c.toml, &o);
    ASSERT_FALSE(s.ok()) << c.toml;
    EXPECT_NE(s.message().find(c.key), absl::string_view::npos) << c.toml << " -> " << s;
  }
}

}  // namespace
}  // namespace repd::cmd

namespace repd::cmd {
namespace {

// data/repd.toml documents every key with its default: parsing it must change nothing.
TEST(ConfigHttpTest, ShippedConfigStatesTheDefaults) {
  const char* src = std::getenv("REPD_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  toml::table root = toml::parse_file(std::string(src) + "/data/repd.toml");
  api::HttpOptions parsed, defaults;
  ASSERT_TRUE(ParseHttpConfig(root, &parsed).ok());
  EXPECT_EQ(parsed.public_reads, defaults.public_reads);
  EXPECT_EQ(parsed.tls_listen, defaults.tls_listen);
  EXPECT_EQ(parsed.max_connections, defaults.max_connections);
  EXPECT_EQ(parsed.header_limit, defaults.header_limit);
  EXPECT_EQ(parsed.body_limit, defaults.body_limit);
  EXPECT_EQ(parsed.feedback_body_limit, defaults.feedback_body_limit);
  EXPECT_EQ(parsed.feedback_max_events, defaults.feedback_max_events);
  EXPECT_EQ(parsed.verify_body_limit, defaults.verify_body_limit);
  EXPECT_EQ(parsed.read_timeout, defaults.read_timeout);
  EXPECT_EQ(parsed.idle_timeout, defaults.idle_timeout);
  EXPECT_EQ(parsed.write_timeout, defaults.write_timeout);
  EXPECT_EQ(parsed.delist_per_hour, defaults.delist_per_hour);
  EXPECT_EQ(parsed.delist_burst, defaults.delist_burst);
  EXPECT_EQ(parsed.rater, defaults.rater);
  EXPECT_TRUE(parsed.tokens.empty());
}

}  // namespace
}  // namespace repd::cmd
