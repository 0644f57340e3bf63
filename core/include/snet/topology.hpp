// The topology model: which emulated devices exist, how buttons are wired to actuators, which
// broker carries them and which compute decides what a press does. Loaded from JSON
// (topology/*.json, format in topology/README.md) and validated as a whole: every problem is
// reported with the device and field it concerns, not just the first one.
// Thread safety: a loaded Topology is not changed any more; its const members may be used from
// any thread.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "snet/composite_model.hpp"
#include "snet/link.hpp"
#include "snet/sensor_model.hpp"

namespace snet {

enum class DeviceKind { button, actuator, sensor };
enum class BrokerKind { mosquitto, rabbitmq };
enum class Routing { topic, fanout, headers };
enum class Protocol { mqtt, amqp };

std::string_view to_string(DeviceKind);
std::string_view to_string(BrokerKind);
std::string_view to_string(Routing);
std::string_view to_string(Protocol);

/// Which compute runs a press: "builtin" (in the relayer) or "openwhisk" (REST), and the action.
/// `use` names one of the topology's computes (its backend is then that compute's); empty: the
/// default compute, served by the relayers every topology has.
/// `trigger` (openwhisk only): fire this OpenWhisk trigger per press instead of invoking the
/// action; a rule (trigger -> action, made by `snet up`) runs the action, which publishes the
/// commands itself (the MQTT feed pattern, docs/actions.md).
struct ComputeSpec {
  std::string use;
  std::string backend = "builtin";
  std::string action = "flip_switch";
  std::string trigger;  // empty: invoke the action
  /// `use`, or "default" for the default compute.
  std::string_view name() const;
};

/// A named compute instance ("computes": {"cloud": {...}}): a backend with its own relayers,
/// which take the presses of the buttons that use it and no others.
struct ComputeInstance {
  std::string name;
  std::string backend = "builtin";
  // openwhisk only. No apihost: the bundled snet-whisk.
  std::string apihost;
  std::string ns;  // "namespace"; empty: "_"
  bool insecure = false;
  /// The environment variable holding its key (uuid:key): secrets never sit in the topology.
  /// Empty: the key `snet up` uses for its own OpenWhisk.
  std::string auth_env;
  int relayers = 1;
};

/// Headers routing: which actuators a command reaches, by their attrs. `all`: every pair must
/// match (x-match all); otherwise at least one (x-match any). RabbitMQ's headers exchange does
/// the matching on the wire; matches() is for resolving targets (display, validation, state).
struct HeaderMatch {
  bool all = true;
  std::map<std::string, std::string> attrs;
  /// "all(floor=1,type=lamp)" / "any(zone=north)"
  std::string text() const;
  bool matches(const std::map<std::string, std::string>& actuator_attrs) const;
};

enum class RouteKind { actuator, pattern, group, match };
std::string_view to_string(RouteKind);

/// One destination of a button: each press publishes ONE command per route and the broker
/// delivers it to every member (see topology/README.md, "Routing").
struct Route {
  RouteKind kind = RouteKind::actuator;
  /// Unique within the button; the compute sees it as the target's id: the actuator id,
  /// "pattern:1/+/lamp", "group:hall" or "match:all(floor=1,type=lamp)".
  std::string id;
  std::string name;                  // actuator id, pattern as written, group name
  std::vector<std::string> levels;   // pattern: per topic-key level a value or "+" ('#' expanded)
  HeaderMatch match;                 // match only
  std::vector<std::string> members;  // the actuators it reaches, in topology order
};

struct Device {
  std::string id;
  /// The role: for an external device the one it `plays`.
  DeviceKind kind = DeviceKind::actuator;
  /// "kind": "external": another program plays this device (docs/external-devices.md). Routing,
  /// ACLs, the state service and the dashboard treat it as its `kind`; no agent emulates it.
  bool external = false;
  std::vector<std::string> command;  // external: the argv `snet up` runs; empty: run elsewhere
  std::string image;                 // external: the container image of `snet compose`
  Protocol protocol = Protocol::mqtt;
  std::map<std::string, std::string> attrs;  // free-form labels, e.g. zone=north, type=lamp
  // Buttons only. What a press commands, as written; one field per routing mode:
  std::vector<std::string> exact_targets;  // topic: "targets", actuator ids
  std::vector<std::string> patterns;       // topic: "patterns" over the topology's topic_key
  std::vector<std::string> groups;         // fanout: "groups", names of the topology's groups
  std::vector<HeaderMatch> matches;        // headers: "match"
  ComputeSpec compute;                     // the topology's compute unless overridden per button
  // Resolved by the loader (buttons): the routes, and every actuator they reach (no repeats).
  std::vector<Route> routes;
  std::vector<std::string> targets;
  // Sensors only: what it measures, how often and from which value model.
  std::optional<SensorSpec> sensor;
  // Composite devices ("kind": "thermostat" | "smart_plug" | "motion_light"): an actuator (its
  // switchable capability is what commands switch, so routing treats it as any actuator) that
  // also publishes readings of its measured capability.
  std::optional<CompositeSpec> composite;
  // The emulated network: the site the device sits in (empty: on the core) and its last hop.
  std::string site;
  std::optional<LinkSpec> link;
};

/// A rule (top-level "rules"): a reading that meets its condition runs compute exactly as a press
/// does, through the same relayer, backends and routing (topology/README.md, "Rules").
/// Edge-triggered: it fires on the first reading that meets the condition after one that did not
/// (or the first one seen), and re-arms when a reading leaves it.
struct Rule {
  std::string id;  // a name like a device id, unique among devices and rules
  /// The sensor it watches; empty: every sensor measuring `reading`.
  std::string device;
  std::string reading;  // the capability, e.g. "temperature"
  bool above = true;    // true: fires when value > threshold; false: value < threshold
  double threshold = 0;
  /// What a firing does, held as a button whose id is the rule's: its compute, routing fields
  /// ("targets", "patterns", "groups", "match"), and, resolved by the loader, routes and targets.
  Device action;
  /// Resolved by the loader: the sensors whose readings it evaluates, in topology order.
  std::vector<std::string> sources;
};

/// A named group of devices (a building, a floor, a field gateway) joined to its parent (another
/// site, or the core: broker and services) by an uplink.
struct Site {
  std::string id;
  std::string parent;  // empty: the core
  std::string description;
  LinkSpec link;  // the uplink
  /// "broker": where its devices connect. core (default): the core broker, as every device.
  /// local: a Mosquitto of the site's own, bridged to the core broker (Mosquitto has no
  /// clustering; topology/README.md, "Site brokers"). Devices of child sites without a local
  /// broker of their own use it too.
  enum class Broker { core, local };
  Broker broker = Broker::core;
};

/// Thrown by load/parse with every validation error, one per line in what().
/// Past kMaxErrors problems (a typo in a "pairs" site repeats per generated device) the rest
/// are summed up in one last line, "... and N more problems".
struct TopologyError : std::runtime_error {
  explicit TopologyError(std::vector<std::string> errors);
  std::vector<std::string> errors;
  static constexpr std::size_t kMaxErrors = 100;
};

class Topology {
 public:
  std::string name;
  std::string description;
  BrokerKind broker = BrokerKind::mosquitto;
  Routing routing = Routing::topic;
  ComputeSpec compute;
  /// Named computes, sorted by name. Buttons whose compute has no `use` run on the default
  /// compute (named "default" here: the name is reserved).
  std::vector<ComputeInstance> computes;
  static constexpr std::string_view kDefaultCompute = "default";
  /// Topic routing: the attrs whose values, in this order, make each actuator's hierarchical key
  /// (e.g. floor/type -> "1/lamp"), which button patterns select from.
  std::vector<std::string> topic_key;
  /// Fanout routing: group name -> member actuators.
  std::map<std::string, std::vector<std::string>> groups;
  /// How many relayers `snet up` runs, sharing the press load (1..kMaxRelayers; `--relayers`
  /// overrides it).
  int relayers = 1;
  static constexpr int kMaxRelayers = 16;
  std::vector<Device> devices;  // in file order; generated pairs follow explicit devices
  std::vector<Site> sites;      // in file order
  std::vector<Rule> rules;      // in file order
  static constexpr int kMaxSiteDepth = 8;
  /// Button/actuator pairs "pairs" may generate, all its entries together.
  static constexpr long kMaxPairs = 100000;

