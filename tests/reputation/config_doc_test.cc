// data/repd.toml documents every model parameter with its default.
#include <gtest/gtest.h>

#include <regex>

#include "reputation/model_params.h"
#include "tests/support/repd_process.h"

namespace repd::reputation {
namespace {

TEST(ConfigDocTest, EveryModelParameterIsDocumentedWithItsDefault) {
  const char* root = std::getenv("REPD_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  std::string toml = testing::ReadFile(std::string(root) + "/data/repd.toml");
  auto model = toml.find("\n[model]");
  ASSERT_NE(model, std::string::npos);
  std::string section = toml.substr(model);
  ModelParams defaults;
  int count = 0;
  ForEachModelParam(defaults, [&](const char* name, auto value) {
    ++count;
    std::smatch m;
    std::regex line(std::string("\n") + name + " = ([0-9.]+)");
    ASSERT_TRUE(std::regex_search(section, m, line)) << name << " is not documented";
    EXPECT_DOUBLE_EQ(std::stod(m[1]), static_cast<double>(value)) << name;
  });
  EXPECT_EQ(count, 27);
}

}  // namespace
}  // namespace repd::reputation
