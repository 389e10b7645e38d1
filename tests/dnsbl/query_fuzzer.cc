// libFuzzer target for the query path: any bytes through both parsers and the answer
// builder. Checks that the fast path agrees with ldns whenever it accepts a message, that
// every answer is a message ldns can read with the question echoed, and that UDP answers
// respect their size limit.
#include <cstdlib>
#include <cstring>

#include "dnsbl/answer.h"
#include "dnsbl/ldns.h"
#include "dnsbl/query.h"
#include "dnsbl/tsig.h"
#include "dnsbl/zone.h"

namespace {

using namespace repd;
using namespace repd::dnsbl;

struct World {
  reputation::ListingIndex index;
  std::unique_ptr<ZoneSet> zones;
  World() {
    std::vector<reputation::ListingChange> all(3);
    all[0].ip = *reputation::IpAddress::Parse("1.2.3.4");
    all[1].ip = *reputation::IpAddress::Parse("2001:db8::1");
    all[2].is_domain = true;
    all[2].domain = "example.com";
    for (auto& c : all) {
      reputation::Listing l;
      l.categories = 0x14;
      l.has_score = true;
      l.score = 40;
      l.allow_trust = 1;
      l.txt = reputation::InternTxt(std::string(300, 'x') + " $ $");
      c.after = l;
    }
    index.Reset(std::move(all), 0);
    zones = std::make_unique<ZoneSet>(*ZoneSet::Create(DnsOptions{}));
    DnsOptions keyed;
    keyed.tsig_name = "xfr-key";
    keyed.tsig_secret = "c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA==";
    key = *TsigKey::FromOptions(keyed);
  }
  std::shared_ptr<const TsigKey> key;
};

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "check failed: %s\n", what);
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  Query fast, slow;
  const ParseStatus fs = ParseQueryFast(data, size, &fast);
  const ParseStatus ss = ParseQueryLdns(data, size, &slow);
  if (fs == ParseStatus::kOk) {
    Check(ss == ParseStatus::kOk, "ldns rejects what the fast path accepts");
    Check(fast.id == slow.id && fast.flags == slow.flags, "header differs");
    Check(fast.qtype == slow.qtype && fast.qclass == slow.qclass, "qtype/qclass differ");
    Check(fast.qname_len == slow.qname_len &&
              std::memcmp(fast.qname, slow.qname, fast.qname_len) == 0,
          "qname differs");
    Check(fast.edns == slow.edns, "edns presence differs");
    if (fast.edns) {
      Check(fast.edns_payload == slow.edns_payload && fast.edns_version == slow.edns_version &&
                fast.edns_do == slow.edns_do,
            "edns fields differ");
    }
  }
  if (fs == ParseStatus::kDrop) Check(ss == ParseStatus::kDrop, "drop decisions differ");
  const ParseStatus status = fs == ParseStatus::kSlow ? ss : fs;
  Query& q = fs == ParseStatus::kSlow ? slow : fast;
  static uint8_t out[65535];
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    const size_t limit = t == Transport::kUdp ? UdpLimit(q, world.zones->options()) : 65535;
    AnswerInfo info;
    const size_t n = BuildAnswer(q, status, *world.zones, *world.index.Current(), t, limit, out,
                                 sizeof out, &info);
    if (n == 0) continue;
    Check(n >= kHeaderSize && Get16(out) == q.id && (out[2] & 0x80), "bad answer header");
    if (t == Transport::kUdp) {
      // Truncated answers hold the question and OPT only: never larger than the query.
      Check(n <= limit || n <= size, "UDP answer over its limit");
    }
    if (q.has_tsig) {
      // Signed (or the TSIG error answer) with and without a key of ours.
      for (const TsigKey* key : {world.key.get(), static_cast<const TsigKey*>(nullptr)}) {
        static uint8_t answer[65535];
        std::memcpy(answer, out, n);
        // A fixed clock: most fuzzed requests are outside the fudge (BADTIME, signed).
        const size_t m = AnswerSigned(key, q, world.zones->options(), data, size, limit, answer, n,
                                      sizeof answer, 1'700'000'000);
        if (m == 0) continue;
        Check(m <= limit, "signed answer over its limit");
        ldns_pkt* signed_pkt = nullptr;
        Check(ldns_wire2pkt(&signed_pkt, answer, m) == LDNS_STATUS_OK,
              "ldns cannot read our signed answer");
        Check(ldns_pkt_tsig(signed_pkt) != nullptr, "signed answer without a TSIG");
        ldns_pkt_free(signed_pkt);
      }
    }
    ldns_pkt* pkt = nullptr;
    Check(ldns_wire2pkt(&pkt, out, n) == LDNS_STATUS_OK, "ldns cannot read our answer");
    if (q.has_question && status == ParseStatus::kOk) {
      Check(ldns_pkt_qdcount(pkt) == 1, "question not echoed");
    }
    ldns_pkt_free(pkt);
  }
  return 0;
}
