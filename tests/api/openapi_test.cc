// api/openapi.yaml against the server: every documented path and method is a route, every
// route is documented, and every example gets the status the document states.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api/router.h"
#include "tests/api/fake_key_resolver.h"
#include "tests/api/raw_client.h"
#include "tests/api/server_fixture.h"

namespace repd::api {
namespace {

using testing::RawClient;

// One x-repd-examples entry: a YAML flow mapping of scalars.
using Example = std::map<std::string, std::string>;

struct Operation {
  std::string path, method;  // method in upper case
  std::set<int> statuses;    // documented responses
  std::vector<Example> examples;
};

struct Document {
  std::vector<Operation> operations;
  std::vector<Example> generic;
};

size_t Indent(const std::string& line) { return line.find_first_not_of(' '); }

std::string Unquote(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') {
    std::string out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      out += s[i];
      if (s[i] == '\'' && s[i + 1] == '\'') ++i;
    }
    return out;
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      if (s[i] == '\\' && i + 2 < s.size()) {
        char e = s[++i];
        out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
      } else {
        out += s[i];
      }
    }
    return out;
  }
  return s;
}

// "{a: 1, b: 'x, y', c: "z"}" -> map. Enough YAML for the examples, which are written so.
Example ParseFlowMap(const std::string& text) {
  Example out;
  size_t open = text.find('{'), close = text.rfind('}');
  std::string inner = text.substr(open + 1, close - open - 1);
  std::vector<std::string> items;
  std::string cur;
  char quote = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    char c = inner[i];
    if (quote) {
      if (c == '\\' && quote == '"' && i + 1 < inner.size()) {
        cur += c;
        cur += inner[++i];
        continue;
      }
      if (c == quote) {
        if (quote == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
          cur += "''";
          ++i;
          continue;
        }
        quote = 0;
      }
      cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      cur += c;
    } else if (c == ',') {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(cur);
  for (const auto& item : items) {
    size_t colon = item.find(':');
    out[Unquote(item.substr(0, colon))] = Unquote(item.substr(colon + 1));
  }
  return out;
}

Document Load() {
  const char* src = std::getenv("REPD_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/api/openapi.yaml");
  Document doc;
  std::string line, path, section;
  bool in_paths = false, in_generic = false;
  Operation* op = nullptr;
  while (std::getline(in, line)) {
    if (line.empty() || line.find_first_not_of(' ') == std::string::npos) continue;
    size_t indent = Indent(line);
    std::string text = line.substr(indent);
    if (text[0] == '#') continue;
    if (indent == 0) {
      in_paths = text == "paths:";
      in_generic = text == "x-repd-generic-examples:";
      op = nullptr;
      continue;
    }
    if (in_generic && indent == 2 && text.rfind("- {", 0) == 0) {
      doc.generic.push_back(ParseFlowMap(text));
      continue;
    }
    if (!in_paths) continue;
    if (indent == 2) {
      path = text.substr(0, text.size() - 1);
      op = nullptr;
    } else if (indent == 4) {
      std::string m = text.substr(0, text.find(':'));
      if (m == "get" || m == "put" || m == "post" || m == "delete" || m == "patch") {
        doc.operations.push_back({path, "", {}, {}});
        op = &doc.operations.back();
        for (char c : m) op->method += static_cast<char>(std::toupper(c));
      } else {
        op = nullptr;
      }
    } else if (op != nullptr && indent == 6) {
      section = text.substr(0, text.find(':'));
    } else if (op != nullptr && indent == 8 && section == "responses" && text[0] == '"') {
      op->statuses.insert(std::atoi(text.c_str() + 1));
    } else if (op != nullptr && indent == 8 && section == "x-repd-examples") {
      Example e = ParseFlowMap(text);
      if (!e.contains("method")) e["method"] = op->method;
      op->examples.push_back(e);
    }
  }
  return doc;
}

TEST(OpenApiTest, DocumentsEveryRouteAndOnlyRoutes) {
  Document doc = Load();
  ASSERT_GE(doc.operations.size(), 12u);
  std::set<Route> documented;
  for (const auto& op : doc.operations) {
    std::string sample = op.path;
    for (size_t b; (b = sample.find('{')) != std::string::npos;) {
      sample.replace(b, sample.find('}', b) - b + 1, "x");
    }
    RouteMatch m = MatchRoute(op.method, sample);
    EXPECT_NE(m.route, Route::kUnknown) << op.method << " " << op.path;
    EXPECT_TRUE(m.method_allowed) << op.method << " " << op.path;
    documented.insert(m.route);
    EXPECT_FALSE(op.examples.empty()) << op.method << " " << op.path;
    std::set<int> shown;
    for (const auto& e : op.examples) shown.insert(std::stoi(e.at("status")));
    for (int s : op.statuses) {
      EXPECT_TRUE(shown.contains(s)) << op.method << " " << op.path << ": no example of " << s;
    }
    for (int s : shown) {
      EXPECT_TRUE(op.statuses.contains(s))
          << op.method << " " << op.path << ": " << s << " is shown but not documented";
    }
  }
  for (int r = 0; r < kRouteCount - 1; ++r) {
    EXPECT_TRUE(documented.contains(static_cast<Route>(r)))
        << RouteName(static_cast<Route>(r)) << " is not in api/openapi.yaml";
  }
}

class OpenApiServerTest : public testing::ServerFixture {
 protected:
  // Sends one example on its own connection; returns the status.
  int Send(const Example& e) {
    ready_ = !(e.contains("ready") && e.at("ready") == "false");
    std::string headers;
    if (e.contains("type")) headers += "Content-Type: " + e.at("type") + "\r\n";
    if (e.contains("token")) {
      const std::string& t = e.at("token");
      headers += "Authorization: Bearer ";
      headers += t == "admin"      ? testing::kAdminToken
                 : t == "feedback" ? testing::kFeedToken
                                   : "not-a-configured-token";
      headers += "\r\n";
    }
    std::string body = e.contains("body") ? e.at("body") : "";
    size_t declared = body.size();
    if (e.contains("body_bytes")) {
      declared = std::stoul(e.at("body_bytes"));
      // Over-limit bodies are refused after the headers: send only a start of them.
      body.assign(std::min<size_t>(declared, 64 * 1024), ' ');
    }
    const std::string method = e.at("method");
    std::string request = method + " " + e.at("target") + " HTTP/1.1\r\nHost: x\r\n" + headers;
    if (declared > 0 || method == "POST" || method == "PUT") {
      request += "Content-Length: " + std::to_string(declared) + "\r\n";
    }
    request += "\r\n" + body;
    RawClient c(port_);
    c.Send(request);
    return c.Read().status;
  }
};

TEST_F(OpenApiServerTest, EveryExampleGetsItsDocumentedStatus) {
  testing::FakeKeyResolver resolver(io_);
  dkim::Verifier verifier(resolver, dkim::VerifierOptions{});
  HttpOptions options = testing::OptionsWithTokens();
  options.delist_burst = 5;
  StartServer(options, &verifier);
  Document doc = Load();
  std::vector<Example> all = doc.generic;
  for (const auto& op : doc.operations)
    all.insert(all.end(), op.examples.begin(), op.examples.end());
  ASSERT_GT(all.size(), 40u);
  for (const auto& e : all) {
    int want = std::stoi(e.at("status"));
    int repeat = e.contains("repeat") ? std::stoi(e.at("repeat")) : 1;
    int got = 0;
    for (int i = 0; i < repeat && got != want; ++i) got = Send(e);
    EXPECT_EQ(got, want) << e.at("method") << " " << e.at("target");
  }
}

}  // namespace
}  // namespace repd::api
