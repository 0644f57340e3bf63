// Private to the topology loader: the parts split out of topology.cpp (route validation and
// resolution live in topology_routes.cpp). Pure functions of their arguments.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "snet/topology.hpp"

namespace snet {

/// Device ids, topology and group names appear inside topics and routing keys: 1-64 letters,
/// digits, '-' or '_' (no separators, no wildcards).
bool is_valid_name(std::string_view text);

namespace detail {

/// A number as a topology author wrote it, for error messages: 0.5 as "0.5", 101 as "101"
/// (json's dump would say "101.0"). In topology_sensors.cpp.
std::string shown_number(double v);

/// Appends every problem with topic keys, groups, patterns, matches and each button's targets
/// for the topology's routing mode. `by_id` maps every device id to its device.
void validate_routes(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                     std::vector<std::string>& errors);

/// Appends every problem with sites (ids, parents, cycles, depth) and devices' sites.
void validate_sites(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                    std::vector<std::string>& errors);

/// "" when `spec`'s trigger is usable (openwhisk backend, an OpenWhisk entity name), else why
/// not (topology_triggers.cpp).
std::string trigger_problem(const ComputeSpec& spec);

/// Appends topology-wide problems of trigger computes: a routing the action cannot publish to
/// over MQTT (headers), one trigger used with two actions (its rules would run both per press).
void validate_triggers(const Topology& topo, std::vector<std::string>& errors);

/// "computes": {"edge": {"backend": "builtin"}, ...}: the named computes, sorted by name; every
/// problem appended to `errors` with its JSON path.
std::vector<ComputeInstance> parse_computes(const nlohmann::json& spec,
                                            std::vector<std::string>& errors);

/// Resolves a "compute" object's `use` against `computes`: the spec's use (empty for
/// "default") and backend. `where` is the object's JSON path, e.g. "devices[3].compute".
void resolve_compute_use(ComputeSpec& spec, bool backend_given,
                         const std::vector<ComputeInstance>& computes, const std::string& where,
                         std::vector<std::string>& errors);

/// A generated series: `count` objects numbered from `start`.
struct SeriesRange {
  long count = 0;
  long start = 1;
};

/// The "count" (required, 1 to `max`; or `spec` itself when it is a whole number) and "start"
/// (0 to 1,000,000,000) of one object of a series list. `generated`: what earlier objects of the
/// list made, all together at most `max` `noun`s ("pairs", "sensors"); it grows by the count.
/// nullopt, with the problem appended under `where`, when the object makes nothing.
std::optional<SeriesRange> read_series_range(const nlohmann::json& spec, const std::string& where,
                                             long max, const char* noun, long& generated,
                                             std::vector<std::string>& errors);

/// A sensor device's "sensor" object; every problem appended to `errors` under `where`
/// ("devices[3] 'thermo-1'"). The seed defaults to sensor_seed_of(id). Trace files are not read.
SensorSpec parse_sensor(const nlohmann::json& spec, const std::string& where, const std::string& id,
                        std::vector<std::string>& errors);

/// "sensors": {"count": 5000, "prefix": "sensor-", "start": 1, "site": ..., "protocol": ...,
/// "sensor": {...}} or a list of them: appends the sensors it generates to `topo.devices`, every
/// problem to `errors` with its JSON path. `native` is the broker's own protocol.
void generate_sensors(const nlohmann::json& spec, Protocol native, Topology& topo,
                      std::vector<std::string>& errors);

/// A composite device's parameters: the optional object named as its kind, e.g.
/// "thermostat": {"ambient": 18, "heat_rate": 0.5}; `spec` null when there is none (every
/// default). Problems appended to `errors` under `where` ("devices[3] 'thermo-1'").
CompositeSpec parse_composite(CompositeKind kind, const nlohmann::json* spec,
                              const std::string& where, const std::string& id,
                              std::vector<std::string>& errors);

/// Reads the CSV of every trace sensor (relative paths from `base_dir`; "": the working
/// directory), appending each missing or bad file (with its line) to `errors`.
void load_sensor_traces(Topology& topo, const std::string& base_dir,
                        std::vector<std::string>& errors);

/// A press's routing fields ("targets", "patterns", "groups", "match") and "compute" of `item`
/// into `dev` (the compute defaults to the topology's); problems appended under `where`.
void parse_press_fields(const nlohmann::json& item, const std::string& where, const Topology& topo,
                        Device& dev, std::vector<std::string>& errors);

/// "rules": [...] into topo.rules (topology_rules.cpp); the shape only, references are checked by
/// validate_rules.
void parse_rules(const nlohmann::json& list, Topology& topo, std::vector<std::string>& errors);

/// Appends every problem of the rules: ids, watched sensors and readings, and their routes as a
/// button's (`where` names the rule).
void validate_rules(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                    std::vector<std::string>& errors);

/// Fills every rule's sources: the sensors measuring its reading (only on.device when given).
void resolve_rule_sources(Topology& topo);

/// Appends the problems of one button's (or rule's action's) routes, under `where`.
void validate_press_routes(const Topology& topo, const std::map<std::string, const Device*>& by_id,
                           const Device& button, const std::string& where,
                           std::vector<std::string>& errors);

/// Fills `button`'s routes (with their members) and targets (as resolve_routes does).
void resolve_button_routes(const Topology& topo, Device& button);

/// Fills every button's routes (with their members) and targets. Expects a valid topology
/// whose index is built; unknown references are skipped.
void resolve_routes(Topology& topo);

}  // namespace detail
}  // namespace snet
