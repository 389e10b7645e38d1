// serve.h -- `repd serve`: the service, wired from its config.
#pragma once

namespace repd::cmd {
int RunServe(int argc, char** argv);
}
