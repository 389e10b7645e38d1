// ldns.h -- the one way dnsbl/ includes ldns: <stdbool.h> first, so that ldns/common.h does
// not define `true`/`false` as macros in C++, plus owning handles for ldns objects.
#pragma once

// clang-format off
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on

#include <memory>

namespace repd::dnsbl {

struct LdnsPktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct LdnsRdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct LdnsRrFree {
  void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
using LdnsPkt = std::unique_ptr<ldns_pkt, LdnsPktFree>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsRdfFree>;
using LdnsRr = std::unique_ptr<ldns_rr, LdnsRrFree>;

}  // namespace repd::dnsbl
