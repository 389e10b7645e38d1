#include "dnsbl/tsig.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "dnsbl/answer.h"
#include "dnsbl/wire.h"

namespace repd::dnsbl {

namespace {

constexpr uint16_t kFudge = 300;  // seconds of clock skew allowed (RFC 8945 10)

// TSIG RDATA fields, in ldns's order (RFC 8945 4.2).
constexpr size_t kAlgorithm = 0, kTimeSigned = 1, kFudgeField = 2, kMac = 3, kError = 5,
                 kOtherData = 6;

uint64_t TimeSigned(const ldns_rr* tsig) {
  const ldns_rdf* rdf = ldns_rr_rdf(tsig, kTimeSigned);
  if (rdf == nullptr || ldns_rdf_size(rdf) != 6) return 0;
  uint64_t t = 0;
  for (size_t i = 0; i < 6; ++i) t = (t << 8) | ldns_rdf_data(rdf)[i];
  return t;
}

ldns_rdf* Int16Data(const uint8_t* data, uint16_t len) {
  std::string buf(2 + len, '\0');
  buf[0] = static_cast<char>(len >> 8);
  buf[1] = static_cast<char>(len & 0xff);
  if (len > 0) std::memcpy(buf.data() + 2, data, len);
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, buf.size(), buf.data());
}

void SetRdf(ldns_rr* rr, ldns_rdf* value, size_t position) {
  ldns_rdf_deep_free(ldns_rr_set_rdf(rr, value, position));
}

void Append48(std::string* out, uint64_t v) {
  for (int i = 5; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void Append16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}
void AppendCanonicalName(std::string* out, const ldns_rdf* name) {
  LdnsRdf lower(ldns_rdf_clone(name));
  ldns_dname2canonical(lower.get());
  out->append(reinterpret_cast<const char*>(ldns_rdf_data(lower.get())),
              ldns_rdf_size(lower.get()));
}

// The error answer to a request whose TSIG we cannot accept: the question and the request's
// TSIG with the error set (RFC 8945 5.2). Unsigned (no MAC) when the key or the MAC is wrong;
// BADTIME, whose MAC verified, is signed with `key` over `exchange` and carries our time, so
// that the client can trust it and see the skew (RFC 8945 5.2.3, 5.3.2).
size_t ErrorAnswer(const uint8_t* request, size_t request_len, TsigKey::Check error,
                   const TsigKey* key, const TsigKey::Exchange& exchange, int64_t now,
                   uint16_t udp_payload, uint8_t* reply, size_t capacity) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, request, request_len) != LDNS_STATUS_OK) return 0;
  LdnsPkt in(raw);
  const ldns_rr* tsig = ldns_pkt_tsig(in.get());
  if (tsig == nullptr || ldns_rr_rd_count(tsig) < 7) return 0;
  LdnsPkt out(ldns_pkt_new());
  ldns_pkt_set_id(out.get(), ldns_pkt_id(in.get()));
  ldns_pkt_set_qr(out.get(), true);
  ldns_pkt_set_opcode(out.get(), ldns_pkt_get_opcode(in.get()));
  ldns_pkt_set_rd(out.get(), ldns_pkt_rd(in.get()));
  ldns_pkt_set_rcode(out.get(), kNotAuth);
  ldns_rr_list_deep_free(ldns_pkt_question(out.get()));
  ldns_pkt_set_question(out.get(), ldns_rr_list_clone(ldns_pkt_question(in.get())));
  ldns_pkt_set_qdcount(out.get(), ldns_pkt_qdcount(in.get()));
  if (ldns_pkt_edns(in.get())) ldns_pkt_set_edns_udp_size(out.get(), udp_payload);
  std::string other;
  if (error == TsigKey::Check::kBadTime) Append48(&other, static_cast<uint64_t>(now));
  std::string mac;
  if (error == TsigKey::Check::kBadTime && key != nullptr && exchange.prior_mac) {
    // RFC 8945 4.3.3: the request's MAC, the answer without its TSIG, and the TSIG variables
    // (the request's time and fudge: the client checks the answer against its own clock).
    uint8_t* wire = nullptr;
    size_t size = 0;
    if (ldns_pkt2wire(&wire, out.get(), &size) != LDNS_STATUS_OK) return 0;
    std::string digest(reinterpret_cast<const char*>(ldns_rdf_data(exchange.prior_mac.get())),
                       ldns_rdf_size(exchange.prior_mac.get()));
    digest.append(reinterpret_cast<const char*>(wire), size);
    free(wire);
    AppendCanonicalName(&digest, ldns_rr_owner(tsig));
    Append16(&digest, LDNS_RR_CLASS_ANY);
    digest.append(4, '\0');  // TTL
    AppendCanonicalName(&digest, ldns_rr_rdf(tsig, kAlgorithm));
    Append48(&digest, TimeSigned(tsig));
    Append16(&digest, ldns_rdf2native_int16(ldns_rr_rdf(tsig, kFudgeField)));
    Append16(&digest, static_cast<uint16_t>(error));
    Append16(&digest, static_cast<uint16_t>(other.size()));
    digest += other;
    mac = key->Mac(digest);
    if (mac.empty()) return 0;
  }
  ldns_rr* answer_tsig = ldns_rr_clone(tsig);
  SetRdf(answer_tsig,
         Int16Data(reinterpret_cast<const uint8_t*>(mac.data()), static_cast<uint16_t>(mac.size())),
         kMac);
  SetRdf(answer_tsig, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, static_cast<uint16_t>(error)),
         kError);
  SetRdf(answer_tsig,
         Int16Data(reinterpret_cast<const uint8_t*>(other.data()),
                   static_cast<uint16_t>(other.size())),
         kOtherData);
  ldns_pkt_set_tsig(out.get(), answer_tsig);
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, out.get(), &size) != LDNS_STATUS_OK) return 0;
  const size_t written = size <= capacity ? size : 0;
  if (written) std::memcpy(reply, wire, size);
  free(wire);
  return written;
}

