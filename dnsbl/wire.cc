#include "dnsbl/wire.h"

#include <vector>

namespace repd::dnsbl {

std::optional<std::string> NameToWire(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::string wire;
  if (text.empty()) return std::string(1, '\0');
  size_t start = 0;
  while (start <= text.size()) {
    size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    size_t len = dot - start;
    if (len == 0 || len > 63) return std::nullopt;
    wire.push_back(static_cast<char>(len));
    for (size_t i = start; i < dot; ++i) {
      wire.push_back(static_cast<char>(AsciiLower(static_cast<uint8_t>(text[i]))));
    }
    start = dot + 1;
  }
  wire.push_back('\0');
  if (wire.size() > kMaxName) return std::nullopt;
  return wire;
}

std::string WireToName(const uint8_t* wire) {
  std::string out;
  for (size_t pos = 0; wire[pos] != 0; pos += wire[pos] + 1) {
    if (!out.empty()) out.push_back('.');
    for (size_t i = 1; i <= wire[pos]; ++i) {
      uint8_t c = wire[pos + i];
      if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '$' ||
          c == '@') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c <= ' ' || c >= 0x7f) {
        char buf[5] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                       static_cast<char>('0' + c % 10), 0};
        out += buf;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }
  return out.empty() ? "." : out;
}

namespace {

std::vector<size_t> LabelOffsets(std::string_view wire) {
  std::vector<size_t> offsets;
  for (size_t pos = 0; pos < wire.size() && wire[pos] != 0;
       pos += static_cast<uint8_t>(wire[pos]) + 1) {
    offsets.push_back(pos);
  }
  return offsets;
}

}  // namespace

CompressedName CompressAgainst(std::string_view name_wire, std::string_view apex_wire) {
  std::vector<size_t> apex_labels = LabelOffsets(apex_wire);
  for (size_t i : LabelOffsets(name_wire)) {
    std::string_view suffix = name_wire.substr(i);
    if (suffix.size() > apex_wire.size()) continue;
    size_t j = apex_wire.size() - suffix.size();
    bool aligned = false;
    for (size_t a : apex_labels) aligned |= a == j;
    if (aligned && apex_wire.substr(j) == suffix) {
      return {std::string(name_wire.substr(0, i)), static_cast<int>(j)};
    }
  }
  // No common suffix: written in full (the final root byte comes from Write()).
  return {std::string(name_wire.substr(0, name_wire.size() - 1)), -1};
}

}  // namespace repd::dnsbl
