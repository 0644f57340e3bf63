#include "restart_policy.hpp"

#include <stdexcept>

namespace snet::cli {

RestartMode parse_restart_mode(std::string_view text) {
  if (text == "on-failure") return RestartMode::on_failure;
  if (text == "always") return RestartMode::always;
  if (text == "no") return RestartMode::no;
  throw std::invalid_argument("restart policy is '" + std::string(text) +
                              "', expected one of: on-failure, always, no");
}

std::string_view to_string(RestartMode mode) {
  switch (mode) {
    case RestartMode::on_failure:
      return "on-failure";
    case RestartMode::always:
      return "always";
    case RestartMode::no:
      return "no";
  }
  return "?";
}

RestartPolicy::Decision RestartPolicy::on_exit(bool clean, std::chrono::milliseconds uptime) {
  const bool wanted = mode_ == RestartMode::always || (mode_ == RestartMode::on_failure && !clean);
  if (!wanted) return {};
  if (uptime >= backoff_.healthy) consecutive_ = 0;
  auto delay = backoff_.first;
  for (int i = 0; i < consecutive_ && delay < backoff_.max; ++i) delay *= 2;
  if (delay > backoff_.max) delay = backoff_.max;
  ++consecutive_;
  return {true, delay};
}

}  // namespace snet::cli
