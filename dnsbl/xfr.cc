#include "dnsbl/xfr.h"

#include <algorithm>
#include <ctime>

#include <map>

#include "dnsbl/answer.h"
#include "dnsbl/tsig.h"

namespace repd::dnsbl {

void Journal::Record(uint32_t from, uint32_t to,
                     const std::vector<reputation::ListingChange>& changes) {
  std::lock_guard lock(mu_);
  // A network listing's change moves wildcards and their empty non-terminals: the zone is
  // sent whole (Diff knows subjects only).
  const bool networks =
      std::any_of(changes.begin(), changes.end(), [](const auto& c) { return c.is_network(); });
  if (changes.empty() || networks) {
    batches_.clear();
    kept_ = 0;
    return;
  }
  batches_.push_back(std::make_shared<const Batch>(Batch{from, to, changes}));
  kept_ += changes.size();
  while (!batches_.empty() && kept_ > max_changes_) {
    kept_ -= batches_.front()->changes.size();
    batches_.pop_front();
  }
}

std::optional<std::vector<std::shared_ptr<const Journal::Batch>>> Journal::Path(uint32_t from,
                                                                                uint32_t to) const {
  std::vector<std::shared_ptr<const Batch>> path;
  if (from == to) return path;
  std::lock_guard lock(mu_);
  uint32_t at = from;
  for (const auto& b : batches_) {
    if (path.empty() && b->from != at) continue;
    if (b->from != at) return std::nullopt;  // a gap: a reset happened in between
    path.push_back(b);
    at = b->to;
    if (at == to) return path;
  }
  return std::nullopt;
}

namespace {

// Keeps each message well under the 64 KiB limit, so that a secondary's buffers and our own
// stay small, while still amortising the per-message overhead.
constexpr size_t kTargetMessage = 16 * 1024;

struct Item {
  enum Kind : uint8_t { kSoa, kNs, kEntry } kind;
  uint32_t serial = 0;
  const ZoneEntry* entry = nullptr;
};

class StreamImpl final : public TransferStream {
 public:
  StreamImpl(const Query& q, ServerContext& ctx, const Zone& zone, uint16_t rcode)
      : q_(q), ctx_(ctx), zone_(zone), rcode_(rcode) {}

  void AddSoa(uint32_t serial) { items_.push_back({Item::kSoa, serial, nullptr}); }
  void AddNs() { items_.push_back({Item::kNs, 0, nullptr}); }
  // Entries must not move after this: items point into `storage`.
  void AddEntries(const std::vector<ZoneEntry>& storage) {
    for (const ZoneEntry& e : storage) items_.push_back({Item::kEntry, 0, &e});
  }
  std::vector<ZoneEntry>& Own(std::vector<ZoneEntry> entries) {
    owned_.push_back(std::move(entries));
    return owned_.back();
  }
  void set_close_after() { close_after_ = true; }
  void set_tsig(const TsigKey* key, TsigKey::Exchange exchange) {
    tsig_ = key;
    exchange_ = std::move(exchange);
  }
  bool close_after() const override { return close_after_; }

