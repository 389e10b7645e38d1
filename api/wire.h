// wire.h -- (api-private) serves raw request bytes without a socket: Beast's parser with the
// session's limits, then the Api. The fuzzer drives the parser, router and handlers with it.
#pragma once

#include <string>
#include <string_view>

#include "api/api.h"

namespace repd::api {

// Parses every complete request in `bytes` (pipelined), answers each as a session would,
// and appends the answers, serialised, to *out. Stops at the first malformed request after
// answering it with 400/413/431, as a session does before it closes. Returns the number of
// answers. POST /v1/verify is answered only when the verifier finishes inline.
size_t ServeBytes(Api& api, std::string_view bytes, std::string* out);

}  // namespace repd::api
