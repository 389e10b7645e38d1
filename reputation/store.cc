#include "reputation/store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"

namespace repd::reputation {

namespace {

constexpr const char* kFamilyNames[Store::kFamilyCount] = {"subjects", "events", "overrides",
                                                           "audit", "meta"};
constexpr std::string_view kSchemaKey = "schema_version";

// Folds increments into a subject's record, so ingestion never reads before it writes.
class EvidenceMergeOperator final : public rocksdb::MergeOperator {
 public:
  explicit EvidenceMergeOperator(const HalfLives& half_lives) : half_lives_(half_lives) {}
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    Record record;
    if (in.existing_value != nullptr &&
        !DecodeRecord(std::string_view(in.existing_value->data(), in.existing_value->size()),
                      &record)) {
      return false;  // RocksDB reports Corruption: never silently replace stored evidence
    }
    for (const rocksdb::Slice& op : in.operand_list) {
      Record before = record;
      if (!ApplyOperand(std::string_view(op.data(), op.size()), half_lives_, &record)) {
        record = std::move(before);  // a malformed operand is skipped, whole
      }
    }
    out->new_value = EncodeRecord(record);
    return true;
  }
  const char* Name() const override { return "repd.EvidenceMerge.v1"; }

 private:
  HalfLives half_lives_;
};

// Raw events, and with them their ids, are kept for the retention period.
class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(const std::atomic<int64_t>* cutoff) : cutoff_(cutoff) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    int64_t time;
    if (value.size() < sizeof time) return false;
    std::memcpy(&time, value.data(), sizeof time);
    return time < cutoff_->load(std::memory_order_relaxed);
  }
  const char* Name() const override { return "repd.EventRetention"; }

 private:
  const std::atomic<int64_t>* cutoff_;
};

std::atomic<int64_t> g_event_cutoff{0};

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(AsAbsl(what), ": ", s.ToString()));
}

absl::Status CheckDir(const std::string& dir, bool read_only) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (read_only) return absl::NotFoundError(absl::StrCat("data dir ", dir, " does not exist"));
    std::string path;
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = dir.find('/', pos + 1);
      path = dir.substr(0, pos);
      if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::PermissionDeniedError(
            absl::StrCat("cannot create data dir ", dir, ": ", std::strerror(errno)));
      }
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("data dir ", dir, " is not a directory"));
  }
  if (!read_only && access(dir.c_str(), W_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("data dir ", dir, " is not writable"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir, bool read_only,
                                                   const HalfLives& half_lives) {
  if (auto s = CheckDir(dir, read_only); !s.ok()) return s;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.max_background_jobs = 2;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 3;

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  auto table_factory =
      std::shared_ptr<rocksdb::TableFactory>(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int f = 0; f < kFamilyCount; ++f) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory = table_factory;
    if (f == kSubjects) {
      cf.merge_operator = std::make_shared<EvidenceMergeOperator>(half_lives);
      // No max_successive_merges: it costs a memtable seek per merge (a third of ingestion).
      // Ingest folds a batch's events into one operand per subject, so a memtable holds at
      // most one operand per batch for any subject, however many events it draws.
      cf.write_buffer_size = 32 << 20;
    }
    if (f == kEvents || f == kSubjects) {
      // The default skip-list memtable, not a hash one: a hash memtable halves the writer's
      // insert cost, but its flush must sort, and on two cores the flushes then fall behind
      // and stall writes (bench_reputation over 2M events: 39k events/s against 66k).
      // Nearly every event-id lookup is a miss: a memtable Bloom filter answers it.
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.05;
    }
    if (f == kEvents) {
      static RetentionFilter filter(&g_event_cutoff);
      cf.compaction_filter = &filter;
    }
    descriptors.emplace_back(kFamilyNames[f], cf);
  }
  std::unique_ptr<Store> store(new Store);
  store->read_only_ = read_only;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = read_only
                          ? rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &db)
                          : rocksdb::DB::Open(options, dir, descriptors, &handles, &db);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::UnavailableError(absl::StrCat(
          "data dir ", dir, " is in use by another repd process (", s.ToString(), ")"));
    }
    return absl::InternalError(absl::StrCat("cannot open store in ", dir, ": ", s.ToString()));
  }
  store->db_.reset(db);
  // handles[0] is the default family, kept so that it is closed with the others.
  store->families_.assign(handles.begin() + 1, handles.end());
  store->families_.push_back(handles[0]);

  auto version = store->Get(kMeta, kSchemaKey);
  if (!version.ok()) return version.status();
  if (*version) {
    int stored = std::atoi((*version)->c_str());
    if (stored > kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("data dir ", dir, " was written by a newer repd (schema ", stored,
                       "); this repd reads schema ", kSchemaVersion, " and older"));
    }
  } else if (!read_only) {
    auto batch = store->NewBatch();
    batch.Put(kMeta, kSchemaKey, std::to_string(kSchemaVersion));
    if (auto st = store->Commit(batch, true); !st.ok()) return st;
  }
  return store;
}

