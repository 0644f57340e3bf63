// snet-whisk's placement policy: which worker an activation goes to, how many workers to start
// for what is queued and which idle ones make room for them, how many to keep prewarmed. Pure
// functions of what the pool looks like; the invoker's pool (invoker.cpp) does what they say.
//
// The functions take the pool as a map from worker id to anything, with a projection that turns
// an entry into a WorkerView (the pool's slots hold processes and timers; the tests hold views).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace snet::whisk::placement {

enum class WorkerState {
  starting,      // the Node.js process is starting
  fresh,         // started, bound to no action yet (prewarmed)
  initializing,  // given an action's code; its activations wait for the init to end
  ready,         // serves its action
};

/// What placement sees of one worker.
struct WorkerView {
  WorkerState state = WorkerState::starting;
  std::uint64_t revision = 0;  // of the action code it serves (initializing, ready)
  std::size_t assigned = 0;    // activations running on it or waiting for its init
  bool retiring = false;       // takes no new activations; exits once idle
  std::chrono::steady_clock::time_point last_used{};
};

/// What an activation asks of a worker: its action's code, and how many activations of it one
/// worker runs at once (the action's limits.concurrency).
struct Demand {
  std::uint64_t revision = 0;
  long concurrency = 1;
};

/// Where an activation goes; `initialize`: the worker is a fresh one, to be given the code first.
struct Choice {
  std::uint64_t worker = 0;
  bool initialize = false;
  bool operator==(const Choice&) const = default;
};

/// Workers to start for what is queued, and the idle workers to retire to make room: the last
/// `retire.size()` starts each follow the retirement of one of them, in order.
struct Growth {
  std::size_t start = 0;
  std::vector<std::uint64_t> retire;
};

/// A warm worker of the very same code with room to spare; else a prewarmed one; else none
/// (the activation waits in the queue).
template <typename Workers, typename View = std::identity>
std::optional<Choice> choose_worker(const Workers& workers, const Demand& need, View view = {}) {
  for (const auto& [id, entry] : workers) {
    const WorkerView w = view(entry);
    if ((w.state == WorkerState::ready || w.state == WorkerState::initializing) && !w.retiring &&
        w.revision == need.revision && static_cast<long>(w.assigned) < need.concurrency) {
      return Choice{id, false};
    }
  }
  for (const auto& [id, entry] : workers) {
    const WorkerView w = view(entry);
    if (w.state == WorkerState::fresh && !w.retiring) return Choice{id, true};
  }
  return std::nullopt;
}

/// Workers the queue needs: per action code, its queued activations over its concurrency,
/// rounded up. `demand` turns a queued entry into its Demand.
template <typename Queue, typename DemandOf>
std::size_t workers_needed(const Queue& queue, DemandOf demand) {
  std::map<std::uint64_t, std::pair<long, long>> per_revision;  // revision -> (count, limit)
  for (const auto& entry : queue) {
    const Demand d = demand(entry);
    auto& [count, limit] = per_revision[d.revision];
    ++count;
    limit = std::max(1L, d.concurrency);
  }
  std::size_t needed = 0;
  for (const auto& [revision, entry] : per_revision) {
    needed += static_cast<std::size_t>((entry.first + entry.second - 1) / entry.second);
  }
  return needed;
}

/// Starts for `needed` workers (those already starting count), within `max_workers` live ones
/// (retiring ones do not count); when the pool is full, idle ready workers make room, least
/// recently used first. Busy workers are never retired for it.
template <typename Workers, typename View = std::identity>
Growth plan_growth(const Workers& workers, std::size_t needed, std::size_t max_workers,
                   View view = {}) {
  std::size_t starting = 0, live = 0;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> idle;
  for (const auto& [id, entry] : workers) {
    const WorkerView w = view(entry);
    starting += w.state == WorkerState::starting ? 1 : 0;
    live += w.retiring ? 0 : 1;
    if (w.state == WorkerState::ready && w.assigned == 0 && !w.retiring) {
      idle.emplace_back(w.last_used, id);
    }
  }
  Growth growth;
  if (needed <= starting) return growth;
  const std::size_t wanted = needed - starting;
  const std::size_t room = live < max_workers ? max_workers - live : 0;
  growth.start = std::min(wanted, room);
  std::stable_sort(idle.begin(), idle.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; growth.start < wanted && i < idle.size(); ++i) {
    growth.retire.push_back(idle[i].second);
    ++growth.start;
  }
  return growth;
}

/// Workers to start so that `prewarm` are starting or fresh, within `max_workers` live ones.
template <typename Workers, typename View = std::identity>
std::size_t prewarm_shortfall(const Workers& workers, std::size_t prewarm, std::size_t max_workers,
                              View view = {}) {
  std::size_t spare = 0, live = 0;
  for (const auto& [id, entry] : workers) {
    const WorkerView w = view(entry);
    spare += (w.state == WorkerState::starting || w.state == WorkerState::fresh) ? 1 : 0;
    live += w.retiring ? 0 : 1;
  }
  const std::size_t short_of_prewarm = spare < prewarm ? prewarm - spare : 0;
  const std::size_t room = live < max_workers ? max_workers - live : 0;
  return std::min(short_of_prewarm, room);
}

}  // namespace snet::whisk::placement