// Signs the `size` bytes of `reply` in place; returns the new size, 0 when it does not fit.
size_t SignInPlace(const TsigKey& key, TsigKey::Exchange* exchange, uint8_t* reply, size_t size,
                   size_t capacity) {
  std::string message(reinterpret_cast<const char*>(reply), size);
  if (!key.Sign(&message, exchange).ok() || message.size() > capacity) return 0;
  std::memcpy(reply, message.data(), message.size());
  return message.size();
}

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

TsigKey::Check TsigKey::Verify(const uint8_t* wire, size_t len, Exchange* exchange,
                               int64_t now) const {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, wire, len) != LDNS_STATUS_OK) return Check::kBadSig;
  LdnsPkt pkt(raw);
  const ldns_rr* tsig = ldns_pkt_tsig(pkt.get());
  if (tsig == nullptr || ldns_rr_rd_count(tsig) < 7) return Check::kBadSig;
  // The key is chosen by name and algorithm: another key's signature is not ours to check.
  char* owner = ldns_rdf2str(ldns_rr_owner(tsig));
  char* algorithm = ldns_rdf2str(ldns_rr_rdf(tsig, kAlgorithm));
  const bool same_key = owner != nullptr && strcasecmp(owner, name_.c_str()) == 0 &&
                        algorithm != nullptr && strcasecmp(algorithm, algorithm_.c_str()) == 0;
  free(owner);
  free(algorithm);
  if (!same_key) return Check::kBadKey;
  if (!ldns_pkt_tsig_verify(pkt.get(), wire, len, name_.c_str(), secret_.c_str(), nullptr)) {
    return Check::kBadSig;
  }
  exchange->prior_mac.reset(ldns_rdf_clone(ldns_rr_rdf(tsig, kMac)));
  exchange->first = true;
  // ldns checks the MAC only; a replayed request is caught by its time (RFC 8945 5.2.3).
  const int64_t fudge = ldns_rdf2native_int16(ldns_rr_rdf(tsig, kFudgeField));
  if (std::abs(now - static_cast<int64_t>(TimeSigned(tsig))) > fudge) return Check::kBadTime;
  return Check::kValid;
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

std::string TsigKey::Mac(std::string_view data) const {
  const std::string_view algorithm = std::string_view(algorithm_).substr(0, algorithm_.size() - 1);
  const EVP_MD* md = algorithm == "hmac-sha256"   ? EVP_sha256()
                     : algorithm == "hmac-sha384" ? EVP_sha384()
                     : algorithm == "hmac-sha512" ? EVP_sha512()
                     : algorithm == "hmac-sha1"   ? EVP_sha1()
                                                  : nullptr;
  std::string secret;
  if (md == nullptr || !absl::Base64Unescape(secret_, &secret)) return {};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(md, secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &out_len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

size_t AnswerSigned(const TsigKey* key, const Query& q, const DnsOptions& options,
                    const uint8_t* request, size_t request_len, size_t limit, uint8_t* reply,
                    size_t size, size_t capacity, int64_t now) {
  TsigKey::Exchange exchange;
  const TsigKey::Check check =
      key == nullptr ? TsigKey::Check::kBadKey : key->Verify(request, request_len, &exchange, now);
  if (check != TsigKey::Check::kValid) {
    return ErrorAnswer(request, request_len, check, key, exchange, now, options.max_udp_payload,
                       reply, std::min(limit, capacity));
  }
  // Sign() moves the exchange on; a second try (truncated) starts again from the request.
  const LdnsRdf request_mac(ldns_rdf_clone(exchange.prior_mac.get()));
  const size_t signed_size = SignInPlace(*key, &exchange, reply, size, std::min(limit, capacity));
  if (signed_size != 0) return signed_size;
  // Too big once signed: the truncated answer, signed, sends the client to TCP.
  TsigKey::Exchange retry{LdnsRdf(ldns_rdf_clone(request_mac.get())), true};
  const size_t truncated = BuildTruncated(q, options, reply, capacity);
  return truncated == 0 ? 0
                        : SignInPlace(*key, &retry, reply, truncated, std::min(limit, capacity));
}

std::string TsigErrorAnswer(const TsigKey* key, TsigKey::Check check,
                            const TsigKey::Exchange& exchange, const DnsOptions& options,
                            const uint8_t* request, size_t request_len, int64_t now) {
  std::string answer(65535, '\0');
  answer.resize(ErrorAnswer(request, request_len, check, key, exchange, now,
                            options.max_udp_payload, reinterpret_cast<uint8_t*>(answer.data()),
                            answer.size()));
  return answer;
}

}  // namespace repd::dnsbl
