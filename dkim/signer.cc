#include "dkim/signer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dkim/message.h"
#include "dkim/tags.h"

namespace repd::dkim {

namespace {
const std::vector<std::string> kDefaultHeaders = {"from",
                                                  "to",
                                                  "cc",
                                                  "subject",
                                                  "date",
                                                  "message-id",
                                                  "reply-to",
                                                  "mime-version",
                                                  "content-type",
                                                  "content-transfer-encoding",
                                                  "in-reply-to",
                                                  "references",
                                                  "list-unsubscribe"};

// Folds a long field at tag boundaries and inside base64, under 78 columns.
std::string Fold(const std::string& field) {
  std::string out;
  size_t column = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    out += field[i];
    ++column;
    bool boundary = field[i] == ';' || (column >= 76 && field[i] != ' ');
    if (boundary && column >= 60 && i + 1 < field.size()) {
      out += "\r\n\t";
      column = 1;
      if (i + 1 < field.size() && field[i + 1] == ' ') ++i;
    }
  }
  return out;
}
}  // namespace

absl::StatusOr<std::string> SignMessage(std::string_view message, const Pkey& key,
                                        const SignOptions& options) {
  std::string normalized;
  normalized.reserve(message.size() + message.size() / 32);
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) normalized += '\r';
    normalized += message[i];
  }
  size_t end = normalized.find("\r\n\r\n");
  std::string_view headers_block = end == std::string::npos
                                       ? std::string_view(normalized)
                                       : std::string_view(normalized).substr(0, end + 2);
  std::string_view body =
      end == std::string::npos ? std::string_view() : std::string_view(normalized).substr(end + 4);
  std::vector<HeaderField> fields = SplitHeaders(headers_block);

  const EVP_MD* md = options.algorithm == Algorithm::kRsaSha1 ? Sha1() : Sha256();
  BodyHasher hasher(options.body_canon, md, std::nullopt);
  hasher.Update(body);
  std::string bh = hasher.Finish();

  std::vector<std::string> signed_names;
  const auto& wanted = options.headers.empty() ? kDefaultHeaders : options.headers;
  for (const auto& name : wanted) {
    for (const auto& f : fields) {
      if (f.name == name) signed_names.push_back(name);
    }
  }
  if (std::find(signed_names.begin(), signed_names.end(), "from") == signed_names.end()) {
    return absl::InvalidArgumentError("the message has no From field to sign");
  }
  signed_names.push_back("from");  // over-signed: a From added later breaks the signature

  auto canon_name = [](Canon c) { return c == Canon::kSimple ? "simple" : "relaxed"; };
  std::string field = absl::StrCat(
      "DKIM-Signature: v=1; a=", std::string(AlgorithmName(options.algorithm)),
      "; c=", canon_name(options.header_canon), "/", canon_name(options.body_canon),
      "; d=", options.domain, "; s=", options.selector,
      options.timestamp ? absl::StrCat("; t=", options.timestamp) : std::string(),
      options.body_length ? absl::StrCat("; l=", hasher.canonical_length()) : std::string(),
      "; h=", absl::StrJoin(signed_names, ":"), "; bh=", Base64Encode(bh), "; b=");
  field = Fold(field);

  std::string data;
  std::vector<bool> used(fields.size(), false);
  for (const auto& name : signed_names) {
    for (size_t i = fields.size(); i-- > 0;) {
      if (!used[i] && fields[i].name == name) {
        used[i] = true;
        CanonicalizeHeader(options.header_canon, fields[i].text, &data);
        break;
      }
    }
  }
  CanonicalizeHeader(options.header_canon, field, &data);
  data.resize(data.size() - 2);
  auto signature = Sign(options.algorithm, key, data);
  if (!signature.ok()) return signature.status();
  std::string b = Base64Encode(*signature);
  // The b= value folded in pieces; folding white space is ignored when verifying.
  for (size_t i = 0; i < b.size(); i += 64) {
    if (i > 0) field += "\r\n\t";
    field += b.substr(i, 64);
  }
  return field;
}

}  // namespace repd::dkim