  /// Nullptr when there is no such device.
  const Device* find(std::string_view id) const;
  std::vector<const Device*> buttons() const;
  std::vector<const Device*> actuators() const;
  std::vector<const Device*> sensors() const;
  /// The actuators a press of `button` commands, in every routing mode (empty for unknown
  /// buttons).
  const std::vector<std::string>& targets_of(std::string_view button) const;
  /// An actuator's topic key values (one per topic_key attr; empty without a topic_key).
  std::vector<std::string> key_of(const Device& actuator) const;
  /// Buttons whose presses reach `actuator`.
  std::vector<std::string> sources_of(std::string_view actuator) const;

  /// Nullptr when there is no such named compute.
  const ComputeInstance* find_compute(std::string_view name) const;
  /// The buttons that use compute `name` ("default": those without `use`), in topology order.
  std::vector<const Device*> buttons_using(std::string_view name) const;

  /// Nullptr when there is no such rule.
  const Rule* find_rule(std::string_view id) const;
  /// The rules whose compute is `name` ("default": those without `use`), in topology order.
  std::vector<const Rule*> rules_using(std::string_view name) const;

  /// Nullptr when there is no such site.
  const Site* find_site(std::string_view id) const;
  /// Whether the network is emulated: the topology has sites or a device with a "link". Then
  /// every device and site is a link (ideal unless the file says otherwise) that can be changed
  /// at run time; otherwise devices talk to the core directly.
  bool emulates_network() const;
  /// The links a device's traffic crosses, from the device outwards: the device's own id, its
  /// site, that site's parent... (empty when the network is not emulated).
  std::vector<std::string> link_path(const Device& device) const;
  /// Every link and its properties as written in the file: each site's uplink, then each
  /// device's last hop (empty when the network is not emulated).
  std::map<std::string, LinkSpec> links() const;
  /// The site whose local broker `device` connects to: its own site or the nearest parent with
  /// "broker": "local"; "" when it connects to the core broker.
  std::string broker_site(const Device& device) const;
  /// The sites with "broker": "local", in file order.
  std::vector<const Site*> local_broker_sites() const;
  /// Devices of `site` itself (not of its child sites), in topology order.
  std::vector<const Device*> devices_in(std::string_view site) const;