  bool Next(std::string* message) override {
    if (sent_any_ && next_ >= items_.size()) return false;
    buffer_.resize(65535);
    Writer w(reinterpret_cast<uint8_t*>(buffer_.data()), buffer_.size());
    const uint16_t flags = kFlagQR | kFlagAA | (q_.flags & kFlagRD) | rcode_;
    w.U16(q_.id);
    w.U16(flags);
    w.U16(1);
    w.U16(0);
    w.U16(0);
    w.U16(0);
    w.Bytes(q_.qname, q_.qname_len);
    w.U16(q_.qtype);
    w.U16(q_.qclass);
    const DnsOptions& o = ctx_.zones.options();
    uint16_t count = 0;
    while (next_ < items_.size()) {
      const size_t mark = w.size();
      const Item& item = items_[next_];
      uint16_t written = 0;
      switch (item.kind) {
        case Item::kSoa:
          WriteSoaRecord(w, zone_, o, kHeaderSize, o.soa_ttl, item.serial);
          written = 1;
          break;
        case Item::kNs:
          WriteNsRecords(w, zone_, o, kHeaderSize);
          written = static_cast<uint16_t>(zone_.ns.size());
          break;
        case Item::kEntry: {
          const Subject subject = item.entry->ToSubject();
          const std::string labels = OwnerLabels(subject);
          Owner owner{kHeaderSize, labels};
          written = item.entry->excluded ? WriteExcludedCname(w, owner, kHeaderSize, o.ttl)
                                         : WriteSubjectRecords(w, owner, item.entry->records,
                                                               subject, o.ttl, true, true);
          break;
        }
      }
      if (w.overflow() || (count > 0 && w.size() > kTargetMessage)) {
        w.Truncate(mark);
        if (count == 0) ++next_;  // cannot fit even alone: impossible with 255-byte names
        break;
      }
      count = static_cast<uint16_t>(count + written);
      ++next_;
    }
    w.Patch16(6, count);
    message->assign(buffer_.data(), w.size());
    sent_any_ = true;
    if (tsig_ != nullptr && !tsig_->Sign(message, &exchange_).ok()) return false;
    return true;
  }

 private:
  Query q_;
  ServerContext& ctx_;
  const Zone& zone_;
  uint16_t rcode_;
  std::vector<Item> items_;
  std::deque<std::vector<ZoneEntry>> owned_;
  size_t next_ = 0;
  bool sent_any_ = false;
  bool close_after_ = false;
  std::string buffer_;
  const TsigKey* tsig_ = nullptr;
  TsigKey::Exchange exchange_;
};

// An answer of one message built beforehand, after which the connection is closed.
class SingleMessage final : public TransferStream {
 public:
  explicit SingleMessage(std::string message) : message_(std::move(message)) {}
  bool Next(std::string* message) override {
    if (sent_) return false;
    *message = std::move(message_);
    sent_ = true;
    return true;
  }
  bool close_after() const override { return true; }

