// A scenario: one repeatable experiment (scenarios/README.md): the topology it runs on, a
// workload of press generators, a timeline of faults and link changes, and what the result must
// show. Loaded from JSON and validated as a whole against its topology: every problem is
// reported with the entry and field it concerns.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "snet/link.hpp"
#include "snet/topology.hpp"

namespace snet::experiment {

enum class Pattern { constant, poisson, burst, ramp };
std::string_view to_string(Pattern);

/// Which buttons a generator presses: listed ids, every button of some sites, buttons whose
/// attrs match, or all ("*"). Several selectors together: a button must satisfy each.
struct ButtonSelector {
  bool all = false;
  std::vector<std::string> ids;
  std::vector<std::string> sites;
  std::map<std::string, std::string> attrs;
};

/// One press generator. Rates are presses per second over all its buttons together.
struct Generator {
  ButtonSelector buttons;
  Pattern pattern = Pattern::constant;
  double rate = 0;      // constant, poisson; ramp: the start rate
  double to_rate = 0;   // ramp: the end rate
  int count = 0;        // burst: presses per burst
  double every_s = 0;   // burst: period
  double from_s = 0;    // active from (s since the start)
  double until_s = -1;  // active until (< 0: the scenario's end)
};

/// One timeline entry: at `at_s`, a control or link action; `until_s` (optional) undoes it.
struct Action {
  double at_s = 0;
  std::optional<double> until_s;
  /// service: kill | restart | stop | start | pause | resume (target: a service name)
  /// device: offline | crash | freeze | reconnect (targets: device ids)
  /// storm: every device of `kind` reconnects (target: all, buttons or actuators)
  /// link: set `link` properties on `target` (a site or device id)
  std::string kind;  // service | device | storm | link
  std::string verb;  // as above; link: "set"
  std::vector<std::string> targets;
  LinkSpec link;      // link: the properties to set (until: the ones before come back)
  std::string label;  // for the report; generated when absent
};

/// What the report must show; absent fields are not checked.
struct Expectations {
  std::optional<std::int64_t> lost;
  std::optional<std::int64_t> duplicated;
  std::optional<double> p50_ms, p99_ms;
  std::optional<double> recovery_ms;  // every fault's recovery (to latency within 2x of before)
  std::optional<double> min_applied_pct;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string topology;  // a file or an example's name, as `snet up` takes it
  double duration_s = 60;
  std::uint64_t seed = 1;
  std::map<std::string, std::string> up_flags;  // extra `snet up` flags, e.g. relayers: "2"
  std::vector<Generator> workload;
  std::vector<Action> timeline;  // sorted by at_s
  Expectations expect;
};

/// Thrown by the loaders with every problem, one per line in what().
struct ScenarioError : std::runtime_error {
  explicit ScenarioError(std::vector<std::string> errors);
  std::vector<std::string> errors;
};

/// Parses the document (no topology check yet). Throws ScenarioError listing every problem.
Scenario parse_scenario(const nlohmann::json& doc);
/// Reads a file; errors name the file.
Scenario load_scenario(const std::string& path);
/// Every problem of a scenario against the topology it names: unknown buttons, sites, devices,
/// links, actions past the end, a selector that selects nothing (empty when valid).
std::vector<std::string> validate(const Scenario& scenario, const Topology& topology);

/// The buttons a selector picks, in topology order.
std::vector<std::string> select_buttons(const ButtonSelector& selector, const Topology& topology);

}  // namespace snet::experiment
