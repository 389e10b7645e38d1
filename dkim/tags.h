// tags.h -- RFC 6376 section 3.2 tag=value lists (signatures and key records).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace repd::dkim {

class TagList {
 public:
  // Whitespace around names and values is dropped; a duplicate tag, an empty or malformed
  // name, or a missing '=' is an error.
  static absl::StatusOr<TagList> Parse(std::string_view text);

  std::optional<std::string_view> Get(std::string_view name) const;
  const std::vector<std::pair<std::string_view, std::string_view>>& tags() const { return tags_; }

 private:
  std::vector<std::pair<std::string_view, std::string_view>> tags_;  // views into the input
};

// Removes folding white space (SP, HTAB, CR, LF) everywhere: b=, bh= and p= values.
std::string StripWhitespace(std::string_view s);
std::optional<std::string> Base64Decode(std::string_view s);
std::string Base64Encode(std::string_view bytes);

}  // namespace repd::dkim
