// TSIG on ordinary queries, where a real client cannot reach: a request outside the fudge.
#include "dnsbl/tsig.h"

#include <gtest/gtest.h>

#include <ctime>

#include "dnsbl/answer.h"
#include "dnsbl/query.h"
#include "dnsbl/wire.h"

namespace repd::dnsbl {
namespace {

constexpr const char* kSecret = "c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Qtb2YtcmVwZA==";

TEST(TsigTest, RequestOutsideTheFudgeGetsASignedBadTimeWithOurClock) {
  DnsOptions options;
  options.tsig_name = "xfr-key";
  options.tsig_secret = kSecret;
  auto key = TsigKey::FromOptions(options);
  ASSERT_TRUE(key.ok() && *key);
  LdnsPkt request(ldns_pkt_query_new(ldns_dname_new_frm_str("bl.repd.test."), LDNS_RR_TYPE_SOA,
                                     LDNS_RR_CLASS_IN, 0));
  ASSERT_EQ(ldns_pkt_tsig_sign(request.get(), "xfr-key.", kSecret, 300, "hmac-sha256.", nullptr),
            LDNS_STATUS_OK);
  uint8_t* raw = nullptr;
  size_t len = 0;
  ASSERT_EQ(ldns_pkt2wire(&raw, request.get(), &len), LDNS_STATUS_OK);
  const std::vector<uint8_t> wire(raw, raw + len);
  free(raw);
  Query q;
  ASSERT_NE(ParseQuery(wire.data(), wire.size(), &q), ParseStatus::kFormErr);
  ASSERT_TRUE(q.has_tsig);

  // An hour ahead of the client: BADTIME, signed over the request's MAC, with our time.
  const int64_t ours = std::time(nullptr) + 3600;
  uint8_t reply[4096] = {};
  const size_t n = AnswerSigned(key->get(), q, options, wire.data(), wire.size(), sizeof reply,
                                reply, 0, sizeof reply, ours);
  ASSERT_GT(n, 0u);
  ldns_pkt* parsed = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&parsed, reply, n), LDNS_STATUS_OK);
  LdnsPkt answer(parsed);
  EXPECT_EQ(ldns_pkt_get_rcode(answer.get()), kNotAuth);
  const ldns_rr* tsig = ldns_pkt_tsig(answer.get());
  ASSERT_NE(tsig, nullptr);
  EXPECT_EQ(ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)), 18) << "TSIG error BADTIME";
  const ldns_rdf* other = ldns_rr_rdf(tsig, 6);
  ASSERT_EQ(ldns_rdf_size(other), 8u);  // length, then a 48-bit time
  uint64_t time = 0;
  for (size_t i = 2; i < 8; ++i) time = (time << 8) | ldns_rdf_data(other)[i];
  EXPECT_EQ(time, static_cast<uint64_t>(ours));
  EXPECT_TRUE(ldns_pkt_tsig_verify(answer.get(), reply, n, "xfr-key.", kSecret,
                                   ldns_rr_rdf(ldns_pkt_tsig(request.get()), 3)))
      << "the client cannot trust an unsigned BADTIME";

  // Within the fudge: the ordinary signed answer path (no error).
  uint8_t ok[4096] = {};
  const size_t unsigned_size = BuildTruncated(q, options, ok, sizeof ok);
  ASSERT_GT(unsigned_size, 0u);
  const size_t m = AnswerSigned(key->get(), q, options, wire.data(), wire.size(), sizeof ok, ok,
                                unsigned_size, sizeof ok, std::time(nullptr));
  ASSERT_GT(m, 0u);
  ASSERT_EQ(ldns_wire2pkt(&parsed, ok, m), LDNS_STATUS_OK);
  LdnsPkt signed_answer(parsed);
  EXPECT_EQ(ldns_rdf2native_int16(ldns_rr_rdf(ldns_pkt_tsig(signed_answer.get()), 5)), 0);
}

}  // namespace
}  // namespace repd::dnsbl
