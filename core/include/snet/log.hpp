// Leveled, thread-safe logging to stderr. One line per call: an ISO 8601 UTC timestamp (ms),
// the level, the component that logs and the message, so interleaved output of several
// services stays readable. Format text (the default) or json (one object per line: ts, level,
// service, msg) for log shippers. Both escape control characters (and text lines bytes that are
// not UTF-8), so a value read from the wire can neither start a forged line nor drive the
// terminal that shows the log.
// Thread safety: every function may be called from any thread.
#pragma once

#include <chrono>
#include <sstream>
#include <string>
#include <string_view>

namespace snet::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };
enum class Format { text, json };

/// Sets the minimum level printed; the default comes from SNET_LOG_LEVEL (debug|info|warn|error).
void set_level(Level level);
Level level();
/// Parses "debug"/"info"/"warn"/"error"; throws std::invalid_argument naming the bad value.
Level parse_level(std::string_view text);
/// The default comes from SNET_LOG_FORMAT (text|json).
void set_format(Format format);
Format format();
/// Parses "text"/"json"; throws std::invalid_argument naming the bad value.
Format parse_format(std::string_view text);
/// Names the process in every line ("relayer", "state", ...).
void set_component(std::string name);

/// One line as write() prints it, without the newline (for tests).
std::string format_line(Format format, Level level, std::string_view component,
                        std::string_view message, std::chrono::system_clock::time_point at);
/// "2026-12-02T20:25:23.123Z"
std::string iso8601_utc(std::chrono::system_clock::time_point at);
/// `text` with \n, \r, \t as those escapes; the other control characters (C0, DEL, C1, the
/// line and paragraph separators U+2028/U+2029) and bytes that are not UTF-8 as \xNN per byte.
std::string escape_control(std::string_view text);

void write(Level level, const std::string& line);

template <typename... Parts>
void at(Level lvl, const Parts&... parts) {
  if (lvl < level()) return;
  std::ostringstream out;
  (out << ... << parts);
  write(lvl, out.str());
}
template <typename... Parts>
void debug(const Parts&... parts) {
  at(Level::debug, parts...);
}
template <typename... Parts>
void info(const Parts&... parts) {
  at(Level::info, parts...);
}
template <typename... Parts>
void warn(const Parts&... parts) {
  at(Level::warn, parts...);
}
template <typename... Parts>
void error(const Parts&... parts) {
  at(Level::error, parts...);
}

}  // namespace snet::log
