// ldns.h -- the one way dkim/ includes ldns: <stdbool.h> first, or ldns/common.h turns
// `true` and `false` into macros in C++.
#pragma once

#include <ldns/ldns.h>
#include <stdbool.h>
