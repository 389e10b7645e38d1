#include "tests/support/dig.h"

#include <algorithm>
#include <sstream>

#include "tests/support/repd_process.h"

namespace repd::testing {

bool DigResult::HasFlag(const std::string& f) const {
  return std::find(flags.begin(), flags.end(), f) != flags.end();
}

std::vector<std::string> DigResult::AnswerData(const std::string& type) const {
  std::vector<std::string> out;
  for (const auto& r : answer) {
    if (r.type == type) out.push_back(r.rdata);
  }
  std::sort(out.begin(), out.end());
  return out;
}

DigResult Dig(int port, const std::string& name, const std::string& type,
              const std::string& extra) {
  DigResult result;
  result.raw = RunCommand("dig @127.0.0.1 -p " + std::to_string(port) +
                          " +norec +time=2 +tries=3 +nocookie " + extra + " '" + name + "' " +
                          type + " 2>&1");
  std::istringstream in(result.raw);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.find(";; ->>HEADER<<-") != std::string::npos) {
      result.answered = true;
      auto pos = line.find("status: ");
      if (pos != std::string::npos) {
        result.status = line.substr(pos + 8, line.find(',', pos) - pos - 8);
      }
      continue;
    }
    if (line.rfind(";; flags:", 0) == 0) {
      std::istringstream f(line.substr(9, line.find(';', 9) - 9));
      std::string flag;
      while (f >> flag) result.flags.push_back(flag);
      continue;
    }
    if (line.rfind(";; ANSWER SECTION", 0) == 0)
      section = "answer";
    else if (line.rfind(";; AUTHORITY SECTION", 0) == 0)
      section = "authority";
    else if (line.rfind(";; ADDITIONAL SECTION", 0) == 0 || line.empty())
      section.clear();
    if (line.empty() || line[0] == ';' || section.empty()) continue;
    std::istringstream r(line);
    DigRecord rec;
    std::string cls;
    r >> rec.name >> rec.ttl >> cls >> rec.type;
    std::getline(r, rec.rdata);
    rec.rdata.erase(0, rec.rdata.find_first_not_of(" \t"));
    (section == "answer" ? result.answer : result.authority).push_back(rec);
  }
  return result;
}

}  // namespace repd::testing
