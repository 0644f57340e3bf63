// How many agents `snet up` runs: one process holds a socket per device it hosts (four through
// the process engine's relay), and no more descriptors than its open-file limit, so past a
// threshold the devices are split into shards, one agent each (`snet-agent --shard i/N`).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace snet::cli {

inline constexpr int kMaxAgents = 64;

/// Devices one agent may host under `open_file_limit` descriptors when each device costs
/// `per_device` of them: the limit less a headroom of an eighth (at least 256) for the agent's
/// own files (its status connection, logs, epoll, the relay's listeners' spares). At least 1.
std::size_t devices_per_agent(long open_file_limit, std::size_t per_device);

/// How many agents host `devices` devices. `requested` is "auto" (or ""): as few as hold them
/// under the limit (devices_per_agent), at most kMaxAgents; or a whole number 1..kMaxAgents
/// (snet up --agents, SNET_AGENTS: e.g. a test forcing two). Never more agents than devices
/// (but at least one). Throws snet::UsageError naming a bad `requested`.
int agent_count(const std::string& requested, std::size_t devices, long open_file_limit,
                std::size_t per_device);

/// Devices each of `agents` agents connects at once (snet-agent --connect-batch) when they start
/// together against one broker: together no more than one agent's default (64), under
/// Mosquitto's listen backlog of 100; past it the kernel drops handshakes and the devices retry
/// only after a second. At least 8.
std::size_t connect_batch_per_agent(int agents);

/// The supervised names: {"agent"} for one, else agent-0 .. agent-<count-1>.
std::vector<std::string> agent_names(int count);

}  // namespace snet::cli
