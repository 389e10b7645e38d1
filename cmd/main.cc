// main.cc -- the repd binary: one subcommand per job.
#include <cstring>
#include <iostream>
#include <string_view>

#include "cmd/dkim_commands.h"
#include "cmd/query.h"
#include "cmd/serve.h"
#include "cmd/zone_commands.h"

namespace {

constexpr const char* kUsage = R"(usage: repd COMMAND [ARGS]
commands:
  serve    run the service (DNS zones and HTTP API)
  verify   verify the DKIM signatures of messages
  sign     DKIM-sign a message
  keygen   make a DKIM key pair and the DNS record to publish
  query    show the reputation of an IP or a domain from a data dir
  export   write the zones as a zone file or rbldnsd data
  import   load rbldnsd or CSV listings as operator listings
  version  print the version
Run `repd COMMAND --help` for a command's options.
)";

struct Command {
  std::string_view name;
  int (*run)(int, char**);
};

}  // namespace

int main(int argc, char** argv) {
  static constexpr Command kCommands[] = {
      {"serve", repd::cmd::RunServe},   {"verify", repd::cmd::RunVerify},
      {"sign", repd::cmd::RunSign},     {"keygen", repd::cmd::RunKeygen},
      {"query", repd::cmd::RunQuery},   {"export", repd::cmd::RunExport},
      {"import", repd::cmd::RunImport},
  };
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string_view name = argv[1];
  if (name == "version" || name == "--version") {
    std::cout << "repd " REPD_VERSION "\n";
    return 0;
  }
  for (const auto& c : kCommands) {
    if (c.name == name) return c.run(argc - 2, argv + 2);
  }
  std::cerr << "repd: unknown command '" << name << "'\n" << kUsage;
  return 2;
}
