#include "snet/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace snet::log {
namespace {

template <typename T, typename Parse>
T from_env(const char* name, T fallback, Parse parse) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  try {
    return parse(text);
  } catch (const std::invalid_argument&) {
    return fallback;
  }
}

// Process-wide logging configuration: the one piece of shared state, set at start-up.
struct Config {
  std::atomic<Level> level{from_env("SNET_LOG_LEVEL", Level::info, parse_level)};
  std::atomic<Format> format{from_env("SNET_LOG_FORMAT", Format::text, parse_format)};
  std::mutex mutex;  // guards component and serializes writes
  std::string component = "snet";
};

Config& config() {
  static Config instance;
  return instance;
}

const char* label(Level lvl) {
  switch (lvl) {
    case Level::debug:
      return "DEBUG";
    case Level::info:
      return "INFO ";
    case Level::warn:
      return "WARN ";
    case Level::error:
      return "ERROR";
  }
  return "?";
}

const char* name(Level lvl) {
  switch (lvl) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "?";
}

}  // namespace

void set_level(Level lvl) {
  config().level = lvl;
}
Level level() {
  return config().level.load(std::memory_order_relaxed);
}

Level parse_level(std::string_view text) {
  if (text == "debug") return Level::debug;
  if (text == "info") return Level::info;
  if (text == "warn" || text == "warning") return Level::warn;
  if (text == "error") return Level::error;
  throw std::invalid_argument("unknown log level '" + std::string(text) +
                              "' (expected debug, info, warn or error)");
}

void set_format(Format f) {
  config().format = f;
}
Format format() {
  return config().format.load(std::memory_order_relaxed);
}

Format parse_format(std::string_view text) {
  if (text == "text") return Format::text;
  if (text == "json") return Format::json;
  throw std::invalid_argument("unknown log format '" + std::string(text) +
                              "' (expected text or json)");
}

void set_component(std::string component) {
  std::lock_guard lock(config().mutex);
  config().component = std::move(component);
}

std::string iso8601_utc(std::chrono::system_clock::time_point at) {
  const auto millis = std::chrono::floor<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[48];
  const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis % 1000));
  return stamp;
}

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    }
  }
  return out;
}

std::string format_line(Format f, Level lvl, std::string_view component, std::string_view message,
                        std::chrono::system_clock::time_point at) {
  if (f == Format::json) {
    // ordered_json: the fields in the order a reader scans them (ts first).
    const nlohmann::ordered_json line = {
        {"ts", iso8601_utc(at)}, {"level", name(lvl)}, {"service", component}, {"msg", message}};
    // Invalid UTF-8 from the wire becomes U+FFFD rather than an exception in the logger.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string out = iso8601_utc(at);
  out += ' ';
  out += label(lvl);
  out += " [";
  out += escape_control(component);
  out += "] ";
  out += escape_control(message);
  return out;
}

void write(Level lvl, const std::string& line) {
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(config().mutex);
  const std::string text = format_line(format(), lvl, config().component, line, now) + '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace snet::log
