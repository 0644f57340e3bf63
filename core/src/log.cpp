#include "snet/log.hpp"

#include <algorithm>
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

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s` (1 to 4), or 0 when it is
// none (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut short).
std::size_t utf8_length(std::string_view s) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = at(0);
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // beyond U+10FFFF
  }
  if (n == 0 || s.size() < n || at(1) < low || at(1) > high) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (at(i) < 0x80 || at(i) > 0xbf) return 0;
  }
  return n;
}

void append_hex(std::string& out, unsigned char byte) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "\\x%02x", byte);
  out += hex;
}

// C1 controls (U+0080..U+009F: a terminal may take U+009B for the start of an escape sequence)
// and the line and paragraph separators (U+2028, U+2029: line breaks to some viewers).
bool is_hidden_control(std::string_view utf8) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(utf8[i]); };
  if (utf8.size() == 2) return at(0) == 0xc2 && at(1) <= 0x9f;
  return utf8 == "\xe2\x80\xa8" || utf8 == "\xe2\x80\xa9";
}

// JSON lines after nlohmann's dump (valid UTF-8; C0 controls already \u escapes): DEL, C1
// controls and the separators as \u escapes too, so no raw control reaches a terminal.
std::string escape_json_controls(const std::string& dumped) {
  std::string out;
  out.reserve(dumped.size());
  for (std::size_t i = 0; i < dumped.size();) {
    const std::size_t n =
        static_cast<unsigned char>(dumped[i]) < 0x80
            ? 1
            : std::max<std::size_t>(1, utf8_length(std::string_view(dumped).substr(i)));
    const std::string_view seq = std::string_view(dumped).substr(i, n);
    if (seq == "\x7f" || (n > 1 && is_hidden_control(seq))) {
      char code[8];
      const unsigned value = n == 1   ? 0x7f
                             : n == 2 ? static_cast<unsigned char>(seq[1])
                                      : 0x2000 + (static_cast<unsigned char>(seq[2]) & 0x3f);
      std::snprintf(code, sizeof code, "\\u%04x", value);
      out += code;
    } else {
      out += seq;
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      out += text[i++];
      continue;
    }
    if (byte >= 0x80) {
      const std::size_t n = utf8_length(text.substr(i));
      const std::string_view seq = text.substr(i, n);
      if (n > 0 && !is_hidden_control(seq)) {
        out += seq;
      } else {  // a control, or a byte that is not UTF-8: shown, not passed to the terminal
        for (const char c : n > 0 ? seq : text.substr(i, 1)) {
          append_hex(out, static_cast<unsigned char>(c));
        }
      }
      i += std::max<std::size_t>(n, 1);
      continue;
    }
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else {
      append_hex(out, byte);  // the other C0 controls and DEL
    }
    ++i;
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
    return escape_json_controls(
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
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
