// ldns.h -- the one way dkim/ includes ldns: <stdbool.h> first, or ldns/common.h turns
// `true` and `false` into macros in C++.
#pragma once

#include <stdbool.h>
#include <ldns/ldns.h>
