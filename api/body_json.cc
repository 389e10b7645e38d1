#include "api/body_json.h"

#include <boost/json/parse.hpp>

#include "absl/strings/ascii.h"
#include "common/strings.h"

namespace repd::api {

namespace json = boost::json;

absl::Status FieldError(std::string_view key, std::string_view what) {
  std::string message = "field '";
  message.append(key).append("': ").append(what);
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<json::object> ParseObject(std::string_view body, json::storage_ptr storage) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec, std::move(storage));
  if (ec) return absl::InvalidArgumentError("body: malformed JSON: " + ec.message());
  if (!v.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  return std::move(v.as_object());
}

void ForEachLine(std::string_view body,
                 const std::function<bool(size_t line, std::string_view text)>& each) {
  size_t line = 0;
  while (!body.empty()) {
    ++line;
    size_t nl = body.find('\n');
    std::string_view text = AsStd(absl::StripAsciiWhitespace(AsAbsl(body.substr(0, nl))));
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (text.empty()) continue;
    if (!each(line, text)) return;
  }
}

absl::Status CheckFields(const json::object& obj, std::initializer_list<std::string_view> known) {
  for (const auto& kv : obj) {
    std::string_view key(kv.key().data(), kv.key().size());
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) return FieldError(key, "unknown field");
  }
  return absl::OkStatus();
}

absl::Status ReadString(const json::object& obj, std::string_view key, bool required,
                        std::string* out) {
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null())
    return required ? FieldError(key, "required") : absl::OkStatus();
  if (!v->is_string()) return FieldError(key, "must be a string");
  out->assign(v->as_string().data(), v->as_string().size());
  return absl::OkStatus();
}

absl::Status ReadInt(const json::object& obj, std::string_view key, bool required, int64_t* out) {
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null())
    return required ? FieldError(key, "required") : absl::OkStatus();
  if (v->is_int64()) {
    *out = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(v->as_uint64());
  } else {
    return FieldError(key, "must be an integer");
  }
  return absl::OkStatus();
}

absl::Status ReadStrings(const json::object& obj, std::string_view key,
                         std::vector<std::string>* out) {
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_array()) return FieldError(key, "must be an array of strings");
  out->clear();
  for (const json::value& item : v->as_array()) {
    if (!item.is_string()) return FieldError(key, "must be an array of strings");
    out->emplace_back(item.as_string().data(), item.as_string().size());
  }
  return absl::OkStatus();
}

}  // namespace repd::api
