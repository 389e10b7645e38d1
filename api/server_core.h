// server_core.h -- (api-private) what the listeners and every session share: the Api, the
// options, the connection count and the set of live sessions that Stop() closes.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "api/api.h"

namespace repd::api {

// The part of a session that Stop() reaches, from any thread.
class SessionHandle {
 public:
  virtual ~SessionHandle() = default;
  // Closes the connection if it waits for a request; otherwise the answer in flight goes
  // out with Connection: close.
  virtual void Shutdown() = 0;
};

struct ServerCore {
  explicit ServerCore(std::unique_ptr<Api> a) : api(std::move(a)) {}

  std::unique_ptr<Api> api;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopping{false};
  // Shared by every TLS session; lives as long as the last of them.
  std::unique_ptr<boost::asio::ssl::context> tls;

  void Register(SessionHandle* s, std::weak_ptr<SessionHandle> w) {
    std::lock_guard lock(mu);
    sessions.emplace(s, std::move(w));
  }
  void Unregister(SessionHandle* s) {
    std::lock_guard lock(mu);
    sessions.erase(s);
  }
  void ShutdownAll() {
    // Called outside the lock: dropping the last reference unregisters the session.
    std::vector<std::shared_ptr<SessionHandle>> live;
    {
      std::lock_guard lock(mu);
      for (auto& [ptr, weak] : sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->Shutdown();
  }

 private:
  std::mutex mu;
  std::unordered_map<SessionHandle*, std::weak_ptr<SessionHandle>> sessions;
};

}  // namespace repd::api
