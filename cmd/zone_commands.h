// zone_commands.h -- `repd export` and `repd import`: zones to and from files.
#pragma once

namespace repd::cmd {
int RunExport(int argc, char** argv);
int RunImport(int argc, char** argv);
}  // namespace repd::cmd