Store::~Store() {
  if (!db_) return;
  if (!read_only_) db_->FlushWAL(true).PermitUncheckedError();
  for (auto* h : families_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

void Store::Batch::Put(Family f, std::string_view key, std::string_view value) {
  batch_
      .Put(store_->families_[f], rocksdb::Slice(key.data(), key.size()),
           rocksdb::Slice(value.data(), value.size()))
      .PermitUncheckedError();
}

void Store::Batch::Delete(Family f, std::string_view key) {
  batch_.Delete(store_->families_[f], rocksdb::Slice(key.data(), key.size()))
      .PermitUncheckedError();
}

void Store::Batch::Merge(std::string_view subject_key, std::string_view operand) {
  batch_
      .Merge(store_->families_[kSubjects], rocksdb::Slice(subject_key.data(), subject_key.size()),
             rocksdb::Slice(operand.data(), operand.size()))
      .PermitUncheckedError();
}

absl::Status Store::Commit(Batch& batch, bool sync) {
  if (read_only_) return absl::FailedPreconditionError("store opened read-only");
  rocksdb::WriteOptions options;
  options.sync = sync;
  return FromRocks(db_->Write(options, &batch.batch_), "store write");
}

std::vector<bool> Store::Exists(Family family, const std::vector<std::string_view>& keys) {
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (std::string_view key : keys) slices.emplace_back(key.data(), key.size());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), families_[family], keys.size(), slices.data(),
                values.data(), statuses.data());
  std::vector<bool> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) out[i] = statuses[i].ok();
  return out;
}

absl::StatusOr<std::optional<std::string>> Store::Get(Family family, std::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), families_[family],
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "store read");
  return value;
}

absl::StatusOr<std::optional<Record>> Store::GetRecord(std::string_view subject_key) {
  auto value = Get(kSubjects, subject_key);
  if (!value.ok()) return value.status();
  if (!*value) return std::nullopt;
  Record record;
  if (!DecodeRecord(**value, &record)) {
    return absl::DataLossError(absl::StrCat("corrupt record for ", AsAbsl(subject_key)));
  }
  return record;
}

std::vector<absl::StatusOr<std::optional<Record>>> Store::GetRecords(
    const std::vector<std::string>& keys) {
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), families_[kSubjects], keys.size(), slices.data(),
                values.data(), statuses.data());
  std::vector<absl::StatusOr<std::optional<Record>>> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      out.emplace_back(std::nullopt);
    } else if (!statuses[i].ok()) {
      out.emplace_back(FromRocks(statuses[i], "store read"));
    } else {
      Record record;
      if (DecodeRecord(std::string_view(values[i].data(), values[i].size()), &record)) {
        out.emplace_back(std::move(record));
      } else {
        out.emplace_back(absl::DataLossError(absl::StrCat("corrupt record for ", keys[i])));
      }
    }
  }
  return out;
}

void Store::ForEach(Family family, std::string_view prefix,
                    const std::function<void(std::string_view, std::string_view)>& fn) {
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // a full scan would evict the blocks that point lookups need
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, families_[family]));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    fn(key, std::string_view(it->value().data(), it->value().size()));
  }
}

std::string Store::TimeKey(int64_t time, std::string_view suffix) {
  std::string key(8, '\0');
  uint64_t t = static_cast<uint64_t>(time);
  for (int i = 7; i >= 0; --i, t >>= 8) key[static_cast<size_t>(i)] = static_cast<char>(t & 0xff);
  key.append(suffix);
  return key;
}

void Store::ExpireBefore(int64_t cutoff) {
  g_event_cutoff.store(cutoff, std::memory_order_relaxed);
}

absl::Status Store::CompactEvents() {
  return FromRocks(
      db_->CompactRange(rocksdb::CompactRangeOptions(), families_[kEvents], nullptr, nullptr),
      "event log compaction");
}

std::vector<std::pair<std::string, double>> Store::Figures() {
  std::vector<std::pair<std::string, double>> out;
  for (const char* property : {"rocksdb.estimate-num-keys", "rocksdb.cur-size-all-mem-tables",
                               "rocksdb.total-sst-files-size", "rocksdb.estimate-live-data-size",
                               "rocksdb.num-running-compactions"}) {
    for (int f = 0; f < kFamilyCount; ++f) {
      uint64_t value = 0;
      if (db_->GetIntProperty(families_[f], property, &value)) {
        std::string name(property + 8);  // without "rocksdb."
        for (char& c : name) c = c == '-' ? '_' : c;
        out.emplace_back(absl::StrCat(name, "{family=\"", kFamilyNames[f], "\"}"),
                         static_cast<double>(value));
      }
    }
  }
  return out;
}

}  // namespace repd::reputation
