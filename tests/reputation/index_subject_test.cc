// ListingIndex (snapshots, deltas, folding, listeners) and subject normalisation.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "reputation/feedback.h"
#include "reputation/listing_index.h"
#include "reputation/subject.h"

namespace repd::reputation {
namespace {

ListingChange IpChange(const std::string& ip, std::optional<Listing> after) {
  return {false, *IpAddress::Parse(ip), {}, std::nullopt, after};
}

Listing Listed(int code) {
  Listing l;
  l.categories = 1u << code;
  l.txt = InternTxt("x");
  return l;
}

TEST(ListingIndexTest, SnapshotsAreImmutableAndChangesAreVisibleAtOnce) {
  ListingIndex index;
  auto before = index.Current();
  index.Apply({IpChange("192.0.2.1", Listed(2)), {true, {}, "example.com", {}, Listed(2)}});
  auto after = index.Current();
  EXPECT_FALSE(before->FindIp(*IpAddress::Parse("192.0.2.1")));
  EXPECT_TRUE(after->FindIp(*IpAddress::Parse("192.0.2.1")));
  EXPECT_TRUE(after->FindDomain("example.com"));
  EXPECT_EQ(after->Size(), 2u);
  EXPECT_NE(before->Serial(), after->Serial());
  index.Apply({IpChange("192.0.2.1", std::nullopt)});
  EXPECT_FALSE(index.Current()->FindIp(*IpAddress::Parse("192.0.2.1")));
  EXPECT_EQ(index.Current()->Size(), 1u);
}

TEST(ListingIndexTest, DeltasFoldIntoTheBaseWithoutLosingAnything) {
  ListingIndex index;
  for (uint32_t round = 0; round < 4; ++round) {
    std::vector<ListingChange> changes;
    for (uint32_t i = 0; i < 3000; ++i) {
      changes.push_back(
          {false, IpAddress::FromV4(0x0a000000 + round * 3000 + i), {}, {}, Listed(3)});
    }
    index.Apply(std::move(changes));
  }
  index.Apply({IpChange("10.0.0.5", std::nullopt)});
  auto snap = index.Current();
  EXPECT_EQ(snap->Size(), 11999u);
  size_t walked = 0;
  snap->ForEachIp([&](const IpAddress&, const Listing&) { ++walked; });
  EXPECT_EQ(walked, 11999u);
  EXPECT_FALSE(snap->FindIp(*IpAddress::Parse("10.0.0.5")));
  EXPECT_TRUE(snap->FindIp(*IpAddress::Parse("10.0.46.223")));  // 0x0a000000 + 11999
}

TEST(ListingIndexTest, ListenersSeeEffectiveChangesWithBefore) {
  ListingIndex index;
  std::vector<ListingChange> seen;
  index.AddChangeListener([&](uint32_t a, uint32_t b, const std::vector<ListingChange>& c) {
    EXPECT_NE(a, b);
    seen.insert(seen.end(), c.begin(), c.end());
  });
  index.Apply({IpChange("2001:db8::1", Listed(4))});
  index.Apply({IpChange("2001:db8::1", Listed(4))});  // no change: no event
  index.Apply({IpChange("2001:db8::1", Listed(2))});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].before);
  EXPECT_EQ(seen[1].before->categories, 1u << 4);
  EXPECT_FALSE(seen[1].ip.v4);
}

