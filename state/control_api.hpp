// The control API of the state service (docs/api.md, "Control"): live faults for experiments.
//   GET  /api/services                 the supervisor's view of the services (`snet up`)
//   POST /api/services/{name}/{verb}   stop|start|restart|kill|pause|resume, via the supervisor
//   POST /api/devices/{id}/{verb}      offline|online|crash|freeze|reconnect, a DeviceControl
//   POST /api/faults/storm             one DeviceControl "reconnect" for a group of devices
//   GET  /api/links, PUT /api/links/{id}  the emulated network's links (link_api.hpp)
// Every action is recorded in the history as a `fault` event before it is carried out, pushed
// on the live feed and counted (snet_state_faults_total{action}); bad input is answered with
// an error naming what is wrong and counted (snet_state_control_rejected_total{reason}).
// Thread safety: the routes' handlers may run concurrently; the context must outlive them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "link_table.hpp"
#include "live_feed.hpp"
#include "snet/bus.hpp"
#include "snet/http_server.hpp"
#include "snet/topology.hpp"
#include "state_metrics.hpp"
#include "store.hpp"
#include "supervisor_client.hpp"

namespace snet::state {

struct ControlContext {
  const Topology& topology;
  Store& store;
  LiveFeed& feed;
  StateMetrics& metrics;
  Bus& bus;  // publishes DeviceControl messages
  SupervisorClient& supervisor;
  LinkTable* links = nullptr;  // the link routes; none when null
};

/// Adds the routes above. Register it after POST /api/devices/{id}/press (the first match wins).
void add_control_routes(http::Router& router, const ControlContext& context);

inline constexpr std::string_view kServiceVerbs[] = {"stop", "start", "restart",
                                                     "kill", "pause", "resume"};
inline constexpr std::size_t kMaxControlBody = 16 * 1024;
inline constexpr std::int64_t kMaxFaultDurationMs = 86'400'000;

/// Records a control action in the history (a `fault` event) and on the live feed, then counts
/// it in snet_state_faults_total{action}. A store failure is logged, not fatal.
EventRecord record_fault(const ControlContext& ctx, const std::string& target,
                         const std::string& target_kind, const std::string& action,
                         const std::string& detail);
/// A refused request: counted in snet_state_control_rejected_total{reason}, answered with
/// {"error": message}.
http::Response refuse(const ControlContext& ctx, int status, const std::string& reason,
                      const std::string& message);

/// The refusals shared by control requests whose input is a JSON body: any query parameter
/// (400 naming `route`, which takes none) and a body over kMaxControlBody (413). nullopt when
/// neither applies.
std::optional<http::Response> refuse_query_or_oversized(const ControlContext& ctx,
                                                        const http::Request& req,
                                                        const std::string& route);

/// Pure request policies, apart from I/O (unit-tested).
struct DeviceSelection {
  std::vector<std::string> devices;  // {"*"}: every device
  std::string label;                 // for the history: "*", "kind:actuator", "3 devices"
};
/// The body of POST /api/faults/storm: {"devices": [ids]} | {"devices": "*"} |
/// {"kind": "actuator"|"button"}; empty: every device. Throws std::invalid_argument naming
/// what is wrong (unknown ids are named too).
DeviceSelection parse_storm_selection(const Topology& topology, std::string_view body);
/// A duration in milliseconds from text ("2000"); nullopt when not an integer in range.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace snet::state
