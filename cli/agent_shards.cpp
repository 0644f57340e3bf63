#include "agent_shards.hpp"

#include <algorithm>

#include "snet/flags.hpp"

namespace snet::cli {

std::size_t devices_per_agent(long open_file_limit, std::size_t per_device) {
  const long headroom = std::max(256L, open_file_limit / 8);
  const long usable = open_file_limit - headroom;
  if (usable <= 0 || per_device == 0) return 1;
  return std::max<std::size_t>(1, static_cast<std::size_t>(usable) / per_device);
}

int agent_count(const std::string& requested, std::size_t devices, long open_file_limit,
                std::size_t per_device) {
  const int most = static_cast<int>(std::clamp<std::size_t>(devices, 1, kMaxAgents));
  if (requested.empty() || requested == "auto") {
    const std::size_t each = devices_per_agent(open_file_limit, per_device);
    const std::size_t needed = (devices + each - 1) / each;
    return std::clamp(static_cast<int>(std::min<std::size_t>(needed, kMaxAgents)), 1, most);
  }
  const bool digits =
      requested.size() <= 3 && requested.find_first_not_of("0123456789") == std::string::npos;
  const int count = digits ? std::stoi(requested) : 0;
  if (count < 1 || count > kMaxAgents) {
    throw UsageError("--agents: '" + requested + "' is not auto or a whole number from 1 to " +
                     std::to_string(kMaxAgents));
  }
  return std::min(count, most);
}

std::size_t connect_batch_per_agent(int agents) {
  constexpr std::size_t kAllAgents = 64;  // snet-agent's default batch
  return std::max<std::size_t>(8, kAllAgents / static_cast<std::size_t>(std::max(agents, 1)));
}

std::vector<std::string> agent_names(int count) {
  if (count <= 1) return {"agent"};
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back("agent-" + std::to_string(i));
  return names;
}

}  // namespace snet::cli
