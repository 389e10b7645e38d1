// Benchmarks of reputation/: feedback ingestion through the engine next to RocksDB's own write
// rate for the same batches (the anchor), how soon a new listing is visible, ListingIndex
// lookups, and memory per listed subject. Run with scripts/bench_reputation.
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "reputation/listing_index.h"
#include "reputation/reputation.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tests/support/repd_process.h"

namespace repd::reputation {
namespace {

constexpr size_t kBatch = 5000;

// Event ids as feeds make them (hashes of a report and its row): unique, in no order, so that
// the event log and the seen ids take random inserts as they do in production.
std::string EventId(uint64_t n) {
  uint64_t z = n + 0x9e3779b97f4a7c15;  // splitmix64: a bijection, so ids never repeat
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  z ^= z >> 31;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(z));
  return std::string("bench-") + hex;
}

std::vector<Event> MakeBatch(std::mt19937& rng, uint64_t& next_id, int64_t now) {
  static constexpr EventType kTypes[] = {EventType::kDelivered, EventType::kDelivered,
                                         EventType::kAuthPass,  EventType::kComplaint,
                                         EventType::kSpamtrap,  EventType::kBot};
  std::vector<Event> batch(kBatch);
  for (auto& e : batch) {
    e.id = EventId(next_id++);
    e.type = kTypes[rng() % std::size(kTypes)];
    e.time = now - static_cast<int64_t>(rng() % 86400);
    e.ip = IpAddress::FromV4(0x0b000000 + rng() % 1'000'000);
    if (rng() % 2) e.domain = "sender" + std::to_string(rng() % 100'000) + ".example";
    e.reporter = "reporter" + std::to_string(rng() % 8);
    e.count = 1 + rng() % 20;
  }
  return batch;
}

// "One core for the writer": the benchmark's thread gets core 0 to itself; RocksDB's flushes and
// compactions and the engine's index refresher share core 1. Repeated before each batch because
// RocksDB starts background threads from whichever thread needs one.
void PinWriterApart() {
  if (std::thread::hardware_concurrency() < 2) return;
  const pid_t self = gettid();
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return;
  while (const dirent* entry = readdir(tasks)) {
    const pid_t tid = std::atoi(entry->d_name);
    if (tid <= 0) continue;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(tid == self ? 0 : 1, &cpus);
    sched_setaffinity(tid, sizeof cpus, &cpus);
  }
  closedir(tasks);
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void BM_EngineIngest(benchmark::State& state) {
  ReputationOptions options;
  options.data_dir = testing::MakeTempDir("repd-bench") + "/var";
  options.reporters = {{"reporter0", 1.0}, {"reporter1", 1.0}};
  auto rep = Reputation::Open(options);
  if (!rep.ok()) {
    state.SkipWithError(std::string(rep.status().message()).c_str());
    return;
  }
  std::mt19937 rng(1);
  uint64_t id = 0;
  const auto begin = std::chrono::steady_clock::now();
  for (auto _ : state) {
    state.PauseTiming();
    PinWriterApart();
    auto batch = MakeBatch(rng, id, Now());
    state.ResumeTiming();
    auto out = (*rep)->Ingest(batch);
    if (!out.ok() || out->accepted != kBatch) state.SkipWithError("ingest failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  // The index catches up on the refresher thread; how far behind was it at the end?
  auto start = std::chrono::steady_clock::now();
  (*rep)->WaitForIndex();
  const auto end = std::chrono::steady_clock::now();
  state.counters["index_catch_up_ms"] =
      std::chrono::duration<double, std::milli>(end - start).count();
  // The rate at which the index absorbed the same events, on the other core.
  state.counters["index_events_per_s"] = static_cast<double>(state.iterations() * kBatch) /
                                         std::chrono::duration<double>(end - begin).count();
  state.counters["index_subjects"] = static_cast<double>((*rep)->index().Current()->Size());
}
// A fixed 2M events, so that every run includes flushes and compactions in steady state: short
// runs end before the first flush backlog and flatter whatever defers work to the background.
BENCHMARK(BM_EngineIngest)->Unit(benchmark::kMillisecond)->Iterations(400)->UseRealTime();

// How soon a new listing is visible after Ingest acknowledges it (issue: "well under a
// second"): one trusted bot report on a fresh IP, then the index is polled until it lists the
// IP. Beside it, another thread feeds batches of 5,000 random events at range(0) events/s
// (0: an idle service). Reports the median, p99 and worst delay in ms.
void BM_ListingVisibleAfterAck(benchmark::State& state) {
  ReputationOptions options;
  options.data_dir = testing::MakeTempDir("repd-bench") + "/var";
  options.reporters = {{"reporter0", 1.0}, {"reporter1", 1.0}};
  auto rep = Reputation::Open(options);
  if (!rep.ok()) {
    state.SkipWithError(std::string(rep.status().message()).c_str());
    return;
  }
  const double load = static_cast<double>(state.range(0));
  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    if (load == 0) return;
    std::mt19937 rng(3);
    uint64_t id = 1ull << 40;
    const auto period = std::chrono::duration<double>(static_cast<double>(kBatch) / load);
    auto next = std::chrono::steady_clock::now();
    while (!stop.load()) {
      (void)(*rep)->Ingest(MakeBatch(rng, id, Now()));
      // Behind time, it does not hurry to catch up: the feed stays at or below the rate.
      next =
          std::max(next + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period),
                   std::chrono::steady_clock::now());
      std::this_thread::sleep_until(next);
    }
  });
  std::vector<double> delays_ms;
  uint32_t probe = 0;
  for (auto _ : state) {
    Event e;
    e.id = "probe-" + std::to_string(probe);
    e.type = EventType::kBot;
    e.time = Now();
    e.ip = IpAddress::FromV4(0x0d000000 + probe++);  // outside the feeder's addresses
    e.reporter = "reporter0";
    auto out = (*rep)->Ingest({e});
    const auto acked = std::chrono::steady_clock::now();
    if (!out.ok() || out->accepted != 1) {
      state.SkipWithError("ingest failed");
      break;
    }
    while (!(*rep)->index().Current()->FindIp(*e.ip)) {
      if (std::chrono::steady_clock::now() - acked > std::chrono::seconds(5)) break;  // bound
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    delays_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - acked)
            .count());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  feeder.join();
  if (delays_ms.empty()) return;
  std::sort(delays_ms.begin(), delays_ms.end());
  auto at = [&](double q) { return delays_ms[static_cast<size_t>(q * (delays_ms.size() - 1))]; };
  state.counters["visible_p50_ms"] = at(0.5);
  state.counters["visible_p99_ms"] = at(0.99);
  state.counters["visible_max_ms"] = delays_ms.back();
  state.counters["feed_events_per_s"] = load;
}
BENCHMARK(BM_ListingVisibleAfterAck)
    ->Arg(0)
    ->Arg(20'000)
    ->Arg(50'000)
    ->Iterations(150)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The anchor: the rows the engine writes for the same batches, as plain Puts of similar size
// (the event under its id, and one value per subject it touches: ip, domain, and its
// organisational domain when that differs), one synced WriteBatch per 5,000 events.
void BM_RocksDbPlainPutAnchor(benchmark::State& state) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, testing::MakeTempDir("repd-anchor"), &raw);
  if (!s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::mt19937 rng(1);
  uint64_t id = 0;
  rocksdb::WriteOptions sync;
  sync.sync = true;
  std::string value(64, 'v');
  double keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    PinWriterApart();
    auto batch = MakeBatch(rng, id, Now());
    state.ResumeTiming();
    rocksdb::WriteBatch wb;
    for (const auto& e : batch) {
      wb.Put(e.id, value);
      wb.Put("ip:" + e.ip->ToString(), value);
      if (!e.domain.empty()) {
        wb.Put("dom:" + e.domain, value);
        const std::string org = OrganizationalDomain(e.domain);
        if (org != e.domain) wb.Put("dom:" + org, value);
      }
    }
    if (!db->Write(sync, &wb).ok()) state.SkipWithError("write failed");
    keys += static_cast<double>(wb.Count());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  // With db_bench's fillrandom keys/s on the same machine this gives the events/s that
  // RocksDB's own random-write rate allows at this many keys per event.
  state.counters["keys_per_event"] = keys / static_cast<double>(state.iterations() * kBatch);
}
BENCHMARK(BM_RocksDbPlainPutAnchor)->Unit(benchmark::kMillisecond)->Iterations(400)->UseRealTime();

// The lookup benchmarks' data: 1M listed IPv4 addresses, every 7th from 11.0.0.0, and 4,096
// queries over the span they cover (one in seven a hit).
uint32_t ListedV4(uint32_t i) { return 0x0b000000 + i * 7; }
std::vector<uint32_t> LookupQueries() {
  std::mt19937 rng(2);
  std::vector<uint32_t> queries;
  for (int i = 0; i < 4096; ++i) queries.push_back(0x0b000000 + rng() % 7'000'000);
  return queries;
}

ListingIndex& BigIndex() {
  static ListingIndex* index = [] {
    auto* idx = new ListingIndex;
    std::vector<ListingChange> all;
    Listing l;
    l.categories = 1u << kCategorySpam;
    l.txt = InternTxt("listed");
    for (uint32_t i = 0; i < 1'000'000; ++i) {
      all.push_back({false, IpAddress::FromV4(ListedV4(i)), {}, {}, l});
    }
    idx->Reset(std::move(all), 0);
    return idx;
  }();
  return *index;
}

void BM_IndexLookupIp(benchmark::State& state) {
  ListingIndex& index = BigIndex();
  std::vector<IpAddress> queries;
  for (uint32_t q : LookupQueries()) queries.push_back(IpAddress::FromV4(q));
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    auto snapshot = index.Current();
    for (int k = 0; k < 64; ++k) hits += snapshot->FindIp(queries[i++ & 4095]).has_value();
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 64));
}
BENCHMARK(BM_IndexLookupIp)->Threads(1)->Threads(2);

// The lookup anchor, same run: membership in a hash set of the same 1M addresses (no listing
// data, no snapshot), for the same queries. It puts the index's rate in terms of this
// machine's memory, which differs between machines by more than any change to the index.
void BM_HashSetLookupAnchor(benchmark::State& state) {
  static const auto* listed = [] {
    auto* set = new absl::flat_hash_set<uint32_t>;
    for (uint32_t i = 0; i < 1'000'000; ++i) set->insert(ListedV4(i));
    return set;
  }();
  const std::vector<uint32_t> queries = LookupQueries();
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    for (int k = 0; k < 64; ++k) hits += listed->contains(queries[i++ & 4095]);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 64));
}
BENCHMARK(BM_HashSetLookupAnchor)->Threads(1)->Threads(2);