  /// Builds the index used by find() and resolves every button's (and rule's) routes and
  /// targets, and each rule's sources (the sensors it watches); called by the loaders after
  /// validation.
  void reindex();

 private:
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, std::size_t, std::less<>> site_index_;
};

/// Parses and validates; throws TopologyError listing every problem. Trace sensors' files are
/// read relative to `base_dir` ("": the working directory).
Topology parse_topology(const nlohmann::json& doc, const std::string& base_dir = "");
Topology parse_topology_text(std::string_view text, const std::string& base_dir = "");
/// Reads the file (and trace sensors' CSV files, relative to its folder); errors name the file (and
/// the JSON parse position when it is not JSON).
Topology load_topology(const std::string& path);
/// Every validation error of a parsed model (empty when valid).
std::vector<std::string> validate(const Topology& topology);

/// Whether a pattern's levels (values or "+", as in Route::levels) select `key`.
bool pattern_selects(const std::vector<std::string>& levels, const std::vector<std::string>& key);
/// Splits a pattern ("1/+/lamp", "1/#") into one level per topic-key level ('#' expanded to
/// "+"). When it does not fit a key of `key_size` levels: an empty result, and why in `*error`
/// (when `error` is not null).
std::vector<std::string> pattern_levels(std::string_view pattern, std::size_t key_size,
                                        std::string* error);

}  // namespace snet
