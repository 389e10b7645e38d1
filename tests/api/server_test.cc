// The server over real loopback sockets: keep-alive, pipelining, limits, timeouts, the
// connection cap, shutdown and TLS.
#include <chrono>
#include <thread>

#include "tests/api/raw_client.h"
#include "tests/api/server_fixture.h"

namespace repd::api {
namespace {

using repd::testing::RunCommand;
using testing::Json;
using testing::RawClient;
using testing::RawResponse;
using testing::RequestText;
using testing::ServerFixture;

class ServerTest : public ServerFixture {};

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.Send(RequestText("GET", "/v1/ip/192.0.2." + std::to_string(i))));
    RawResponse r = c.Read();
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(Json(r.body).at("subject").as_string(), "192.0.2." + std::to_string(i));
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
  }
  ASSERT_TRUE(c.Send(RequestText("POST", "/v1/check", R"({"ip":"192.0.2.1"})",
                                 "Content-Type: application/json\r\n")));
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  std::string burst = RequestText("GET", "/v1/ip/192.0.2.1") +
                      RequestText("POST", "/v1/check", R"({"ip":"192.0.2.2"})",
                                  "Content-Type: application/json\r\n") +
                      RequestText("GET", "/v1/domain/example.org") +
                      RequestText("GET", "/nothing") + RequestText("GET", "/healthz");
  ASSERT_TRUE(c.Send(burst));
  RawResponse r = c.Read();
  EXPECT_EQ(Json(r.body).at("subject"), "192.0.2.1");
  r = c.Read();
  EXPECT_EQ(Json(r.body).at("subjects").at(0).at("subject"), "192.0.2.2");
  r = c.Read();
  EXPECT_EQ(Json(r.body).at("subject"), "example.org");
  EXPECT_EQ(c.Read().status, 404);
  r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json(r.body).at("status"), "ok");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  c.Send(RequestText("GET", "/healthz", {}, "Connection: close\r\n"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Connection"), "close");
  EXPECT_TRUE(c.ClosedWithin(2));
  // HTTP/1.0 without keep-alive closes too.
  RawClient old(port_);
  old.Send("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.Read().status, 200);
  EXPECT_TRUE(old.ClosedWithin(2));
}

TEST_F(ServerTest, DeclaredOversizedBodyGets413WithoutBeingRead) {
  HttpOptions o = testing::OptionsWithTokens();
  o.body_limit = 100;
  StartServer(o);
  RawClient c(port_);
  c.Send(
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100000\r\n\r\n{\"ip\":");
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(testing::ErrorCode(r.body), "body_too_large");
  EXPECT_TRUE(c.ClosedWithin(3));
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitGets413) {
  HttpOptions o = testing::OptionsWithTokens();
  o.body_limit = 100;
  StartServer(o);
  RawClient c(port_);
  std::string chunk(80, ' ');
  c.Send(
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n50\r\n" +
      chunk + "\r\n50\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.Read().status, 413);
}

TEST_F(ServerTest, ChunkedBodyWithinTheLimitIsServed) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  c.Send(
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n6\r\n{\"ip\":\r\nb\r\n\"192.0.2.5\"\r\n1\r\n}\r\n"
      "0\r\n\r\n");
  RawResponse r = c.Read();
  ASSERT_EQ(r.status, 200) << r.body;
  c.Send(RequestText("GET", "/healthz"));  // the connection is still usable
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(ServerTest, HugeHeadersGet431) {
  HttpOptions o = testing::OptionsWithTokens();
  o.header_limit = 1024;
  StartServer(o);
  RawClient c(port_);
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_EQ(c.Read().status, 431);
  EXPECT_TRUE(c.ClosedWithin(3));
}

TEST_F(ServerTest, GarbageGets400AndClose) {
  StartServer(testing::OptionsWithTokens());
  for (const char* garbage : {"HELLO\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                              "GET /healthz HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                              "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"}) {
    RawClient c(port_);
    c.Send(garbage);
    RawResponse r = c.Read();
    EXPECT_EQ(r.status, 400) << garbage;
    EXPECT_EQ(testing::ErrorCode(r.body), "bad_request");
    EXPECT_TRUE(c.ClosedWithin(3));
  }
}

TEST_F(ServerTest, SlowlorisIsClosedByTheReadTimeout) {
  HttpOptions o = testing::OptionsWithTokens();
  o.read_timeout = 1;
  StartServer(o);
  RawClient c(port_);
  auto start = std::chrono::steady_clock::now();
  // One header byte every 300 ms: each arrives in time, the request never completes.
  std::string request = RequestText("GET", "/healthz", {}, "X-Slow: 1\r\n");
  bool closed = false;
  for (char ch : request) {
    if (!c.Send(std::string(1, ch))) {
      closed = true;
      break;
    }
    if (c.ClosedWithin(0.3)) {
      closed = true;
      break;
    }
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(closed);
  EXPECT_LT(took, 3.0);
  EXPECT_GT(took, 0.8);
}

TEST_F(ServerTest, SlowBodyIsClosedByTheReadTimeout) {
  HttpOptions o = testing::OptionsWithTokens();
  o.read_timeout = 1;
  StartServer(o);
  RawClient c(port_);
  c.Send(
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 50\r\n\r\n{");
  EXPECT_TRUE(c.ClosedWithin(3));
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  HttpOptions o = testing::OptionsWithTokens();
  o.idle_timeout = 0.5;
  StartServer(o);
  RawClient c(port_);
  c.Send(RequestText("GET", "/healthz"));
  EXPECT_EQ(c.Read().status, 200);
  EXPECT_TRUE(c.ClosedWithin(3));
}

TEST_F(ServerTest, ConnectionsOverTheCapGet503) {
  HttpOptions o = testing::OptionsWithTokens();
  o.max_connections = 2;
  StartServer(o);
  RawClient a(port_), b(port_);
  a.Send(RequestText("GET", "/healthz"));
  b.Send(RequestText("GET", "/healthz"));
  ASSERT_EQ(a.Read().status, 200);
  ASSERT_EQ(b.Read().status, 200);
  RawClient c(port_);
  c.Send(RequestText("GET", "/healthz"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(testing::ErrorCode(r.body), "too_many_connections");
}

TEST_F(ServerTest, StopClosesIdleConnectionsAndRefusesNewOnes) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  c.Send(RequestText("GET", "/healthz"));
  ASSERT_EQ(c.Read().status, 200);
  server_->Stop();
  EXPECT_TRUE(c.ClosedWithin(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  RawClient late(port_);
  EXPECT_FALSE(late.connected() && late.Send(RequestText("GET", "/healthz")) &&
               late.Read().status == 200);
}

TEST_F(ServerTest, Expect100ContinueGetsAnInterimAnswer) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  c.Send(
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 18\r\n\r\n");
  RawResponse interim = c.Read();
  EXPECT_EQ(interim.status, 100);
  c.Send(R"({"ip":"192.0.2.1"})");
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  StartServer(testing::OptionsWithTokens());
  RawClient c(port_);
  c.Send(RequestText("GET", "/v1/ip/192.0.2.1") + RequestText("GET", "/v1/ip/x") +
         RequestText("GET", "/metrics"));
  c.Read();
  c.Read();
  RawResponse r = c.Read();
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("repd_http_requests_total{route=\"ip\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(r.body.find("repd_http_requests_total{route=\"ip\",status=\"400\"}"),
            std::string::npos);
  EXPECT_NE(r.body.find("repd_http_request_duration_seconds_bucket{route=\"ip\",le=\"0.001\"}"),
            std::string::npos);
  EXPECT_NE(r.body.find("repd_http_connections "), std::string::npos);
}

TEST_F(ServerTest, BadListenAddressesAreNamed) {
  HttpOptions o;
  o.listen = {"127.0.0.1"};
  auto s = HttpServer::Create(io_, o, Services{&rep_, nullptr, &ready_});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("127.0.0.1"), absl::string_view::npos);
  StartServer(testing::OptionsWithTokens());
  o.listen = {"127.0.0.1:" + std::to_string(port_)};  // busy
  s = HttpServer::Create(io_, o, Services{&rep_, nullptr, &ready_});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("cannot listen"), absl::string_view::npos);
  o.listen = {};
  o.tls_listen = {"127.0.0.1:1"};
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  s = HttpServer::Create(io_, o, Services{&rep_, nullptr, &ready_});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("tls_cert"), absl::string_view::npos);
}

TEST_F(ServerTest, TlsListenerServesHttps) {
  std::string dir = repd::testing::MakeTempDir("repd-api-tls");
  int rc = -1;
  RunCommand("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
                 dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null",
             &rc);
  ASSERT_EQ(rc, 0);
  HttpOptions o = testing::OptionsWithTokens();
  int tls_port = repd::testing::PickFreePort();
  o.tls_listen = {"127.0.0.1:" + std::to_string(tls_port)};
  o.tls_cert = dir + "/cert.pem";
  o.tls_key = dir + "/key.pem";
  StartServer(o);
  std::string out =
      RunCommand("curl -sS --max-time 10 --cacert " + dir +
                     "/cert.pem https://127.0.0.1:" + std::to_string(tls_port) +
                     "/v1/ip/192.0.2.8 https://127.0.0.1:" + std::to_string(tls_port) + "/healthz",
                 &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"subject\":\"192.0.2.8\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"status\":\"ok\""), std::string::npos) << out;
  // Plain HTTP on the TLS port is not answered as HTTP.
  RawClient c(tls_port, 3);
  c.Send(RequestText("GET", "/healthz"));
  EXPECT_EQ(c.Read().status, 0);
  // The plain listener still works beside it.
  EXPECT_EQ(repd::testing::HttpRequest(port_, "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace repd::api