// Heap bytes per listed subject: 1M IPv4 and 500k domains, as in the DNSBL benchmark data.
void BM_IndexMemoryPerSubject(benchmark::State& state) {
  for (auto _ : state) {
    size_t before = mallinfo2().uordblks + mallinfo2().hblkhd;  // heap + mmapped blocks
    {
      ListingIndex index;
      std::vector<ListingChange> all;
      Listing l;
      l.categories = 1u << kCategorySpam;
      l.txt = InternTxt("listed");
      for (uint32_t i = 0; i < 1'000'000; ++i) {
        all.push_back({false, IpAddress::FromV4(0x0c000000 + i * 3), {}, {}, l});
      }
      for (uint32_t i = 0; i < 500'000; ++i) {
        all.push_back({true, {}, "d" + std::to_string(i * 7919) + ".example", {}, l});
      }
      index.Reset(std::move(all), 0);
      size_t after = mallinfo2().uordblks + mallinfo2().hblkhd;
      state.counters["bytes_per_subject"] = static_cast<double>(after - before) / 1.5e6;
      state.counters["index_MiB"] = static_cast<double>(after - before) / (1 << 20);
    }
  }
}
BENCHMARK(BM_IndexMemoryPerSubject)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace repd::reputation

BENCHMARK_MAIN();
