// admin_client.cc -- a small synchronous HTTP/1.1 client on Beast for POST /v1/overrides.
//
// Each batch is announced with "Expect: 100-continue": the server admits the request on its
// headers (token, size) before the body is sent, so a wrong token or a batch over the body
// limit costs no upload, and its answer is never lost to a connection reset while we are
// still writing megabytes it will not read.
#include "api/admin_client.h"

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include "absl/strings/str_cat.h"
#include "api/override_json.h"
#include "common/strings.h"

namespace repd::api {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = boost::asio::ip::tcp;

struct Url {
  std::string host, port, prefix;  // prefix: the path before /v1, without a trailing '/'
};

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad URL '", AsAbsl(text), "': ", AsAbsl(why),
                                                   " (expected http://HOST[:PORT])"));
  };
  if (text.starts_with("https://")) return bad("https is not supported; use http");
  if (!text.starts_with("http://")) return bad("not an http:// URL");
  std::string_view rest = text.substr(7);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url url;
  if (slash != std::string_view::npos) {
    url.prefix = std::string(rest.substr(slash));
    while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  }
  std::string_view port;
  if (authority.starts_with('[')) {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("junk after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("no host");
  if (url.host.find('@') != std::string::npos) return bad("user names are not supported");
  url.port = port.empty() ? "80" : std::string(port);
  if (url.port.size() > 5 || url.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(url.port) == 0 || std::stoi(url.port) > 65535) {
    return bad("the port must be a number from 1 to 65535");
  }
  return url;
}

// The message of a {"error": {"code", "message"}} answer, or the body itself.
std::string ErrorMessage(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const json::value* e = v.as_object().if_contains("error"); e && e->is_object()) {
      if (const json::value* m = e->as_object().if_contains("message"); m && m->is_string()) {
        return std::string(m->as_string());
      }
    }
  }
  std::string text = body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// A non-negative JSON integer, or nullopt.
std::optional<size_t> Count(const json::value* v) {
  if (v != nullptr && v->is_int64() && v->as_int64() >= 0) return v->as_int64();
  if (v != nullptr && v->is_uint64()) return v->as_uint64();
  return std::nullopt;
}

class Connection {
 public:
  Connection(const Url& url, double timeout)
      : url_(url), timeout_(std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000))) {}

  // One request; the answer's status and body. A transport failure is Unavailable.
  absl::StatusOr<http::response<http::string_body>> Post(const std::string& target,
                                                         std::string_view token, std::string body) {
    if (auto s = Connect(); !s.ok()) return s;
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, url_.host);
    req.set(http::field::user_agent, "repd-import");
    req.set(http::field::content_type, "application/x-ndjson");
    req.set(http::field::authorization, absl::StrCat("Bearer ", AsAbsl(token)));
    req.set(http::field::expect, "100-continue");
    req.body() = std::move(body);
    req.prepare_payload();
    beast::error_code ec;
    http::request_serializer<http::string_body> sr{req};
    stream_->expires_after(timeout_);
    http::write_header(*stream_, sr, ec);
    if (ec) return Broken("sending to", ec);
    auto answer = Read();
    if (!answer.ok()) return answer.status();
    if (answer->result() == http::status::continue_) {
      stream_->expires_after(timeout_);
      http::write(*stream_, sr, ec);
      if (ec) return Broken("sending to", ec);
      answer = Read();
      if (!answer.ok()) return answer.status();
    }
    if (!answer->keep_alive()) Close();
    return answer;
  }

  void Close() {
    if (stream_) {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    stream_.reset();
    buffer_.clear();
  }

 private:
  std::string Where() const { return absl::StrCat(url_.host, ":", url_.port); }

  absl::Status Broken(std::string_view doing, const beast::error_code& ec) {
    Close();
    return absl::UnavailableError(absl::StrCat(AsAbsl(doing), " ", Where(), ": ", ec.message()));
  }

  absl::Status Connect() {
    if (stream_) return absl::OkStatus();
    beast::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat("cannot resolve ", url_.host, ": ", ec.message()));
    stream_.emplace(io_);
    stream_->expires_after(timeout_);
    stream_->connect(endpoints, ec);
    if (ec) return Broken("cannot connect to", ec);
    return absl::OkStatus();
  }

  absl::StatusOr<http::response<http::string_body>> Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    stream_->expires_after(timeout_);
    http::read(*stream_, buffer_, parser, ec);
    if (ec) return Broken("no answer from", ec);
    return parser.release();
  }

  Url url_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

absl::Status CheckAdminUrl(std::string_view url) { return ParseUrl(url).status(); }