 private:
  std::string message_;
  bool sent_ = false;
};

// The records of `a` that `b` does not have: IXFR sends only what changed.
ZoneRecords Minus(const ZoneRecords& a, const ZoneRecords& b) {
  ZoneRecords r = a;
  if (a.third == b.third) {
    r.lasts = a.lasts & ~b.lasts;
    if (a.single == b.single) r.single = -1;
  }
  if (b.txt != nullptr && a.txt != nullptr && *a.txt == *b.txt) r.txt = nullptr;
  return r;
}

// The condensed difference (RFC 1995 section 4) of `zone` over the journal batches.
void Diff(const ZoneSet& zones, const Zone& zone,
          const std::vector<std::shared_ptr<const Journal::Batch>>& path,
          std::vector<ZoneEntry>* deleted, std::vector<ZoneEntry>* added) {
  using reputation::Listing;
  struct Span {
    const reputation::ListingChange* first;
    const reputation::ListingChange* last;
  };
  std::map<std::string, Span> spans;
  for (const auto& batch : path) {
    for (const auto& c : batch->changes) {
      if (c.is_domain ? !zone.serves_domains() : !zone.serves_ips()) continue;
      std::string key = c.is_domain
                            ? "d" + c.domain
                            : std::string(reinterpret_cast<const char*>(c.ip.bytes.data()), 16) +
                                  (c.ip.v4 ? "4" : "6");
      auto [it, inserted] = spans.try_emplace(std::move(key), Span{&c, &c});
      if (!inserted) it->second.last = &c;
    }
  }
  for (const auto& [key, span] : spans) {
    const auto& c = *span.first;
    if (c.is_domain && (c.domain.empty() || c.domain.size() >= kMaxName)) continue;
    ZoneEntry e{c.is_domain, c.ip, c.domain, {}};
    if (ClassifyTestPoint(e.ToSubject()) != TestPoint::kNone) continue;
    const ZoneRecords before =
        span.first->before ? zones.RecordsOf(zone, *span.first->before) : ZoneRecords{};
    const ZoneRecords after =
        span.last->after ? zones.RecordsOf(zone, *span.last->after) : ZoneRecords{};
    e.records = Minus(before, after);
    if (!e.records.empty()) deleted->push_back(e);
    e.records = Minus(after, before);
    if (!e.records.empty()) added->push_back(e);
  }
}

}  // namespace

std::unique_ptr<TransferStream> TransferStream::Create(
    const Query& q, const uint8_t* raw, size_t raw_len, const reputation::IpAddress& peer,
    ServerContext& ctx, std::shared_ptr<const reputation::ListingIndex::Snapshot> snapshot) {
  size_t relative = 0;
  const Zone* zone =
      ctx.zones.Find(q.qname_lower, q.qname_len, q.label_offset, q.label_count, &relative);
  auto refuse = [&](uint16_t rcode) {
    ctx.metrics.transfers_refused->Add();
    static const Zone kNoZone{};
    auto s = std::make_unique<StreamImpl>(q, ctx, zone ? *zone : kNoZone, rcode);
    s->set_close_after();
    return s;
  };
  if (zone == nullptr) return refuse(kRefused);
  if (relative != 0) return refuse(kNotAuth);
  if (!ctx.transfer_acl.Allows(peer)) return refuse(kRefused);
  TsigKey::Exchange exchange;
  if (ctx.tsig || q.has_tsig) {
    // With a key configured, an unsigned request is refused; a badly signed one (or a signed
    // one with no key configured) gets the RFC 8945 error answer, so that the secondary's log
    // says which: BADKEY, BADSIG or BADTIME.
    if (!q.has_tsig) return refuse(kNotAuth);
    const int64_t now = std::time(nullptr);
    const TsigKey::Check check =
        ctx.tsig ? ctx.tsig->Verify(raw, raw_len, &exchange, now) : TsigKey::Check::kBadKey;
    if (check != TsigKey::Check::kValid) {
      std::string answer =
          TsigErrorAnswer(ctx.tsig.get(), check, exchange, ctx.zones.options(), raw, raw_len, now);
      if (answer.empty()) return refuse(kNotAuth);
      ctx.metrics.transfers_refused->Add();
      return std::make_unique<SingleMessage>(std::move(answer));
    }
  }
  if (q.qtype == kTypeIXFR && !q.has_client_serial) return refuse(kFormErr);
  auto s = std::make_unique<StreamImpl>(q, ctx, *zone, kNoError);
  if (ctx.tsig) s->set_tsig(ctx.tsig.get(), std::move(exchange));
  const uint32_t serial = snapshot->Serial();
  if (q.qtype == kTypeIXFR) {
    // A secondary that is current (or, by RFC 1982, ahead) gets the SOA alone.
    if (static_cast<int32_t>(q.client_serial - serial) >= 0) {
      ctx.metrics.ixfr->Add();
      s->AddSoa(serial);
      return s;
    }
    // With network listings, a new address under one also adds wildcards at its parents
    // (CollectZone), which a diff of subjects does not carry: the zone is sent whole.
    bool networks = false;
    snapshot->ForEachRange(
        [&](const reputation::IpAddress&, int, const reputation::Listing&) { networks = true; });
    snapshot->ForEachSubdomainListing(
        [&](std::string_view, const reputation::Listing&) { networks = true; });
    if (ctx.journal && !networks) {
      if (auto path = ctx.journal->Path(q.client_serial, serial)) {
        std::vector<ZoneEntry> deleted, added;
        Diff(ctx.zones, *zone, *path, &deleted, &added);
        ctx.metrics.ixfr->Add();
        s->AddSoa(serial);
        s->AddSoa(q.client_serial);
        s->AddEntries(s->Own(std::move(deleted)));
        s->AddSoa(serial);
        s->AddEntries(s->Own(std::move(added)));
        s->AddSoa(serial);
        return s;
      }
    }
    // Too old for the journal: the whole zone, in AXFR form (RFC 1995 section 4).
  }
  ctx.metrics.axfr->Add();
  s->AddSoa(serial);
  s->AddNs();
  s->AddEntries(s->Own(CollectZone(ctx.zones, *zone, *snapshot)));
  s->AddSoa(serial);
  return s;
}

}  // namespace repd::dnsbl
