#include "api/wire.h"

#include <sstream>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

#include "api/json_io.h"

namespace repd::api {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

void Serialize(const Response& res, unsigned version, bool keep_alive, std::string* out) {
  http::response<http::string_body> msg(static_cast<http::status>(res.status), version);
  msg.set(http::field::content_type, res.content_type);
  for (const auto& [name, value] : res.headers) msg.set(name, value);
  msg.body() = res.body;
  msg.keep_alive(keep_alive);
  msg.prepare_payload();
  std::ostringstream s;
  s << msg;
  out->append(s.str());
}

}  // namespace

size_t ServeBytes(Api& api, std::string_view bytes, std::string* out) {
  size_t answered = 0;
  while (!bytes.empty()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(api.options().header_limit));
    parser.body_limit(api.options().feedback_body_limit);  // replaced once the route is known
    beast::error_code ec;
    bool header_seen = false;
    RouteMatch match;
    Response res;
    bool admitted = true;
    while (!parser.is_done() && !bytes.empty()) {
      size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == http::error::need_more) ec = {};
      if (ec) break;
      if (parser.is_header_done() && !header_seen) {
        header_seen = true;
        const auto& req = parser.get();
        match = MatchRoute(Sv(req.method_string()), Sv(req.target()));
        Request r{Sv(req.method_string()),
                  Sv(req.target()),
                  Sv(req[http::field::content_type]),
                  Sv(req[http::field::authorization]),
                  {},
                  "192.0.2.1"};
        std::optional<uint64_t> length;
        if (auto declared = parser.content_length()) length = *declared;
        admitted = api.Admit(match, r, length, &res);
        if (!admitted) break;
        parser.body_limit(api.BodyLimit(match.route));
      }
      if (used == 0) break;
    }
    if (ec) {
      if (ec == http::error::body_limit) {
        SetError(413, "body_too_large", "body over the limit", &res);
      } else if (ec == http::error::header_limit) {
        SetError(431, "headers_too_large", "headers over the limit", &res);
      } else {
        SetError(400, "bad_request", "malformed HTTP request: " + ec.message(), &res);
      }
      Serialize(res, 11, false, out);
      return answered + 1;
    }
    if (!admitted) {
      Serialize(res, parser.get().version(), parser.is_done(), out);
      ++answered;
      if (!parser.is_done()) return answered;  // a session closes here
      continue;
    }
    if (!parser.is_done()) return answered;  // incomplete: a session would wait for more
    const auto& req = parser.get();
    Request r{Sv(req.method_string()),
              Sv(req.target()),
              Sv(req[http::field::content_type]),
              Sv(req[http::field::authorization]),
              req.body(),
              "192.0.2.1"};
    if (match.route == Route::kVerify) {
      api.Serve(r, &res);
    } else {
      api.Handle(match, r, &res);
    }
    Serialize(res, req.version(), req.keep_alive(), out);
    ++answered;
    if (!req.keep_alive()) return answered;
  }
  return answered;
}

}  // namespace repd::api
