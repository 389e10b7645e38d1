// Cost of one query's user-space path (parse + look up + build the answer), the hand-written
// fast path side by side with the ldns parser as the anchor, on indexes of 10k, 1M and 10M
// IPv4 entries (the cost must stay flat as the index grows).
//
// taskset -c 0 ./build/tests/dnsbl/dnsbl_answer_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>

#include "dnsbl/answer.h"
#include "dnsbl/ldns.h"
#include "dnsbl/query.h"
#include "dnsbl/zone.h"

namespace {

using namespace repd;
using namespace repd::dnsbl;

struct World {
  reputation::ListingIndex index;
  std::unique_ptr<ZoneSet> zones;
  std::vector<std::vector<uint8_t>> queries;

  explicit World(size_t entries) {
    std::mt19937 rng(1);
    std::vector<reputation::ListingChange> all(entries);
    const auto* txt = reputation::InternTxt("Listed $ (see http://repd.test/lookup/$)");
    for (auto& c : all) {
      c.ip = reputation::IpAddress::FromV4(rng());
      reputation::Listing l;
      l.categories = 1u << 2;
      l.txt = txt;
      c.after = l;
    }
    for (int i = 0; i < 4096; ++i) {
      // One in ten listed, as in ../shared/bench/dnsbl.
      const uint32_t v4 = i % 10 == 0 ? all[rng() % all.size()].ip.V4HostOrder() : rng();
      std::string name;
      for (int b = 0; b < 4; ++b) name += std::to_string((v4 >> (8 * b)) & 0xff) + ".";
      name += "bl.repd.test";
      ldns_pkt* pkt = nullptr;
      ldns_pkt_query_new_frm_str(&pkt, name.c_str(), i % 4 == 3 ? LDNS_RR_TYPE_TXT : LDNS_RR_TYPE_A,
                                 LDNS_RR_CLASS_IN, 0);
      uint8_t* wire = nullptr;
      size_t size = 0;
      ldns_pkt2wire(&wire, pkt, &size);
      queries.emplace_back(wire, wire + size);
      free(wire);
      ldns_pkt_free(pkt);
    }
    index.Reset(std::move(all), 0);
    zones = std::make_unique<ZoneSet>(*ZoneSet::Create(DnsOptions{}));
  }
};

World& TheWorld(size_t entries) {
  static std::map<size_t, std::unique_ptr<World>> worlds;  // built once per size, kept
  auto& w = worlds[entries];
  if (!w) w = std::make_unique<World>(entries);
  return *w;
}

template <ParseStatus (*Parse)(const uint8_t*, size_t, Query*)>
void BM_Answer(benchmark::State& state) {
  World& w = TheWorld(static_cast<size_t>(state.range(0)));
  auto snapshot = w.index.Current();
  Query q;
  uint8_t out[1232];
  size_t i = 0;
  for (auto _ : state) {
    const auto& query = w.queries[i++ & 4095];
    AnswerInfo info;
    const ParseStatus s = Parse(query.data(), query.size(), &q);
    benchmark::DoNotOptimize(
        BuildAnswer(q, s, *w.zones, *snapshot, Transport::kUdp, 1232, out, sizeof out, &info));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Answer<ParseQueryFast>)
    ->Name("answer/fast_path")
    ->Arg(10000)
    ->Arg(1000000)
    ->Arg(10000000);
BENCHMARK(BM_Answer<ParseQueryLdns>)
    ->Name("answer/ldns_parser")
    ->Arg(10000)
    ->Arg(1000000)
    ->Arg(10000000);

}  // namespace

BENCHMARK_MAIN();
