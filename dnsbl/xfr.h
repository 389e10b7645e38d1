// xfr.h -- zone transfers to secondaries: AXFR (RFC 5936) and IXFR (RFC 1995) answers,
// streamed message by message, and the journal of index changes that IXFR is built from.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dnsbl/query.h"
#include "dnsbl/server_context.h"
#include "reputation/listing_index.h"

namespace repd::dnsbl {

// The recent change batches of the index (serial from -> to), bounded by the number of
// subject changes kept. Fed by ListingIndex::AddChangeListener; read by IXFR.
class Journal {
 public:
  struct Batch {
    uint32_t from = 0, to = 0;
    std::vector<reputation::ListingChange> changes;
  };

  explicit Journal(size_t max_changes) : max_changes_(max_changes) {}
  // An empty batch is a full reset of the index: nothing older can be diffed any more.
  void Record(uint32_t from, uint32_t to, const std::vector<reputation::ListingChange>& changes);
  // The batches leading from serial `from` to serial `to`, or nullopt when the journal does
  // not reach that far back (the caller then sends the whole zone).
  std::optional<std::vector<std::shared_ptr<const Batch>>> Path(uint32_t from, uint32_t to) const;

 private:
  size_t max_changes_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const Batch>> batches_;
  size_t kept_ = 0;
};

inline bool IsTransfer(const Query& q) {
  return q.has_question && (q.qtype == kTypeAXFR || q.qtype == kTypeIXFR);
}

// The messages answering one AXFR/IXFR request received over TCP.
class TransferStream {
 public:
  // `raw` is the request as received (for TSIG); `peer` is checked against the ACL.
  static std::unique_ptr<TransferStream> Create(
      const Query& q, const uint8_t* raw, size_t raw_len, const reputation::IpAddress& peer,
      ServerContext& context, std::shared_ptr<const reputation::ListingIndex::Snapshot> snapshot);
  virtual ~TransferStream() = default;
  // The next message (without the TCP length prefix); false when the answer is complete.
  virtual bool Next(std::string* message) = 0;
  // The connection is closed after this answer (a refused transfer).
  virtual bool close_after() const { return false; }
};

}  // namespace repd::dnsbl
