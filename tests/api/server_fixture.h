// server_fixture.h -- a real HttpServer on a free loopback port, over a fake reputation
// engine, with its io_context run by two threads (as repd serve does on this machine).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "tests/api/api_test_util.h"
#include "tests/api/fake_reputation.h"
#include "tests/support/repd_process.h"

namespace repd::api::testing {

class ServerFixture : public ::testing::Test {
 protected:
  void TearDown() override { StopServer(); }

  // Starts the server with `options` (listen is set to a free port here).
  void StartServer(HttpOptions options, dkim::Verifier* verifier = nullptr) {
    port_ = repd::testing::PickFreePort();
    options.listen = {"127.0.0.1:" + std::to_string(port_)};
    auto server = HttpServer::Create(io_, options, Services{&rep_, verifier, &ready_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void StopServer() {
    if (server_) server_->Stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    server_.reset();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  FakeReputation rep_;
  std::atomic<bool> ready_{true};
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

}  // namespace repd::api::testing
