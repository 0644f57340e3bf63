#include "snet/log_flags.hpp"

#include <stdexcept>

#include "snet/log.hpp"

namespace snet::log {

void add_flags(Flags& flags, const std::string& default_level) {
  flags.add("log-level", "SNET_LOG_LEVEL", default_level, "debug, info, warn or error")
      .add("log-format", "SNET_LOG_FORMAT", "text",
           "text (one line: time, level, [service], message) or json (one object per line: "
           "ts, level, service, msg)");
}

void apply_flags(const Flags& flags) {
  try {
    set_level(parse_level(flags.str("log-level")));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--log-level: ") + e.what());
  }
  try {
    set_format(parse_format(flags.str("log-format")));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--log-format: ") + e.what());
  }
}

}  // namespace snet::log
