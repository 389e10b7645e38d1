#include "cmd/flags.h"

namespace repd::cmd {

std::optional<std::string> Flags::Get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

Flags ParseFlags(int argc, char** argv, const std::set<std::string>& with_value,
                 const std::set<std::string>& switches) {
  Flags f;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) f.positional.push_back(argv[i]);
      break;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      f.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      inline_value = true;
    }
    if (switches.contains(name) && !inline_value) {
      f.switches.insert(name);
    } else if (with_value.contains(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) {
          f.error = "flag --" + name + " needs a value";
          return f;
        }
        value = argv[++i];
      }
      f.values[name].push_back(value);
    } else {
      f.error = "unknown flag --" + name;
      return f;
    }
  }
  return f;
}

}  // namespace repd::cmd