TEST(ListingIndexTest, NetworkListingsMatchLongestPrefixAfterTheAddressItself) {
  ListingIndex index;
  auto network = [](const std::string& ip, int bits, std::optional<Listing> after) {
    ListingChange c = IpChange(ip, std::move(after));
    c.prefix_length = static_cast<uint8_t>(bits);
    return c;
  };
  std::vector<ListingChange> seen;
  index.AddChangeListener(
      [&](uint32_t, uint32_t, const std::vector<ListingChange>& c) { seen = c; });
  index.Apply({network("10.1.2.3", 8, Listed(10)), network("10.64.0.0", 10, Listed(4)),
               IpChange("10.70.0.1", Listed(2)), network("2001:db8:ff::", 32, Listed(3))});
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].ip.ToString(), "10.0.0.0");  // stored masked
  EXPECT_EQ(seen[0].prefix_length, 8);
  auto snapshot = index.Current();
  EXPECT_EQ(snapshot->Size(), 4u);
  auto find = [&](const std::string& ip) { return snapshot->FindIp(*IpAddress::Parse(ip)); };
  EXPECT_EQ(find("10.200.0.1")->categories, 1u << 10);
  EXPECT_EQ(find("10.65.0.1")->categories, 1u << 4);  // the longer network
  EXPECT_EQ(find("10.70.0.1")->categories, 1u << 2);  // the address itself
  EXPECT_EQ(find("2001:db8:1::1")->categories, 1u << 3);
  EXPECT_FALSE(find("11.0.0.1"));
  EXPECT_FALSE(find("2001:db9::1"));
  int networks = 0;
  snapshot->ForEachRange([&](const IpAddress&, int, const Listing&) { ++networks; });
  EXPECT_EQ(networks, 3);
  int addresses = 0;
  snapshot->ForEachIp([&](const IpAddress&, const Listing&) { ++addresses; });
  EXPECT_EQ(addresses, 1);

  index.Apply({network("10.0.0.0", 8, std::nullopt)});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].before->categories, 1u << 10);
  EXPECT_FALSE(index.Current()->FindIp(*IpAddress::Parse("10.200.0.1")));
  EXPECT_TRUE(index.Current()->FindIp(*IpAddress::Parse("10.65.0.1")));

  // Every name under a domain: the nearest listed parent, after the name itself.
  ListingChange under{true, {}, "example.org", std::nullopt, Listed(5)};
  under.subdomains = true;
  ListingChange deeper = under;
  deeper.domain = "b.example.org";
  deeper.after = Listed(6);
  index.Apply({under, deeper, {true, {}, "own.example.org", std::nullopt, Listed(7)}});
  auto domain = [&](const std::string& d) { return index.Current()->FindDomain(d); };
  EXPECT_EQ(domain("x.example.org")->categories, 1u << 5);
  EXPECT_EQ(domain("x.b.example.org")->categories, 1u << 6);
  EXPECT_EQ(domain("own.example.org")->categories, 1u << 7);
  EXPECT_FALSE(domain("example.org"));
  EXPECT_FALSE(domain("xexample.org"));
  int parents = 0;
  index.Current()->ForEachSubdomainListing([&](std::string_view, const Listing&) { ++parents; });
  EXPECT_EQ(parents, 2);

  // A whole index with networks, as the engine loads it at start.
  ListingIndex::Loader loader;
  loader.Add(network("192.0.2.0", 24, Listed(2)));
  index.Reset(std::move(loader), 0);
  EXPECT_TRUE(index.Current()->FindIp(*IpAddress::Parse("192.0.2.77")));
  EXPECT_FALSE(index.Current()->FindIp(*IpAddress::Parse("10.65.0.1")));
  EXPECT_EQ(index.Current()->Size(), 1u);
}

TEST(ListingIndexTest, ReadersNeverBlockWhileAWriterPublishes) {
  ListingIndex index;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    auto ip = *IpAddress::Parse("192.0.2.1");
    while (!stop) {
      auto snap = index.Current();
      (void)snap->FindIp(ip);
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i) {
    index.Apply({IpChange("192.0.2.1", i % 2 ? std::nullopt : std::optional(Listed(2)))});
  }
  while (reads < 1000) std::this_thread::yield();
  stop = true;
  reader.join();
  SUCCEED();
}

