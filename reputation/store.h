// store.h -- the only way to RocksDB: column families, the evidence merge operator, schema
// version, retention.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "reputation/evidence.h"
#include "rocksdb/write_batch.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace repd::reputation {

inline constexpr int kSchemaVersion = 1;

class Store {
 public:
  // kEvents: the raw event log keyed by event id, which is also the set of ids seen
  // (idempotency). Each value starts with the event time (8 bytes, native order): retention
  // drops events older than the cutoff at compaction.
  enum Family { kSubjects, kEvents, kOverrides, kAudit, kMeta, kFamilyCount };

  // Creates the data dir when needed. Errors name the directory and the cause (in use by
  // another process, not writable, written by a newer repd).
  // `half_lives` are what the evidence merge operator decays with.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir, bool read_only,
                                                     const HalfLives& half_lives);
  ~Store();

  // Writes accumulate in a batch; Commit makes it durable (`sync`: WAL fsync'd first).
  class Batch {
   public:
    void Put(Family f, std::string_view key, std::string_view value);
    void Delete(Family f, std::string_view key);
    void Merge(std::string_view subject_key, std::string_view operand);
    size_t Count() const { return static_cast<size_t>(batch_.Count()); }

   private:
    friend class Store;
    explicit Batch(Store* store) : store_(store) {}
    Store* store_;
    rocksdb::WriteBatch batch_;
  };
  Batch NewBatch() { return Batch(this); }
  absl::Status Commit(Batch& batch, bool sync);

  // For each key, whether it exists in `family` (one MultiGet).
  std::vector<bool> Exists(Family family, const std::vector<std::string_view>& keys);
  absl::StatusOr<std::optional<std::string>> Get(Family family, std::string_view key);
  // The record with every merge operand applied; nullopt when there is none.
  absl::StatusOr<std::optional<Record>> GetRecord(std::string_view subject_key);
  // Many records in one MultiGet, in the order of `keys`.
  std::vector<absl::StatusOr<std::optional<Record>>> GetRecords(
      const std::vector<std::string>& keys);
  void ForEach(Family family, std::string_view prefix,
               const std::function<void(std::string_view key, std::string_view value)>& fn);

  // Raw events (and so their ids) older than `cutoff` (unix seconds) go at the next
  // compaction; CompactEvents forces one.
  void ExpireBefore(int64_t cutoff);
  absl::Status CompactEvents();

  std::vector<std::pair<std::string, double>> Figures();

  // Audit keys sort by time: 8 bytes big-endian seconds, then `suffix`.
  static std::string TimeKey(int64_t time, std::string_view suffix);

 private:
  Store() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  bool read_only_ = false;
};

}  // namespace repd::reputation
