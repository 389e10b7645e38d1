#include "cmd/zone_commands.h"
