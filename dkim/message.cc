#include "dkim/message.h"

#include <cctype>

namespace repd::dkim {

std::vector<HeaderField> SplitHeaders(std::string_view block) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t end = pos;
    // A field runs until a line end that is not followed by white space (a continuation).
    while (true) {
      size_t crlf = block.find("\r\n", end);
      if (crlf == std::string_view::npos) {
        end = block.size();
        break;
      }
      end = crlf;
      if (crlf + 2 < block.size() && (block[crlf + 2] == ' ' || block[crlf + 2] == '\t')) {
        end = crlf + 2;
        continue;
      }
      break;
    }
    std::string_view text = block.substr(pos, end - pos);
    pos = end + 2;
    if (text.empty()) continue;
    HeaderField field;
    size_t colon = text.find(':');
    std::string_view name =
        colon == std::string_view::npos ? std::string_view() : text.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    for (char c : name)
      field.name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    field.text = text;
    fields.push_back(std::move(field));
  }
  return fields;
}

}  // namespace repd::dkim
