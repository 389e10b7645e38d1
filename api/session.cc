#include "api/session.h"

#include <array>
#include <chrono>
#include <optional>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/json_io.h"

namespace repd::api {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

template <typename Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

// Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>. The flow is Beast's:
// wait for a request (idle timeout) -> read its header (read timeout from here on) -> admit
// -> read the body -> answer -> wait again. A request is read only after the previous answer
// is written, so pipelined requests wait in buffer_ and are answered in order.
template <typename Stream>
class Session : public SessionHandle, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(std::shared_ptr<ServerCore> core, net::ip::tcp::socket socket, Args&&... args)
      : core_(std::move(core)),
        api_(*core_->api),
        options_(api_.options()),
        stream_(std::move(socket), std::forward<Args>(args)...) {
    core_->connections.fetch_add(1, std::memory_order_relaxed);
    api_.metrics().open_connections.Set(
        static_cast<int64_t>(core_->connections.load(std::memory_order_relaxed)));
    beast::error_code ec;
    auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      auto address = endpoint.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
      }
      client_ = address.to_string();
    }
  }

  ~Session() override {
    core_->Unregister(this);
    core_->connections.fetch_sub(1, std::memory_order_relaxed);
    api_.metrics().open_connections.Set(
        static_cast<int64_t>(core_->connections.load(std::memory_order_relaxed)));
  }

  void Run() {
    core_->Register(this, this->shared_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Begin, this->shared_from_this()));
  }

  void Shutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

 private:
  void Begin() {
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(Seconds(options_.read_timeout));
      stream_.async_handshake(
          net::ssl::stream_base::server,
          beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
    } else {
      WaitForRequest();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      api_.metrics().tls_handshake_failures.Add();
      return;  // nothing was said in TLS: just drop the connection
    }
    WaitForRequest();
  }

  // Between requests the idle timeout applies; the read timeout starts at the first byte.
  void WaitForRequest() {
    if (core_->stopping.load(std::memory_order_relaxed)) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    idle_ = true;
    beast::get_lowest_layer(stream_).expires_after(Seconds(options_.idle_timeout));
    stream_.async_read_some(
        buffer_.prepare(kReadAhead),
        beast::bind_front_handler(&Session::OnFirstBytes, this->shared_from_this()));
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    idle_ = false;
    if (ec) {
      if (ec == beast::error::timeout) api_.metrics().timeouts.Add();
      return Close();
    }
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<uint32_t>(options_.header_limit));
    // Beast's default 1 MiB body cap would refuse a feedback batch before Admit applies the
    // route's own limit (feedback_body_limit is 16 MiB).
    header_parser_->body_limit(boost::none);
    beast::get_lowest_layer(stream_).expires_after(Seconds(options_.read_timeout));
    http::async_read_header(
        stream_, buffer_, *header_parser_,
        beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    start_ = Clock::now();
    match_.route = Route::kUnknown;
    if (ec) return OnReadError(ec);
    const auto& req = header_parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    close_after_ = false;
    match_ = MatchRoute(Sv(req.method_string()), Sv(req.target()));
    Request r = MakeRequest(req);
    std::optional<uint64_t> length;
    if (auto declared = header_parser_->content_length()) length = *declared;
    if (!api_.Admit(match_, r, length, &out_)) {
      // An unread body would be taken for the next request: close instead.
      close_after_ = !header_parser_->is_done();
      return Reply();
    }
    if (beast::iequals(req[http::field::expect], "100-continue") && !header_parser_->is_done()) {
      continue_.emplace(http::status::continue_, version_);
      return http::async_write(
          stream_, *continue_,
          beast::bind_front_handler(&Session::OnContinueSent, this->shared_from_this()));
    }
    ReadBody();
  }

  void OnContinueSent(beast::error_code ec, size_t) {
    if (ec) return Close();
    ReadBody();
  }

  void ReadBody() {
    const size_t limit = api_.BodyLimit(match_.route);
    if (match_.route == Route::kVerify) {
      stream_parser_.emplace(std::move(*header_parser_));
      stream_parser_->body_limit(limit);
      dkim_ = api_.StartVerify();
      return ReadChunk();
    }
    string_parser_.emplace(std::move(*header_parser_));
    string_parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *string_parser_,
                     beast::bind_front_handler(&Session::OnBody, this->shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    const auto& req = string_parser_->get();
    Request r = MakeRequest(req);
    r.body = req.body();
    api_.Handle(match_, r, &out_);
    Reply();
  }

  void ReadChunk() {
    if (stream_parser_->is_done()) return FinishVerify();
    if (chunk_.empty()) chunk_.resize(kChunk);
    auto& body = stream_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    http::async_read_some(stream_, buffer_, *stream_parser_,
                          beast::bind_front_handler(&Session::OnChunk, this->shared_from_this()));
  }

  void OnChunk(beast::error_code ec, size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      dkim_.reset();
      return OnReadError(ec);
    }
    size_t got = chunk_.size() - stream_parser_->get().body().size;
    if (got > 0) {
      if (auto s = dkim_->Feed(std::string_view(chunk_.data(), got)); !s.ok()) {
        dkim_.reset();
        SetError(413, "message_too_large", std::string(s.message()), &out_);
        close_after_ = !stream_parser_->is_done();
        return Reply();
      }
    }
    ReadChunk();
  }

  void FinishVerify() {
    // The verifier answers on the I/O pool, possibly inside Finish(): post back to this
    // session's strand, and keep the DKIM session alive until the answer is written, so it
    // is never destroyed under its own callback.
    auto self = this->shared_from_this();
    dkim_->Finish([self](dkim::MessageResult result) {
      net::post(self->stream_.get_executor(), [self, result = std::move(result)] {
        self->api_.AnswerVerify(self->match_, result, &self->out_);
        self->Reply();
      });
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      api_.metrics().timeouts.Add();
      return Close();
    }
    if (ec == http::error::body_limit) {
      SetError(413, "body_too_large",
               "body over " + std::to_string(api_.BodyLimit(match_.route)) + " bytes", &out_);
    } else if (ec == http::error::header_limit) {
      SetError(431, "headers_too_large",
               "request line and headers over " + std::to_string(options_.header_limit) + " bytes",
               &out_);
    } else {
      SetError(400, "bad_request", "malformed HTTP request: " + ec.message(), &out_);
    }
    close_after_ = true;
    if (version_ == 0) version_ = 11;
    Reply();
  }

  template <typename Message>
  Request MakeRequest(const Message& req) const {
    Request r;
    r.method = Sv(req.method_string());
    r.target = Sv(req.target());
    r.content_type = Sv(req[http::field::content_type]);
    r.authorization = Sv(req[http::field::authorization]);
    r.client = client_;
    return r;
  }

  static std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

  void Reply() {
    const bool keep_alive =
        keep_alive_ && !close_after_ && !core_->stopping.load(std::memory_order_relaxed);
    res_.clear();
    res_.result(static_cast<unsigned>(out_.status));
    res_.version(version_ == 10 ? 10 : 11);
    res_.set(http::field::content_type, out_.content_type);
    for (const auto& [name, value] : out_.headers) res_.set(name, value);
    res_.body().swap(out_.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    api_.metrics().Record(match_.route, out_.status,
                          std::chrono::duration<double>(Clock::now() - start_).count());
    beast::get_lowest_layer(stream_).expires_after(Seconds(options_.write_timeout));
    http::async_write(
        stream_, res_,
        beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, size_t) {
    // Swapped back, so both strings keep their capacity for the next answer.
    res_.body().swap(out_.body);
    out_.Reset();
    header_parser_.reset();
    string_parser_.reset();
    stream_parser_.reset();
    dkim_.reset();
    if (ec || !keep_alive) return Close();
    WaitForRequest();
  }

  void Close() {
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (kIsTls<Stream>) {
      lowest.expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().close(ignored);
      });
    } else {
      // Half-close and drain before closing: closing with unread bytes makes the kernel send
      // a reset, which can destroy the answer before the client reads it.
      beast::error_code ignored;
      lowest.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    auto& lowest = beast::get_lowest_layer(stream_);
    if (drained_ == 0) lowest.expires_after(std::chrono::seconds(1));
    if (chunk_.empty()) chunk_.resize(kChunk);
    lowest.async_read_some(net::buffer(chunk_),
                           [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                             self->drained_ += n;
                             if (ec || self->drained_ > kMaxDrain) {
                               beast::error_code ignored;
                               beast::get_lowest_layer(self->stream_).socket().close(ignored);
                               return;
                             }
                             self->Drain();
                           });
  }

  static constexpr size_t kReadAhead = 4096;
  static constexpr size_t kChunk = 64 * 1024;
  static constexpr size_t kMaxDrain = 1 << 20;

  std::shared_ptr<ServerCore> core_;
  Api& api_;
  const HttpOptions& options_;
  Stream stream_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::unique_ptr<dkim::Verifier::Session> dkim_;
  std::vector<char> chunk_;
  http::response<http::string_body> res_;
  Response out_;
  RouteMatch match_;
  Clock::time_point start_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool idle_ = false;
  size_t drained_ = 0;
};

}  // namespace

void StartPlainSession(std::shared_ptr<ServerCore> core, net::ip::tcp::socket socket) {
  std::make_shared<Session<beast::tcp_stream>>(std::move(core), std::move(socket))->Run();
}

void StartTlsSession(std::shared_ptr<ServerCore> core, net::ip::tcp::socket socket,
                     net::ssl::context& tls) {
  std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(core),
                                                                  std::move(socket), tls)
      ->Run();
}

}  // namespace repd::api
