#include "cmd/dkim_commands.h"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cmd/flags.h"
#include "dkim/crypto.h"
#include "dkim/dkim.h"
#include "dkim/signer.h"

namespace repd::cmd {

namespace {

constexpr const char* kVerifyUsage =
    "usage: repd verify [--dns-server ADDR[:PORT]]... [--json] [--legacy] [--timeout-ms N] "
    "FILE...|-\n"
    "  Verifies every DKIM signature of each message; prints d=, s=, a=, the result and its\n"
    "  reason, and the Authentication-Results value. --legacy accepts rsa-sha1 and RSA keys\n"
    "  from 512 bits (RFC 8301 forbids both). Exit 0 when every message was read.";
constexpr const char* kSignUsage =
    "usage: repd sign --domain D --selector S --key FILE [--algorithm rsa-sha256|ed25519-sha256]\n"
    "                 [--canon relaxed/relaxed] [--headers from:to:subject...] [--body-length]\n"
    "                 [FILE|-]\n"
    "  Prints the message with a DKIM-Signature field added at the top.";
constexpr const char* kKeygenUsage =
    "usage: repd keygen --domain D --selector S [--algorithm rsa-sha256|ed25519-sha256]\n"
    "                   [--bits 2048] [--out FILE]\n"
    "  Writes the private key (PEM) to FILE (or stdout) and prints the TXT record to publish.";

bool ReadInput(const std::string& path, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::optional<dkim::Algorithm> ParseAlgorithm(const std::string& text) {
  if (text == "rsa-sha256") return dkim::Algorithm::kRsaSha256;
  if (text == "ed25519-sha256") return dkim::Algorithm::kEd25519Sha256;
  return std::nullopt;
}

// Verifies one message to completion on `io` (which runs only this message's lookups).
dkim::MessageResult VerifyOne(boost::asio::io_context& io, dkim::Verifier& verifier,
                              const std::string& text, std::string* error) {
  auto session = verifier.Start();
  dkim::MessageResult result;
  constexpr size_t kChunk = 64 * 1024;  // as a network peer would hand it over
  for (size_t pos = 0; pos < text.size(); pos += kChunk) {
    if (auto s = session->Feed(std::string_view(text).substr(pos, kChunk)); !s.ok()) {
      *error = std::string(s.message());
      break;
    }
  }
  bool done = false;
  session->Finish([&](dkim::MessageResult r) {
    result = std::move(r);
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  return result;
}

}  // namespace

int RunVerify(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv, {"dns-server", "timeout-ms"}, {"json", "legacy", "help"});
  if (flags.Has("help")) {
    std::cout << kVerifyUsage << "\n";
    return 0;
  }
  if (!flags.error.empty() || flags.positional.empty()) {
    std::cerr << "repd verify: " << (flags.error.empty() ? "no message given" : flags.error) << "\n"
              << kVerifyUsage << "\n";
    return 2;
  }
  dkim::ResolverOptions resolver_options;
  if (flags.values.contains("dns-server")) resolver_options.servers = flags.values["dns-server"];
  if (auto t = flags.Get("timeout-ms")) resolver_options.timeout_ms = std::atoi(t->c_str());
  dkim::VerifierOptions options;
  options.legacy = flags.Has("legacy");
  boost::asio::io_context io;
  auto resolver = dkim::MakeDnsKeyResolver(io, resolver_options);
  dkim::Verifier verifier(*resolver, options);
  int status = 0;
  for (const auto& path : flags.positional) {
    std::string text;
    if (!ReadInput(path, &text)) {
      std::cerr << "repd verify: cannot read " << path << "\n";
      status = 1;
      continue;
    }
    std::string error;
    auto r = VerifyOne(io, verifier, text, &error);
    if (flags.Has("json")) {
      boost::json::array sigs;
      for (const auto& s : r.signatures) {
        sigs.push_back({{"d", s.domain},
                        {"s", s.selector},
                        {"a", s.algorithm},
                        {"result", std::string(dkim::ResultName(s.result))},
                        {"reason", s.reason}});
      }
      boost::json::object o{{"file", path},
                            {"result", std::string(dkim::ResultName(r.result))},
                            {"signatures", std::move(sigs)},
                            {"authentication_results", r.authentication_results}};
      if (!error.empty()) o["error"] = error;
      std::cout << boost::json::serialize(o) << "\n";
    } else {
      std::cout << path << ": " << dkim::ResultName(r.result);
      if (!error.empty()) std::cout << " (" << error << ")";
      std::cout << "\n";
      for (const auto& s : r.signatures) {
        std::cout << "  d=" << s.domain << " s=" << s.selector << " a=" << s.algorithm << ": "
                  << dkim::ResultName(s.result) << (s.reason.empty() ? "" : " (" + s.reason + ")")
                  << "\n";
      }
      std::cout << "  Authentication-Results: " << r.authentication_results << "\n";
    }
  }
  return status;
}

int RunSign(int argc, char** argv) {
  Flags flags =
      ParseFlags(argc, argv, {"domain", "selector", "key", "algorithm", "canon", "headers"},
                 {"body-length", "help"});
  if (flags.Has("help")) {
    std::cout << kSignUsage << "\n";
    return 0;
  }
  auto domain = flags.Get("domain"), selector = flags.Get("selector"), key_path = flags.Get("key");
  auto algorithm = ParseAlgorithm(flags.Get("algorithm").value_or("rsa-sha256"));
  if (!flags.error.empty() || !domain || !selector || !key_path || !algorithm ||
      flags.positional.size() > 1) {
    std::cerr << "repd sign: " << (flags.error.empty() ? "bad arguments" : flags.error) << "\n"
              << kSignUsage << "\n";
    return 2;
  }
  dkim::SignOptions options;
  options.domain = *domain;
  options.selector = *selector;
  options.algorithm = *algorithm;
  options.body_length = flags.Has("body-length");
  std::string canon = flags.Get("canon").value_or("relaxed/relaxed");
  auto slash = canon.find('/');
  auto parse_canon = [](const std::string& c, dkim::Canon* out) {
    if (c == "simple")
      *out = dkim::Canon::kSimple;
    else if (c == "relaxed")
      *out = dkim::Canon::kRelaxed;
    else
      return false;
    return true;
  };
  if (!parse_canon(canon.substr(0, slash), &options.header_canon) ||
      !parse_canon(slash == std::string::npos ? "simple" : canon.substr(slash + 1),
                   &options.body_canon)) {
    std::cerr << "repd sign: --canon is HEADER/BODY with simple or relaxed\n";
    return 2;
  }
  if (auto h = flags.Get("headers")) {
    std::stringstream in(*h);
    std::string name;
    while (std::getline(in, name, ':')) {
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!name.empty()) options.headers.push_back(name);
    }
  }
  std::string pem, message;
  if (!ReadInput(*key_path, &pem)) {
    std::cerr << "repd sign: cannot read " << *key_path << "\n";
    return 1;
  }
  auto key = dkim::PrivateKeyFromPem(pem);
  if (!key.ok()) {
    std::cerr << "repd sign: " << *key_path << ": " << key.status().message() << "\n";
    return 1;
  }
  std::string input = flags.positional.empty() ? "-" : flags.positional[0];
  if (!ReadInput(input, &message)) {
    std::cerr << "repd sign: cannot read " << input << "\n";
    return 1;
  }
  auto field = dkim::SignMessage(message, *key, options);
  if (!field.ok()) {
    std::cerr << "repd sign: " << field.status().message() << "\n";
    return 1;
  }
  // Keep the message's own line ends.
  bool crlf = message.find("\r\n") != std::string::npos;
  std::string out = *field;
  if (!crlf) {
    std::string lf;
    for (char c : out) {
      if (c != '\r') lf += c;
    }
    out = lf;
  }
  std::cout << out << (crlf ? "\r\n" : "\n") << message;
  return 0;
}

int RunKeygen(int argc, char** argv) {
  Flags flags =
      ParseFlags(argc, argv, {"domain", "selector", "algorithm", "bits", "out"}, {"help"});
  if (flags.Has("help")) {
    std::cout << kKeygenUsage << "\n";
    return 0;
  }
  auto domain = flags.Get("domain"), selector = flags.Get("selector");
  auto algorithm = ParseAlgorithm(flags.Get("algorithm").value_or("rsa-sha256"));
  int bits = std::atoi(flags.Get("bits").value_or("2048").c_str());
  if (!flags.error.empty() || !domain || !selector || !algorithm || bits < 1024 || bits > 8192) {
    std::cerr << "repd keygen: " << (flags.error.empty() ? "bad arguments" : flags.error) << "\n"
              << kKeygenUsage << "\n";
    return 2;
  }
  auto generated = dkim::GenerateKey(*algorithm, bits);
  if (!generated.ok()) {
    std::cerr << "repd keygen: " << generated.status().message() << "\n";
    return 1;
  }
  const auto& [pem, p] = *generated;
  if (auto out = flags.Get("out")) {
    std::ofstream file(*out, std::ios::trunc);
    file << pem;
    if (!file) {
      std::cerr << "repd keygen: cannot write " << *out << "\n";
      return 1;
    }
  } else {
    std::cout << pem;
  }
  std::string record = std::string("v=DKIM1; k=") +
                       (*algorithm == dkim::Algorithm::kEd25519Sha256 ? "ed25519" : "rsa") +
                       "; p=" + p;
  // TXT strings hold at most 255 octets each; resolvers join them.
  std::cout << *selector << "._domainkey." << *domain << ". IN TXT (";
  for (size_t i = 0; i < record.size(); i += 255)
    std::cout << " \"" << record.substr(i, 255) << "\"";
  std::cout << " )\n";
  return 0;
}

}  // namespace repd::cmd
