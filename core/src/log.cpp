#include "snet/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace snet::log {
namespace {

Level level_from_env() {
  const char* text = std::getenv("SNET_LOG_LEVEL");
  if (text == nullptr || *text == '\0') return Level::info;
  try {
    return parse_level(text);
  } catch (const std::invalid_argument&) {
    return Level::info;
  }
}

// Process-wide logging configuration: the one piece of shared state, set at start-up.
struct Config {
  std::atomic<Level> level{level_from_env()};
  std::mutex mutex;  // guards component and serializes writes
  std::string component = "snet";
};

Config& config() {
  static Config instance;
  return instance;
}

const char* label(Level lvl) {
  switch (lvl) {
    case Level::debug: return "DEBUG";
    case Level::info: return "INFO ";
    case Level::warn: return "WARN ";
    case Level::error: return "ERROR";
  }
  return "?";
}

}  // namespace

void set_level(Level lvl) { config().level = lvl; }
Level level() { return config().level.load(std::memory_order_relaxed); }

Level parse_level(std::string_view text) {
  if (text == "debug") return Level::debug;
  if (text == "info") return Level::info;
  if (text == "warn" || text == "warning") return Level::warn;
  if (text == "error") return Level::error;
  throw std::invalid_argument("unknown log level '" + std::string(text) +
                              "' (expected debug, info, warn or error)");
}

void set_component(std::string name) {
  std::lock_guard lock(config().mutex);
  config().component = std::move(name);
}

void write(Level lvl, const std::string& line) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &utc);
  std::lock_guard lock(config().mutex);
  std::fprintf(stderr, "%s.%03lld %s [%s] %s\n", stamp, static_cast<long long>(millis), label(lvl),
               config().component.c_str(), line.c_str());
}

}  // namespace snet::log
