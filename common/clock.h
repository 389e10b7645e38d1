// clock.h -- wall-clock unix seconds, the time unit of events, records and listings.
#pragma once

#include <chrono>
#include <cstdint>

namespace repd {

inline int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace repd