struct OverridesPoster::Impl {
  Impl(const Url& url, std::string_view token, PostOverridesOptions options)
      : target(url.prefix + "/v1/overrides"),
        token(token),
        options(std::move(options)),
        conn(url, this->options.timeout) {
    result.batch = std::max<size_t>(this->options.batch, 1);
  }
  const std::string target;
  const std::string token;
  const PostOverridesOptions options;
  Connection conn;
  PostOverridesResult result;
  size_t sent = 0;
};

absl::StatusOr<std::unique_ptr<OverridesPoster>> OverridesPoster::Create(
    std::string_view url_text, std::string_view token, PostOverridesOptions options) {
  auto url = ParseUrl(url_text);
  if (!url.ok()) return url.status();
  if (token.empty()) return absl::UnauthenticatedError("no admin token");
  return std::unique_ptr<OverridesPoster>(
      new OverridesPoster(std::make_unique<Impl>(*url, token, std::move(options))));
}

OverridesPoster::OverridesPoster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OverridesPoster::~OverridesPoster() { impl_->conn.Close(); }

const PostOverridesResult& OverridesPoster::result() const { return impl_->result; }

absl::Status OverridesPoster::Send(const std::vector<reputation::Override>& all) {
  const std::string& target = impl_->target;
  const std::string& token = impl_->token;
  const PostOverridesOptions& options = impl_->options;
  Connection& conn = impl_->conn;
  PostOverridesResult& result = impl_->result;
  auto give_up_at = std::chrono::steady_clock::now();
  bool waiting = false;
  std::string body;
  for (size_t start = 0; start < all.size();) {
    const size_t n = std::min(result.batch, all.size() - start);
    body.clear();
    for (size_t i = start; i < start + n; ++i) AppendOverrideLine(all[i], &body);
    const size_t bytes = body.size();
    auto answer = conn.Post(target, token, std::move(body));
    body = std::string();
    if (!answer.ok()) return answer.status();
    const int status = answer->result_int();
    if (status == 503) {
      // Starting (index rebuild) or the store is briefly unavailable: wait, send again.
      auto now = std::chrono::steady_clock::now();
      if (!waiting) {
        waiting = true;
        give_up_at =
            now + std::chrono::milliseconds(static_cast<int64_t>(options.retry_for * 1000));
      }
      if (now >= give_up_at) {
        return absl::UnavailableError(
            absl::StrCat("server unavailable (503): ", ErrorMessage(answer->body())));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    waiting = false;
    if (status == 413 && n > 1) {
      result.batch = n / 2;
      continue;
    }
    if (status != 200) {
      std::string message = ErrorMessage(answer->body());
      switch (status) {
        case 401:
          return absl::UnauthenticatedError(
              absl::StrCat("the server refused the token (401): ", message));
        case 403:
          return absl::PermissionDeniedError(
              absl::StrCat("the token is not an admin token (403): ", message));
        case 404:
        case 405:
          return absl::UnimplementedError(absl::StrCat("the server has no POST ", target, " (",
                                                       status, "): is it repd, and recent?"));
        case 413:
          return absl::ResourceExhaustedError(absl::StrCat(
              "the override for ", all[start].subject, " alone (", bytes,
              " bytes) is over the server's http.overrides_body_limit (413): ", message));
        default:
          return absl::InternalError(absl::StrCat("the server answered ", status, ": ", message));
      }
    }
    boost::system::error_code ec;
    json::value v = json::parse(answer->body(), ec);
    const json::object* root = !ec && v.is_object() ? &v.as_object() : nullptr;
    auto accepted = Count(root ? root->if_contains("accepted") : nullptr);
    if (!accepted) {
      return absl::InternalError(
          absl::StrCat("the server's answer is not understood: ", ErrorMessage(answer->body())));
    }
    result.accepted += *accepted;
    if (const json::value* errors = root->if_contains("errors"); errors && errors->is_array()) {
      for (const json::value& e : errors->as_array()) {
        if (!e.is_object()) continue;
        const json::value* message = e.as_object().if_contains("message");
        size_t index = Count(e.as_object().if_contains("line")).value_or(0);
        std::string subject = index >= 1 && index <= n ? all[start + index - 1].subject : "?";
        result.rejected.push_back(absl::StrCat(
            subject, ": ",
            message && message->is_string() ? std::string(message->as_string()) : "refused"));
      }
    }
    ++result.requests;
    start += n;
    impl_->sent += n;
    if (options.progress) options.progress(impl_->sent);
  }
  return absl::OkStatus();
}

}  // namespace repd::api
