// listing_index.h -- what DNS and HTTP read: every subject's current listing, in memory.
//
// Readers take an immutable Snapshot (one atomic load) and never block on writers. The writer
// (the reputation engine) publishes small deltas as feedback arrives, so a new listing is
// visible within milliseconds, and folds them into a new base in the background.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reputation/subject.h"

namespace repd::reputation {

namespace internal {
class ListingBase;
}

// Category codes of DESIGN.md: the last octet of 127.0.0.C (IPs) / 127.0.1.C (domains).
enum Category : uint8_t {
  kCategorySpam = 2,
  kCategoryTrap = 3,
  kCategoryBot = 4,
  kCategoryForgery = 5,
  kCategoryPolicy = 10,
  kCategoryManual = 20,
};
std::string_view CategoryName(int code);
std::optional<int> CategoryFromName(std::string_view name);

struct Listing {
  uint32_t categories = 0;     // bit c set: category code c applies (codes 1..31)
  uint8_t score = 0;           // 0..100, 100 = best; meaningful when has_score
  bool has_score = false;      // false for subjects known only from an import or override
  int8_t allow_trust = -1;     // -1: not in the allow list; 0..3 dnswl-style trust
  bool shared = false;         // a provider's IP (MODEL.md "shared IP")
  bool good_standing = false;  // MODEL.md "good standing" (the allow zone adds 30 days of history)
  // Text for TXT answers; may contain '$', which DNS replaces with the queried subject
  // (rbldnsd convention). Interned: valid for the life of the process. Never null.
  const std::string* txt = nullptr;

  bool listed() const { return categories != 0; }
  bool operator==(const Listing&) const = default;
};

// Interns a TXT text: the returned pointer is stable for the life of the process. The set
// of distinct texts stays small because per-subject detail lives in the HTTP report.
const std::string* InternTxt(std::string_view text);

// One subject's change, for transfer journals (IXFR) and exports.
struct ListingChange {
  bool is_domain = false;
  IpAddress ip;                          // when !is_domain
  std::string domain;                    // when is_domain
  std::optional<Listing> before, after;  // nullopt: absent
  // IPs: 0 for the address itself; else the listing of the whole network `ip`/prefix_length,
  // which every address in it without a listing of its own gets (longest prefix first).
  uint8_t prefix_length = 0;
  // Domains: the listing of every name under `domain` (not `domain` itself) without a listing
  // of its own, the nearest such parent first (rbldnsd's "*.domain").
  bool subdomains = false;

  bool is_network() const { return is_domain ? subdomains : prefix_length != 0; }
};

class ListingIndex {
 public:
  class Snapshot {
   public:
    virtual ~Snapshot() = default;
    virtual std::optional<Listing> FindIp(const IpAddress& ip) const = 0;
    // `domain` must be normalised (lower case, no trailing dot).
    virtual std::optional<Listing> FindDomain(std::string_view domain) const = 0;
    // Whether any subject lies below `domain` (normalised): the name is then an empty
    // non-terminal, which must not be answered NXDOMAIN (RFC 8020).
    virtual bool HasNamesBelow(std::string_view domain) const = 0;
    // Whether an IPv6 address or network starting with these 16 bits is listed (their
    // reversed name, four nibbles, reads as an IPv4 address too).
    virtual bool HasV6Under(uint16_t first16) const = 0;
    // Zone serial (RFC 1982 arithmetic): grows with every published change, and across
    // restarts (it is derived from the clock and persisted as a floor).
    virtual uint32_t Serial() const = 0;
    virtual size_t Size() const = 0;
    virtual void ForEachIp(
        const std::function<void(const IpAddress&, const Listing&)>& fn) const = 0;
    virtual void ForEachDomain(
        const std::function<void(std::string_view, const Listing&)>& fn) const = 0;
    // The network listings: (network, prefix length, listing).
    virtual void ForEachRange(
        const std::function<void(const IpAddress&, int, const Listing&)>& fn) const = 0;
    // The listings of every name under a domain: (domain, listing).
    virtual void ForEachSubdomainListing(
        const std::function<void(std::string_view, const Listing&)>& fn) const = 0;
  };

  // Receives every published batch of changes, on the writer's thread, in serial order.
  // An empty `changes` means the whole index was replaced (Reset): journals start again and
  // incremental transfers from older serials must fall back to a full one.
  using ChangeListener = std::function<void(uint32_t old_serial, uint32_t new_serial,
                                            const std::vector<ListingChange>& changes)>;

  // Collects a whole index for Reset, packed as it goes, so that a start-up rebuild of
  // millions of subjects never holds them as ListingChanges. A later Add of a subject
  // replaces an earlier one.
  class Loader {
   public:
    Loader();
    ~Loader();
    Loader(Loader&&) noexcept;
    void Add(const IpAddress& ip, const Listing& listing);
    void Add(std::string_view domain, const Listing& listing);
    // Any kind of listing, networks included; one with no `after` adds nothing.
    void Add(const ListingChange& change);

   private:
    friend class ListingIndex;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  ListingIndex();
  ~ListingIndex();
  ListingIndex(const ListingIndex&) = delete;
  ListingIndex& operator=(const ListingIndex&) = delete;

  std::shared_ptr<const Snapshot> Current() const;
  // Const: readers (DNS transfer journals) subscribe without write access to the index.
  void AddChangeListener(ChangeListener listener) const;

  // Writer side (one writer at a time; the reputation engine serialises calls).
  // `after == nullopt` removes the subject; `before` is filled in by Apply. Changes that
  // change nothing are dropped. Publishes one new serial for the whole batch.
  void Apply(std::vector<ListingChange> changes);
  // Replaces everything (start-up rebuild and bulk import) and publishes it.
  void Reset(Loader loader, uint32_t serial_floor);
  void Reset(std::vector<ListingChange> all, uint32_t serial_floor);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace repd::reputation
