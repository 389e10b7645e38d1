#include "dkim/crypto.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim/canon.h"
#include "dkim/tags.h"

namespace repd::dkim {

void PkeyDeleter::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

absl::StatusOr<Pkey> PublicKeyFromRecord(const KeyRecord& record) {
  const auto* der = reinterpret_cast<const unsigned char*>(record.public_key.data());
  const long len = static_cast<long>(record.public_key.size());
  if (record.type == KeyRecord::Type::kEd25519) {
    if (record.public_key.size() != 32) {
      return absl::InvalidArgumentError("Ed25519 key is not 32 bytes");
    }
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, der, 32));
    if (!key) return absl::InvalidArgumentError("bad Ed25519 key");
    return key;
  }
  const unsigned char* p = der;
  Pkey key(d2i_PUBKEY(nullptr, &p, len));
  if (!key) {
    p = der;
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
  }
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("key p= is not an RSA public key");
  }
  return key;
}

int KeyBits(const Pkey& key) { return EVP_PKEY_get_bits(key.get()); }

namespace {
struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, dkim::Sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}
}  // namespace

bool VerifySignature(Algorithm algorithm, const Pkey& key, std::string_view data,
                     std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  if (algorithm == Algorithm::kEd25519Sha256) {
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) return false;
    std::string hash = Sha256(data);
    return EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), sig, signature.size(),
                            reinterpret_cast<const unsigned char*>(hash.data()), hash.size()) == 1;
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return false;
  const EVP_MD* md = algorithm == Algorithm::kRsaSha1 ? Sha1() : Sha256();
  return EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

absl::StatusOr<std::string> Sign(Algorithm algorithm, const Pkey& key, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  std::string input = algorithm == Algorithm::kEd25519Sha256 ? Sha256(data) : std::string(data);
  const EVP_MD* md = algorithm == Algorithm::kEd25519Sha256 ? nullptr
                     : algorithm == Algorithm::kRsaSha1     ? Sha1()
                                                            : Sha256();
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
    return absl::InvalidArgumentError("the key cannot sign with " +
                                      std::string(AlgorithmName(algorithm)));
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                     input.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  out.resize(len);
  return out;
}

absl::StatusOr<Pkey> PrivateKeyFromPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return absl::InvalidArgumentError("not a PEM private key");
  return key;
}

absl::StatusOr<std::pair<std::string, std::string>> GenerateKey(Algorithm algorithm, int bits) {
  Pkey key(algorithm == Algorithm::kEd25519Sha256
               ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
               : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!key) return absl::InternalError("key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(n));
  std::string pub;
  if (algorithm == Algorithm::kEd25519Sha256) {
    size_t len = 32;
    pub.resize(len);
    EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pub.data()), &len);
  } else {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key.get(), &der);
    pub.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
  }
  return std::pair{pem, Base64Encode(pub)};
}

}  // namespace repd::dkim
