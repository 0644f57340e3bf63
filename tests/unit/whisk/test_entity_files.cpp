// snet-whisk's entity persistence without a running service: EntityFiles on a temporary
// directory (round trip, atomic files, corrupt files skipped) and the stores telling a sink.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <doctest/doctest.h>

#include "action_store.hpp"
#include "entity_files.hpp"
#include "harness.hpp"
#include "trigger_store.hpp"

using namespace snet;
using namespace snet::whisk;
namespace fs = std::filesystem;

namespace {

// Keeps what the stores said, as the entities directory would have it.
struct MemorySink : EntitySink {
  std::map<std::string, nlohmann::json> kept;  // "collection/name"
  void saved(const std::string& c, const std::string& n, const nlohmann::json& e) override {
    kept[c + "/" + n] = e;
  }
  void removed(const std::string& c, const std::string& n) override { kept.erase(c + "/" + n); }
};

std::map<std::string, nlohmann::json> by_name(const std::vector<StoredEntity>& entities) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& e : entities) out[e.name] = e.entity;
  return out;
}

}  // namespace

TEST_CASE("entity files: what is saved loads back, removed ones do not, files are 0600") {
  test::TempDir dir("snet-entities");
  const std::string root = dir.path() + "/entities";
  const nlohmann::json a = {{"name", "hello world@1.x"}, {"exec", {{"code", "x"}}}};
  const nlohmann::json b = {{"name", "b"}, {"version", "0.0.2"}};
  {
    EntityFiles files(root);
    files.saved(kActions, "hello world@1.x", a);
    files.saved(kActions, "b", {{"name", "b"}});
    files.saved(kActions, "b", b);  // replaced whole
    files.saved(kTriggers, "t", {{"name", "t"}});
    files.saved(kRules, "gone", {{"name", "gone"}});
    files.removed(kRules, "gone");
    CHECK(files.write_errors() == 0);
    struct stat st {};
    REQUIRE(::stat(files.path(kActions, "b").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // A name never escapes its directory.
    CHECK(fs::path(files.path(kActions, "../x")).parent_path() == fs::path(root) / kActions);
  }
  EntityFiles again(root);
  const auto actions = by_name(again.load(kActions));
  CHECK(actions.size() == 2);
  CHECK(actions.at("hello world@1.x") == a);
  CHECK(actions.at("b") == b);
  CHECK(again.load(kTriggers).size() == 1);
  CHECK(again.load(kRules).empty());
  CHECK(again.corrupt() == 0);
}

TEST_CASE("entity files: a corrupt file is counted and skipped, a leftover temporary removed") {
  test::TempDir dir("snet-entities");
  EntityFiles files(dir.path());
  files.saved(kActions, "good", {{"name", "good"}});
  std::ofstream(files.path(kActions, "truncated")) << R"({"name": "trunc)";
  std::ofstream(files.path(kActions, "empty"));
  std::ofstream(files.path(kActions, "other")) << R"({"name": "not-other"})";
  std::ofstream(files.path(kActions, "array")) << "[1]";
  const std::string temporary = files.path(kActions, "half") + ".tmp";
  std::ofstream(temporary) << "{";
  const auto loaded = files.load(kActions);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].name == "good");
  CHECK(files.corrupt() == 4);
  CHECK_FALSE(fs::exists(temporary));
}

TEST_CASE("actions: put and remove reach the sink and stored_action rebuilds what was kept") {
  MemorySink sink;
  ActionStore store;
  store.set_sink(&sink);
  Action action = parse_action_put(
      {{"exec", {{"kind", "nodejs:20"}, {"code", "function main() { return {}; }"}}},
       {"parameters", {{{"key", "k"}, {"value", 1}}}},
       {"limits", {{"timeout", 1000}}}},
      "guest", "a", nullptr);
  action.version = "0.0.4";
  store.put(action);
  store.put(parse_action_put({{"exec", {{"kind", "nodejs:20"}, {"code", "x"}}}}, "guest", "gone",
                             nullptr));
  store.remove("gone");
  REQUIRE(sink.kept.size() == 1);
  const Action back = stored_action(sink.kept.at("actions/a"), "guest");
  CHECK(back.to_json() == store.find("a")->to_json());
  CHECK(back.version == "0.0.4");
}

TEST_CASE("triggers and rules: what the sink kept restores them, rule statuses included") {
  ActionStore actions;
  actions.put(parse_action_put({{"exec", {{"kind", "nodejs:20"}, {"code", "x"}}}}, "guest", "act",
                               nullptr));
  MemorySink sink;
  TriggerStore store("guest");
  store.set_sink(&sink);
  store.put_trigger("t", {{"parameters", {{{"key", "p"}, {"value", "v"}}}}}, false);
  store.put_trigger("t2", nlohmann::json::object(), false);
  store.put_rule("on", {{"trigger", "t"}, {"action", "act"}}, false, actions);
  store.put_rule("off", {{"trigger", "/_/t"}, {"action", "/guest/act"}}, false, actions);
  store.set_rule_status("off", kRuleInactive);
  store.put_rule("moved", {{"trigger", "t"}, {"action", "act"}}, false, actions);
  store.put_rule("moved", {{"trigger", "t2"}}, true, actions);  // t lets go of it
  store.put_rule("gone", {{"trigger", "t"}, {"action", "act"}}, false, actions);
  store.remove_rule("gone");

  std::vector<Trigger> triggers;
  std::vector<Rule> rules;
  for (const auto& [key, entity] : sink.kept) {
    if (key.rfind("triggers/", 0) == 0) triggers.push_back(Trigger::from_json(entity));
    if (key.rfind("rules/", 0) == 0) rules.push_back(Rule::from_json(entity));
  }
  TriggerStore restored("guest");
  restored.restore(triggers, rules);
  CHECK(restored.triggers().size() == 2);
  CHECK(restored.rules().size() == 3);
  for (const auto& name : {"t", "t2"}) {
    CHECK(restored.trigger(name)->to_json() == store.trigger(name)->to_json());
  }
  for (const auto& name : {"on", "off", "moved"}) {
    const auto want = store.rule(name);
    const auto got = restored.rule(name);
    REQUIRE(got);
    CHECK(got->first.to_json(got->second) == want->first.to_json(want->second));
  }
  CHECK(restored.rule("off")->second == kRuleInactive);
  CHECK(restored.rule("on")->second == kRuleActive);
  CHECK_FALSE(restored.rule("gone"));
  CHECK_THROWS_AS(Trigger::from_json({{"name", "x"}}), EntityError);  // no namespace
  CHECK_THROWS_AS(Rule::from_json({{"namespace", "guest"}, {"name", "r"}}), EntityError);
}
