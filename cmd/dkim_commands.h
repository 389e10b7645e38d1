// dkim_commands.h -- `repd verify`, `repd sign` and `repd keygen`. argv excludes the
// program and subcommand names.
#pragma once

namespace repd::cmd {
int RunVerify(int argc, char** argv);
int RunSign(int argc, char** argv);
int RunKeygen(int argc, char** argv);
}  // namespace repd::cmd
