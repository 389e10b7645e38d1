#include "api/json_io.h"

#include <boost/json/serializer.hpp>

#include "common/strings.h"

namespace repd::api {

void SetJson(const boost::json::value& value, int status, Response* res) {
  res->status = status;
  res->content_type = "application/json";
  res->body.clear();
  boost::json::serializer sr;
  sr.reset(&value);
  char buf[4096];
  while (!sr.done()) {
    auto chunk = sr.read(buf, sizeof buf);
    res->body.append(chunk.data(), chunk.size());
  }
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
