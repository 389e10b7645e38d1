// verify_support.h -- runs the real verifier (with the real DNS resolver) to completion.
#pragma once

#include <boost/asio/io_context.hpp>
#include <string>

#include "dkim/dkim.h"

namespace repd::dkim::testing {

inline MessageResult VerifyWith(const std::string& dns_server, const std::string& message,
                                VerifierOptions options = {}, int timeout_ms = 300,
                                size_t chunk = 7) {
  boost::asio::io_context io;
  ResolverOptions ro;
  ro.servers = {dns_server};
  ro.timeout_ms = timeout_ms;
  ro.attempts = 1;
  auto resolver = MakeDnsKeyResolver(io, ro);
  Verifier verifier(*resolver, options);
  auto session = verifier.Start();
  // Odd chunk sizes: the streaming must not depend on where chunks end.
  for (size_t pos = 0; pos < message.size(); pos += chunk) {
    if (!session->Feed(std::string_view(message).substr(pos, chunk)).ok()) break;
  }
  MessageResult result;
  bool done = false;
  session->Finish([&](MessageResult r) {
    result = std::move(r);
    done = true;
  });
  while (!done && io.run_one() > 0) {
  }
  return result;
}

}  // namespace repd::dkim::testing
