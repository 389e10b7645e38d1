#include "api/json_io.h"

#include <charconv>
#include <cmath>

#include "common/strings.h"

namespace repd::api {

namespace {

namespace json = boost::json;

// Boost.JSON writes every double in exponent form (0.25 as 2.5E-1); people read these
// answers with curl, so doubles get the shortest plain form that reads back the same.
void AppendDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out->append(buf, ec == std::errc() ? end : buf);
}

template <typename T>
void AppendInteger(T v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

void Append(const json::value& v, std::string* out) {
  switch (v.kind()) {
    case json::kind::null:
      out->append("null");
      return;
    case json::kind::bool_:
      out->append(v.get_bool() ? "true" : "false");
      return;
    case json::kind::int64:
      return AppendInteger(v.get_int64(), out);
    case json::kind::uint64:
      return AppendInteger(v.get_uint64(), out);
    case json::kind::double_:
      return AppendDouble(v.get_double(), out);
    case json::kind::string:
      return AppendJsonString(std::string_view(v.get_string().data(), v.get_string().size()), out);
    case json::kind::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out->push_back(',');
        first = false;
        Append(item, out);
      }
      out->push_back(']');
      return;
    }
    case json::kind::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(std::string_view(kv.key().data(), kv.key().size()), out);
        out->push_back(':');
        Append(kv.value(), out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void SetJson(const boost::json::value& value, int status, Response* res) {
  res->status = status;
  res->content_type = "application/json";
  res->body.clear();
  Append(value, &res->body);
  res->body.push_back('\n');
}

void SetError(int status, std::string_view code, std::string_view message, Response* res) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object root;
  root["error"] = std::move(error);
  SetJson(root, status, res);
}

void SetStatusError(const absl::Status& status, Response* res) {
  std::string_view message = AsStd(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return SetError(400, "invalid_argument", message, res);
    case absl::StatusCode::kNotFound:
      return SetError(404, "not_found", message, res);
    case absl::StatusCode::kResourceExhausted:
      return SetError(429, "rate_limited", message, res);
    case absl::StatusCode::kUnavailable:
      return SetError(503, "unavailable", message, res);
    default:
      return SetError(500, "internal", message, res);
  }
}

}  // namespace repd::api