TEST(SubjectTest, IpAddressesNormalise) {
  auto mapped = IpAddress::Parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->v4);
  EXPECT_EQ(mapped->ToString(), "192.0.2.1");
  auto v6 = IpAddress::Parse("2001:DB8:0:0:0:0:0:1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
  EXPECT_EQ(v6->Prefix().ToString(), "2001:db8::");
  EXPECT_EQ(IpAddress::Parse("192.0.2.77")->Prefix().ToString(), "192.0.2.0");
  EXPECT_FALSE(IpAddress::Parse("192.0.2.256"));
  EXPECT_FALSE(IpAddress::Parse("example.com"));
  EXPECT_FALSE(IpAddress::Parse(""));
}

TEST(SubjectTest, DomainsNormaliseToLowerCaseALabels) {
  EXPECT_EQ(NormalizeDomain("Example.COM."), "example.com");
  EXPECT_EQ(NormalizeDomain("bücher.example"), "xn--bcher-kva.example");
  EXPECT_FALSE(NormalizeDomain("a..b"));
  EXPECT_FALSE(NormalizeDomain(""));
  EXPECT_FALSE(NormalizeDomain(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(NormalizeDomain("bad domain.com"));
}

TEST(SubjectTest, OrganisationalDomainComesFromThePublicSuffixList) {
  EXPECT_EQ(OrganizationalDomain("mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(OrganizationalDomain("a.b.example.com"), "example.com");
  EXPECT_EQ(OrganizationalDomain("foo.github.io"), "foo.github.io");  // a private suffix
  EXPECT_EQ(OrganizationalDomain("example.com"), "example.com");
}

TEST(FeedbackTest, EventsParseAndErrorsNameTheField) {
  auto e = ParseEventJson(
      R"({"id":"x1","type":"complaint","time":"2026-01-02T03:04:05Z","ip":"::ffff:1.2.3.4",)"
      R"("domain":"Example.COM","reporter":"fbl","count":3})",
      2'000'000'000);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, EventType::kComplaint);
  EXPECT_EQ(e->ip->ToString(), "1.2.3.4");
  EXPECT_EQ(e->domain, "example.com");
  EXPECT_EQ(e->count, 3);
  EXPECT_EQ(e->time, 1767323045);
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"type":"ham","ip":"1.2.3.4","reporter":"r"})", "'id'"},
      {R"({"id":"a","type":"nope","ip":"1.2.3.4","reporter":"r"})", "'type'"},
      {R"({"id":"a","type":"ham","ip":"1.2.3","reporter":"r"})", "'ip'"},
      {R"({"id":"a","type":"ham","domain":"a..b","reporter":"r"})", "'domain'"},
      {R"({"id":"a","type":"ham","ip":"1.2.3.4"})", "'reporter'"},
      {R"({"id":"a","type":"ham","ip":"1.2.3.4","reporter":"r","count":-1})", "'count'"},
      {R"({"id":"a","type":"ham","ip":"1.2.3.4","reporter":"r","time":"yesterday"})", "'time'"},
      {R"({"id":"a","type":"ham","ip":"1.2.3.4","reporter":"r","time":9999999999})", "'time'"},
      // Found by fuzz_event_json: a huge double overflowed the conversion to seconds.
      {R"({"id":"a","type":"ham","ip":"1.2.3.4","reporter":"r","time":6e54})", "'time'"},
      {R"({"id":"a","type":"ham","ip":"1.2.3.4","reporter":"r","time":-1.5})", "'time'"},
      {R"({"id":"a","type":"ham","reporter":"r"})", "'ip' or 'domain'"},
      {R"({"id":1,"type":"ham","ip":"1.2.3.4","reporter":"r"})", "'id'"},
      {R"([1,2])", "object"},
      {R"({"id":"a",)", "malformed JSON"},
  };
  for (const auto& c : cases) {
    auto r = ParseEventJson(c.json, 2'000'000'000);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(std::string(r.status().message()).find(c.field), std::string::npos)
        << c.json << " -> " << r.status();
  }
}

}  // namespace
}  // namespace repd::reputation
