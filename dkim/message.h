// message.h -- a message's header block split into fields (with their folding kept).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace repd::dkim {

struct HeaderField {
  std::string name;       // lower case
  std::string_view text;  // "Name: value" with folding, without the final CRLF
};

// `block` is the header block with CRLF line ends (the caller normalises bare LF).
// Lines that are not fields (no colon) are kept as fields named "" so they hash as written.
std::vector<HeaderField> SplitHeaders(std::string_view block);

}  // namespace repd::dkim
