#include "api/auth.h"

#include <gtest/gtest.h>

#include "api/rate_limit.h"
#include "tests/support/repd_process.h"

namespace repd::api {
namespace {

using repd::testing::Sha256Hex;

TEST(TokenStoreTest, AuthenticatesByDigestAndRole) {
  auto store = TokenStore::Create(
      {{"feed", "feedback", Sha256Hex("s3cret")}, {"ops", "admin", Sha256Hex("root-token")}});
  ASSERT_TRUE(store.ok()) << store.status();
  auto id = store->Authenticate("Bearer s3cret");
  EXPECT_EQ(id.outcome, TokenStore::Outcome::kOk);
  EXPECT_EQ(id.role, Role::kFeedback);
  EXPECT_EQ(id.name, "feed");
  id = store->Authenticate("bearer   root-token ");
  EXPECT_EQ(id.outcome, TokenStore::Outcome::kOk);
  EXPECT_EQ(id.role, Role::kAdmin);
  EXPECT_EQ(store->Authenticate("").outcome, TokenStore::Outcome::kMissing);
  for (const char* bad : {"Bearer", "Bearer ", "Bearer s3cre", "Bearer s3crett", "Basic s3cret",
                          "s3cret", "Bearer S3CRET"}) {
    EXPECT_EQ(store->Authenticate(bad).outcome, TokenStore::Outcome::kInvalid) << bad;
  }
}

TEST(TokenStoreTest, UppercaseDigestsAreAccepted) {
  std::string digest = Sha256Hex("t");
  for (char& c : digest) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto store = TokenStore::Create({{"x", "admin", digest}});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->Authenticate("Bearer t").outcome, TokenStore::Outcome::kOk);
}

TEST(TokenStoreTest, RefusesBadConfig) {
  auto s = TokenStore::Create({{"feed", "reader", Sha256Hex("x")}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("token 'feed'"), absl::string_view::npos);
  EXPECT_FALSE(TokenStore::Create({{"a", "admin", "abc"}}).ok());
  EXPECT_FALSE(TokenStore::Create({{"a", "admin", std::string(64, 'g')}}).ok());
}

TEST(TokenStoreTest, NoTokensMeansNobodyWrites) {
  auto store = TokenStore::Create({});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->Authenticate("Bearer anything").outcome, TokenStore::Outcome::kInvalid);
}

TEST(RateLimiterTest, BurstThenRefill) {
  RateLimiter limiter(/*per_hour=*/3600, /*burst=*/3);
  EXPECT_EQ(limiter.Take("a", 0), 0);
  EXPECT_EQ(limiter.Take("a", 0), 0);
  EXPECT_EQ(limiter.Take("a", 0), 0);
  EXPECT_NEAR(limiter.Take("a", 0), 1.0, 1e-9);
  EXPECT_EQ(limiter.Take("b", 0), 0);  // clients are apart
  EXPECT_GT(limiter.Take("a", 0.5), 0);
  EXPECT_EQ(limiter.Take("a", 1.6), 0);
  EXPECT_GT(limiter.Take("a", 1.6), 0);
}

TEST(RateLimiterTest, StaysBounded) {
  RateLimiter limiter(3600, 1, /*max_clients=*/10);
  for (int i = 0; i < 1000; ++i) limiter.Take("c" + std::to_string(i), 0);
  // A client forgotten under pressure is treated as new, never refused for someone else.
  EXPECT_EQ(limiter.Take("fresh", 0), 0);
}

}  // namespace
}  // namespace repd::api
