// flags.h -- the small flag parser shared by every subcommand (GNU style: --name VALUE,
// --name=VALUE, bare --switch; positional arguments kept in order).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace repd::cmd {

struct Flags {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> switches;
  std::vector<std::string> positional;
  std::string error;  // non-empty: usage error, in one line

  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const { return switches.contains(name); }
};

// `with_value` names the flags that take a value, `switches` those that do not.
Flags ParseFlags(int argc, char** argv, const std::set<std::string>& with_value,
                 const std::set<std::string>& switches);

}  // namespace repd::cmd
