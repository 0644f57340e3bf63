// Leveled, thread-safe logging to stderr. One line per call, prefixed with time, level and the
// component that logs, so interleaved output of several services stays readable.
// Thread safety: every function may be called from any thread.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace snet::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

/// Sets the minimum level printed; the default comes from SNET_LOG_LEVEL (debug|info|warn|error).
void set_level(Level level);
Level level();
/// Parses "debug"/"info"/"warn"/"error"; throws std::invalid_argument naming the bad value.
Level parse_level(std::string_view text);
/// Names the process in every line ("relayer", "state", ...).
void set_component(std::string name);

void write(Level level, const std::string& line);

template <typename... Parts>
void at(Level lvl, const Parts&... parts) {
  if (lvl < level()) return;
  std::ostringstream out;
  (out << ... << parts);
  write(lvl, out.str());
}
template <typename... Parts>
void debug(const Parts&... parts) { at(Level::debug, parts...); }
template <typename... Parts>
void info(const Parts&... parts) { at(Level::info, parts...); }
template <typename... Parts>
void warn(const Parts&... parts) { at(Level::warn, parts...); }
template <typename... Parts>
void error(const Parts&... parts) { at(Level::error, parts...); }

}  // namespace snet::log
