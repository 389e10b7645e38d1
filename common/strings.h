// strings.h -- bridges std::string_view to Debian's abseil, which is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so StrCat, StrSplit and
// heterogeneous lookups in absl containers need an absl::string_view.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace repd {

inline absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view AsStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace repd
