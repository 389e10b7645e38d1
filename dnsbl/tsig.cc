#include "dnsbl/tsig.h"

#include <strings.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "dnsbl/wire.h"

namespace repd::dnsbl {

namespace {

constexpr uint16_t kFudge = 300;  // seconds of clock skew allowed (RFC 8945 10)

}  // namespace

absl::StatusOr<std::shared_ptr<const TsigKey>> TsigKey::FromOptions(const DnsOptions& o) {
  if (o.tsig_name.empty()) return nullptr;
  std::string decoded;
  if (!absl::Base64Unescape(o.tsig_secret, &decoded) || decoded.empty()) {
    return absl::InvalidArgumentError("config key 'dns.tsig_secret': must be base64");
  }
  if (!NameToWire(o.tsig_name)) {
    return absl::InvalidArgumentError("config key 'dns.tsig_name': not a valid name");
  }
  static const char* const kAlgorithms[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512",
                                            "hmac-sha1"};
  bool known = false;
  for (const char* a : kAlgorithms) known |= o.tsig_algorithm == a;
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key 'dns.tsig_algorithm': '", o.tsig_algorithm,
                     "' is not one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha1"));
  }
  auto key = std::make_shared<TsigKey>();
  key->name_ = o.tsig_name.back() == '.' ? o.tsig_name : o.tsig_name + ".";
  key->algorithm_ = o.tsig_algorithm + ".";
  key->secret_ = o.tsig_secret;
  return key;
}

bool TsigKey::Verify(const uint8_t* wire, size_t len, Exchange* exchange) const {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, wire, len) != LDNS_STATUS_OK) return false;
  LdnsPkt pkt(raw);
  const ldns_rr* tsig = ldns_pkt_tsig(pkt.get());
  if (tsig == nullptr || ldns_rr_rd_count(tsig) < 4) return false;
  // The key is chosen by name: another key's signature is not ours to check.
  char* owner = ldns_rdf2str(ldns_rr_owner(tsig));
  const bool same_key = owner != nullptr && strcasecmp(owner, name_.c_str()) == 0;
  free(owner);
  if (!same_key) return false;
  if (!ldns_pkt_tsig_verify(pkt.get(), wire, len, name_.c_str(), secret_.c_str(), nullptr)) {
    return false;
  }
  exchange->prior_mac.reset(ldns_rdf_clone(ldns_rr_rdf(tsig, 3)));
  exchange->first = true;
  return true;
}

absl::Status TsigKey::Sign(std::string* message, Exchange* exchange) const {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, reinterpret_cast<const uint8_t*>(message->data()), message->size()) !=
      LDNS_STATUS_OK) {
    return absl::InternalError("tsig: cannot parse our own message");
  }
  LdnsPkt pkt(raw);
  // Later messages of a transfer digest only the timers after the prior MAC (RFC 8945 5.3.1).
  const ldns_status s =
      ldns_pkt_tsig_sign_next(pkt.get(), name_.c_str(), secret_.c_str(), kFudge, algorithm_.c_str(),
                              exchange->prior_mac.get(), exchange->first ? 0 : 1);
  if (s != LDNS_STATUS_OK) {
    return absl::InternalError(absl::StrCat("tsig: ", ldns_get_errorstr_by_id(s)));
  }
  exchange->first = false;
  exchange->prior_mac.reset(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(pkt.get()), 3)));
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt.get(), &size) != LDNS_STATUS_OK) {
    return absl::InternalError("tsig: cannot write the signed message");
  }
  message->assign(reinterpret_cast<char*>(wire), size);
  free(wire);
  return absl::OkStatus();
}

}  // namespace repd::dnsbl
