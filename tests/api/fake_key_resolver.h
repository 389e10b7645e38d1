// fake_key_resolver.h -- a dkim::KeyResolver that answers from a map, on the io_context, as
// the DNS one does: unknown names are NXDOMAIN.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <mutex>
#include <string>

#include "dkim/dkim.h"

namespace repd::api::testing {

class FakeKeyResolver : public dkim::KeyResolver {
 public:
  explicit FakeKeyResolver(boost::asio::io_context& io) : io_(io) {}

  void Set(const std::string& name, const std::string& txt) {
    std::lock_guard lock(mu_);
    records_[name] = txt;
  }

  void Lookup(const std::string& name, Callback callback) override {
    Answer answer;
    {
      std::lock_guard lock(mu_);
      ++lookups_;
      auto it = records_.find(name);
      if (it == records_.end()) {
        answer.status = Status::kNxDomain;
      } else {
        answer.status = Status::kOk;
        answer.txt = it->second;
      }
    }
    boost::asio::post(io_, [callback = std::move(callback), answer] { callback(answer); });
  }

  int lookups() {
    std::lock_guard lock(mu_);
    return lookups_;
  }

 private:
  boost::asio::io_context& io_;
  std::mutex mu_;
  std::map<std::string, std::string> records_;
  int lookups_ = 0;
};

}  // namespace repd::api::testing
