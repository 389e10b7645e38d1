// body_json.h -- reading JSON request bodies with errors that name the offending field.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace repd::api {

// The body as one JSON object; errors say where the JSON breaks.
absl::StatusOr<boost::json::object> ParseObject(std::string_view body,
                                                boost::json::storage_ptr storage = {});

// Refuses fields outside `known`, so that a misspelt optional field is not silently ignored.
absl::Status CheckFields(const boost::json::object& obj,
                         std::initializer_list<std::string_view> known);

// Each reader leaves *out alone when the field is absent and not required.
absl::Status ReadString(const boost::json::object& obj, std::string_view key, bool required,
                        std::string* out);
absl::Status ReadInt(const boost::json::object& obj, std::string_view key, bool required,
                     int64_t* out);
absl::Status ReadStrings(const boost::json::object& obj, std::string_view key,
                         std::vector<std::string>* out);

// The lines of an NDJSON body, numbered from 1 (empty lines are counted, and skipped): `each`
// gets the number and the line without surrounding white space, and returns false to stop.
void ForEachLine(std::string_view body,
                 const std::function<bool(size_t line, std::string_view text)>& each);

// "field 'key': what"
absl::Status FieldError(std::string_view key, std::string_view what);

}  // namespace repd::api
