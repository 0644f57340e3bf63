// Persistent MQTT sessions a `snet up` left behind (Mosquitto only). Mosquitto hands every member
// of a shared subscription its turn of the messages, members whose persistent session is offline
// included: it queues their share. A relayer of an earlier run that is no longer planned (fewer
// --relayers, renamed computes) would take a share of every press forever and handle none. So
// `snet up` records the client ids of the persistent-session services it starts, and at the next
// start, once the planned relayers are subscribed, hands what each stale session holds to them
// (republished to its own topic at QoS 1; press ids make a press handled twice harmless) and
// ends that session for good. RabbitMQ has one queue per share group: not affected.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace snet {
class Metrics;
}

namespace snet::cli {

/// A persistent session `snet up` started: its client id and the kind of service (relayer,
/// state). Only a relayer's queued messages (presses) are handed over; others are just ended.
struct ServiceSession {
  std::string client_id;
  std::string kind;
};

/// <data-dir>/mosquitto/service-sessions.json
std::string service_sessions_path(const std::string& data_dir);
/// The sessions recorded at `path`; none when it is missing. Throws std::runtime_error naming
/// the file when it cannot be read or parsed.
std::vector<ServiceSession> read_service_sessions(const std::string& path);
/// Writes them atomically (a reader sees the old record or the whole new one). Throws
/// std::runtime_error naming the file.
void write_service_sessions(const std::string& path, const std::vector<ServiceSession>& sessions);

/// Connects to `broker_url` (mqtt://) as `client_id` with its persistent session, republishes
/// every message it holds to that message's own topic at QoS 1 (when `republish`), knows the
/// queue is empty by a marker it publishes to itself, then ends the session (clean session
/// connect). Returns how many messages it republished (or, without `republish`, dropped). Throws
/// std::runtime_error when it cannot finish within `timeout`.
int hand_over_session(const std::string& broker_url, const std::string& client_id, bool republish,
                      std::chrono::milliseconds timeout);

/// For each session recorded in `data_dir` that is not in `current`: hands it over (logging
/// "handed N queued presses of stale relayer session X to the running relayers", counted in
/// snet_up_stale_presses_handed_total), then records `current` (plus any session that could not
/// be handed over, to try again next time). Never throws: a failure is logged as a warning.
void hand_over_stale_sessions(const std::string& broker_url, const std::string& data_dir,
                              const std::vector<ServiceSession>& current, Metrics& metrics,
                              std::chrono::milliseconds timeout_each);

}  // namespace snet::cli
