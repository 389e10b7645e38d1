// The packed ListingBase against a plain std::map model: every key added is found with its
// last listing, keys never added are missed, for the extreme IPv4 keys too.
#include "reputation/listing_base.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

namespace repd::reputation::internal {
namespace {

Listing MakeListing(uint32_t categories, uint8_t score, std::string_view txt = "listed") {
  Listing listing;
  listing.categories = categories;
  listing.score = score;
  listing.has_score = true;
  listing.txt = InternTxt(txt);
  return listing;
}

TEST(ListingBaseTest, EmptyBaseMissesEverything) {
  ListingBase base = ListingBase::Builder().Build();
  EXPECT_EQ(base.size(), 0u);
  EXPECT_EQ(base.FindV4(0), nullptr);
  EXPECT_EQ(base.FindV4(0xffffffffu), nullptr);
  EXPECT_EQ(base.FindV6(V6Key{}), nullptr);
  EXPECT_EQ(base.FindDomain("example.com"), nullptr);
  EXPECT_EQ(base.FindDomain(""), nullptr);
}

TEST(ListingBaseTest, ExtremeKeysAndLaterEntryWins) {
  ListingBase::Builder builder;
  builder.AddV4(0, MakeListing(1u << 2, 10));
  builder.AddV4(0xffffffffu, MakeListing(1u << 3, 20));
  builder.AddV4(0x7fffffffu, MakeListing(1u << 4, 30));
  builder.AddV4(0x80000000u, MakeListing(1u << 4, 30));
  builder.AddV4(0, MakeListing(1u << 5, 40));  // replaces the first
  ListingBase base = std::move(builder).Build();

  EXPECT_EQ(base.size(), 4u);
  ASSERT_NE(base.FindV4(0), nullptr);
  EXPECT_EQ(base.FindV4(0)->score, 40);
  ASSERT_NE(base.FindV4(0xffffffffu), nullptr);
  EXPECT_EQ(base.FindV4(0xffffffffu)->score, 20);
  EXPECT_NE(base.FindV4(0x7fffffffu), nullptr);
  EXPECT_NE(base.FindV4(0x80000000u), nullptr);
  EXPECT_EQ(base.FindV4(1), nullptr);
  EXPECT_EQ(base.FindV4(0xfffffffeu), nullptr);
  // Identical listings are stored once: both point to the same value.
  EXPECT_EQ(base.FindV4(0x7fffffffu), base.FindV4(0x80000000u));

  std::vector<uint32_t> order;
  base.ForEachV4([&](uint32_t key, const Listing&) { order.push_back(key); });
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 0x7fffffffu, 0x80000000u, 0xffffffffu}));
}

TEST(ListingBaseTest, DomainsAreFoundOnlyByTheirExactName) {
  ListingBase::Builder builder;
  builder.AddDomain("example.com", MakeListing(1u << 2, 5, "spam"));
  builder.AddDomain("sub.example.com", MakeListing(1u << 3, 6, "trap"));
  builder.AddDomain("example.com", MakeListing(1u << 20, 7, "manual"));  // replaces
  builder.AddDomain(std::string(255, 'a'), MakeListing(1u << 2, 8));
  ListingBase base = std::move(builder).Build();

  EXPECT_EQ(base.size(), 3u);
  ASSERT_NE(base.FindDomain("example.com"), nullptr);
  EXPECT_EQ(*base.FindDomain("example.com")->txt, "manual");
  EXPECT_EQ(base.FindDomain("sub.example.com")->score, 6);
  EXPECT_NE(base.FindDomain(std::string(255, 'a')), nullptr);
  EXPECT_EQ(base.FindDomain(std::string(254, 'a')), nullptr);
  EXPECT_EQ(base.FindDomain("example.co"), nullptr);
  EXPECT_EQ(base.FindDomain("xample.com"), nullptr);
  EXPECT_EQ(base.FindDomain("other.example.com"), nullptr);

  size_t visited = 0;
  base.ForEachDomain([&](std::string_view, const Listing&) { ++visited; });
  EXPECT_EQ(visited, 3u);
}

TEST(ListingBaseTest, AgreesWithAMapOnRandomContent) {
  std::mt19937 rng(20261125);
  // Keys clustered in a few /16s plus scattered ones, as real blocklists are.
  auto random_v4 = [&] {
    return rng() % 2 ? (0x0a000000u | (rng() % 4) << 16 | (rng() & 0xffff)) : uint32_t(rng());
  };
  std::map<uint32_t, Listing> v4_model;
  std::map<V6Key, Listing> v6_model;
  std::map<std::string, Listing> domain_model;
  ListingBase::Builder builder;
  for (int i = 0; i < 50000; ++i) {
    Listing listing = MakeListing(1u << (2 + rng() % 4), uint8_t(rng() % 101));
    switch (rng() % 3) {
      case 0: {
        uint32_t key = random_v4();
        builder.AddV4(key, listing);
        v4_model[key] = listing;
        break;
      }
      case 1: {
        V6Key key{0x20, 0x01, 0x0d, 0xb8};
        key[15] = uint8_t(rng());
        key[14] = uint8_t(rng() % 8);
        builder.AddV6(key, listing);
        v6_model[key] = listing;
        break;
      }
      default: {
        std::string name = "d" + std::to_string(rng() % 20000) + ".example";
        builder.AddDomain(name, listing);
        domain_model[name] = listing;
      }
    }
  }
  ListingBase base = std::move(builder).Build();
  EXPECT_EQ(base.size(), v4_model.size() + v6_model.size() + domain_model.size());

  for (const auto& [key, listing] : v4_model) {
    const Listing* found = base.FindV4(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, listing) << key;
  }
  for (const auto& [key, listing] : v6_model) {
    const Listing* found = base.FindV6(key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, listing);
  }
  for (const auto& [name, listing] : domain_model) {
    const Listing* found = base.FindDomain(name);
    ASSERT_NE(found, nullptr) << name;
    EXPECT_EQ(*found, listing) << name;
  }
  for (int i = 0; i < 100000; ++i) {
    uint32_t key = random_v4();
    EXPECT_EQ(base.FindV4(key) != nullptr, v4_model.count(key) == 1) << key;
    std::string name = "d" + std::to_string(rng() % 40000) + ".example";
    EXPECT_EQ(base.FindDomain(name) != nullptr, domain_model.count(name) == 1) << name;
  }
}

}  // namespace
}  // namespace repd::reputation::internal
