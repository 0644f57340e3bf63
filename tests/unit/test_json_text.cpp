// Syntax errors of hand-written JSON (topologies, scenarios): line and column in plain words.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "scenario.hpp"
#include "snet/json_text.hpp"
#include "snet/topology.hpp"

using namespace snet;

namespace {
// The message parse_json_text throws for `text` (fails the test if it parsed).
std::string syntax_error(const std::string& text) {
  try {
    (void)parse_json_text(text);
  } catch (const JsonSyntaxError& e) {
    return e.what();
  }
  FAIL("parsed: " << text);
  return {};
}
}  // namespace

TEST_CASE("a missing comma is placed at the token that follows it") {
  CHECK(syntax_error("{\n  \"a\": 1\n  \"b\": 2\n}") ==
        "line 3, column 3: expected ',' or '}', found a string");
  CHECK(syntax_error("[1, 2\n 3]") == "line 2, column 2: expected ',' or ']', found a number");
  CHECK(syntax_error("{\"a\": true false}") ==
        "line 1, column 12: expected ',' or '}', found false");
}

TEST_CASE("trailing commas, bare words and early ends are explained") {
  CHECK(syntax_error("{\"a\": 1,\n}") ==
        "line 2, column 1: expected a \"quoted\" key, found '}' (JSON allows no comma before '}')");
  CHECK(syntax_error("[1,\n  ]") ==
        "line 2, column 3: expected a value, found ']' (JSON allows no comma before ']')");
  CHECK(syntax_error("{\"kind\": button}") ==
        "line 1, column 10: invalid literal (text needs \"quotes\"; the literals are true, false "
        "and null)");
  CHECK(syntax_error("{kind: 1}") == "line 1, column 2: a key must be a \"quoted\" string");
  CHECK(syntax_error("{\"name\": ") ==
        "line 1, column 10: expected a value, found the end of the text");
  CHECK(syntax_error("{} {}") == "line 1, column 4: text after the end of the JSON value");
  CHECK(syntax_error("{\"a\" 1}") == "line 1, column 6: expected ':', found a number");
}

TEST_CASE("a number too large for a double is a syntax error at that number (fuzz)") {
  CHECK(syntax_error("{\n  \"rate\": 1e999\n}") ==
        "line 2, column 11: the number 1e999 is too large");
  // The fuzzer's input: a number alone, with bytes after it.
  CHECK(syntax_error(std::string("37777581e97581e96\0\0\0}", 21)).find("is too large") !=
        std::string::npos);
  CHECK_THROWS_AS(parse_topology_text(R"({"name": "t", "devices": [], "x": -4e400})"),
                  TopologyError);
}

TEST_CASE("columns count characters, strings with escaped quotes are skipped whole") {
  CHECK(syntax_error("{\"é\": \"ü\\\"\" \"x\"}") ==
        "line 1, column 13: expected ',' or '}', found a string");
  CHECK(line_and_column("ab\ncd", 0) == std::pair{1, 1});
  CHECK(line_and_column("ab\ncd", 4) == std::pair{2, 2});
  CHECK(line_and_column("ab", 99) == std::pair{1, 3});
}

TEST_CASE("comments are allowed, and the lexer's own words are kept without 'last read'") {
  CHECK(parse_json_text("// a topology\n{\"a\": 1 /* one */}")["a"] == 1);
  const std::string e = syntax_error("{\"a\": \"x\ny\"}");
  CHECK(e.rfind("line 1, column 9: invalid string: control character U+000A", 0) == 0);
  CHECK(e.find("last read") == std::string::npos);
}

TEST_CASE("topology and scenario files name the file, line and column") {
  test::TempDir dir;
  const std::string topology = dir.path() + "/broken.json";
  std::ofstream(topology) << "{\n  \"name\": \"x\"\n  \"devices\": []\n}\n";
  try {
    (void)load_topology(topology);
    FAIL("loaded a broken topology");
  } catch (const TopologyError& e) {
    REQUIRE(e.errors.size() == 1);
    CHECK(e.errors[0] == topology + ": line 3, column 3: expected ',' or '}', found a string");
  }
  const std::string scenario = dir.path() + "/scenario.json";
  std::ofstream(scenario) << "{\"name\": \"s\", \"duration_s\": 1,}";
  try {
    (void)experiment::load_scenario(scenario);
    FAIL("loaded a broken scenario");
  } catch (const experiment::ScenarioError& e) {
    REQUIRE(e.errors.size() == 1);
    CHECK(e.errors[0] == scenario +
                             ": line 1, column 31: expected a \"quoted\" key, found '}' (JSON "
                             "allows no comma before '}')");
  }
  // Semantic errors still name the JSON path.
  try {
    (void)parse_topology_text(R"({"name": "x", "devices": [{"id": "b", "kind": "lamp"}]})");
    FAIL("accepted a bad kind");
  } catch (const TopologyError& e) {
    CHECK(std::string(e.what()).find("devices[0] 'b': field 'kind' is 'lamp'") !=
          std::string::npos);
  }
}
