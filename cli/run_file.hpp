// <data-dir>/run.json: how the CLI's other commands find a running `snet up`. `snet up` writes it
// atomically once everything is up and removes it on a clean stop; `snet press`, `snet health`,
// `snet ctl`, `snet link` and `snet run --attach` read it, so they need no ports or URLs unless
// they are told otherwise. A file whose pid is gone (a `snet up` killed with -9) is stale and
// reported as such, never used.
// No secrets: a broker URL the user gave loses its password (`snet up`'s own broker uses the
// public development credentials of broker-config/, which stay).
// Thread safety: reentrant; reads and writes only the file system.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "snet/flags.hpp"

namespace snet::cli {

struct RunInfo {
  std::string topology_name, topology_path, data_dir;
  std::string broker_kind;        // "mosquitto", "rabbitmq", or "external" (--broker-url)
  std::string broker_url;         // what the services use (mqtt:// or amqp://)
  std::string mqtt_url;           // the MQTT listener devices and `snet press` use
  std::string http_url;           // the state service: dashboard and REST API
  std::string control_url;        // the supervisor's control endpoint
  std::string openwhisk_apihost;  // "" without an OpenWhisk compute
  long pid = 0;
  std::string version;
  /// The password file (mode 0600) of broker_url's user ("": none; the URLs carry no password).
  std::string broker_password_file = {};
};

nlohmann::json to_json(const RunInfo& run);
/// Missing fields stay empty; throws std::invalid_argument when `doc` is not an object.
RunInfo run_info_from_json(const nlohmann::json& doc);

/// <data_dir>/run.json.
std::string run_file_path(const std::string& data_dir);
/// Writes it atomically (a temporary file renamed over it), mode 0644. Throws
/// std::runtime_error naming the path when it cannot.
void write_run_file(const std::string& data_dir, const RunInfo& run);
/// Removes it (no error when absent).
void remove_run_file(const std::string& data_dir);

/// `url` without the password of its user info ("amqp://u:p@h" -> "amqp://u@h").
std::string without_password(const std::string& url);

/// The broker URL of `run` (its MQTT listener when `mqtt`) with the password of its
/// broker_password_file in it, for a bus of this process only (never shown unredacted). Throws
/// std::invalid_argument when that file cannot be used.
std::string broker_login_url(const RunInfo& run, bool mqtt);

/// What a command finds in a data dir.
struct RunLookup {
  enum class State { running, absent, stale, unreadable } state = State::absent;
  RunInfo info;         // with state == running (and stale: what it said)
  std::string problem;  // with any other state: why, in words, naming the path
};
/// Reads <data_dir>/run.json and checks that its pid is a live process.
RunLookup find_running(const std::string& data_dir);

/// The error a command prints when it needs a running `snet up` and `lookup` found none:
/// "<program>: no `snet up` running with data dir D (...); start one with `snet up` or pass
/// <explicit_flags>".
std::string no_running_message(const std::string& program, const std::string& data_dir,
                               const RunLookup& lookup, const std::string& explicit_flags);

/// Where a command that talks to the broker goes. `flags` declares "broker-url", "topology" (both
/// with an empty default) and "data-dir". Given flags (or their variables) win; what is missing
/// comes from the running `snet up` of --data-dir: its MQTT listener when `mqtt` (presses, as
/// devices publish them), else the services' broker. A broker given without a topology and no
/// `snet up` running: topology/single.json. Throws std::runtime_error with
/// no_running_message() when a broker is needed and nothing runs.
struct BrokerTarget {
  std::string broker_url, topology;  // topology: a file or name for resolve_topology_path
  std::optional<RunInfo> run;        // the running `snet up`, when one was found
};
BrokerTarget broker_target(const Flags& flags, const std::string& program, bool mqtt,
                           const std::string& explicit_flags = "--broker-url URL");

}  // namespace snet::cli
