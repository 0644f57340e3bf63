#include "link_args.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

#include "snet/flags.hpp"

namespace snet::cli {
namespace {

using nlohmann::json;

struct Quantity {
  double value = 0;
  std::string unit;  // lower case, may be empty
};

// "50ms" -> {50, "ms"}; nullopt when it does not start with a plain non-negative number.
std::optional<Quantity> split_quantity(const std::string& text) {
  const auto end = text.find_first_not_of("0123456789.");
  const std::string number = text.substr(0, end);
  if (number.empty()) return std::nullopt;
  Quantity q;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), q.value);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(q.value)) {
    return std::nullopt;
  }
  if (end != std::string::npos) q.unit = text.substr(end);
  std::transform(q.unit.begin(), q.unit.end(), q.unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return q;
}

[[noreturn]] void bad(const std::string& flag, const std::string& text, const std::string& like) {
  throw UsageError(flag + ": '" + text + "' is not " + like);
}

std::string number_text(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string bytes_text(std::uint64_t n) {
  if (n < 1000) return std::to_string(n) + "B";
  const char* units[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int i = -1;
  while (v >= 1000 && i < 3) {
    v /= 1000;
    ++i;
  }
  std::ostringstream out;
  out.precision(v < 10 ? 2 : 3);
  out << v << units[i];
  return out.str();
}

std::uint64_t count_of(const json& traffic, const char* key) {
  auto it = traffic.find(key);
  return it != traffic.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

double parse_link_ms(const std::string& flag, const std::string& text) {
  const auto q = split_quantity(text);
  const char* like = "a duration like 50ms or 1.5s";
  if (!q) bad(flag, text, like);
  if (q->unit.empty() || q->unit == "ms") return q->value;
  if (q->unit == "s") return q->value * 1000;
  if (q->unit == "us" || q->unit == "µs") return q->value / 1000;
  bad(flag, text, like);
}

double parse_link_percent(const std::string& flag, const std::string& text) {
  const auto q = split_quantity(text);
  if (!q || !(q->unit.empty() || q->unit == "%")) bad(flag, text, "a percentage like 2% or 0.5%");
  return q->value;
}

std::optional<double> parse_link_rate_kbit(const std::string& flag, const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "none" || lower == "unlimited") return std::nullopt;
  const auto q = split_quantity(text);
  const char* like = "a rate like 128kbit or 2mbit (or none)";
  if (!q) bad(flag, text, like);
  static const std::map<std::string, double> kbit_per_unit = {
      {"bit", 0.001}, {"kbit", 1}, {"mbit", 1000}, {"gbit", 1'000'000}};
  std::string unit = q->unit;
  if (unit.size() > 2 && unit.compare(unit.size() - 2, 2, "/s") == 0) unit.resize(unit.size() - 2);
  auto it = kbit_per_unit.find(unit);
  if (it == kbit_per_unit.end()) bad(flag, text, like);
  return q->value * it->second;
}

json link_patch(const LinkFlags& f) {
  if (f.down && f.up) throw UsageError("--down and --up: give one of them, not both");
  json out = json::object();
  if (!f.latency.empty()) out["latency_ms"] = parse_link_ms("--latency", f.latency);
  if (!f.jitter.empty()) out["jitter_ms"] = parse_link_ms("--jitter", f.jitter);
  if (!f.loss.empty()) out["loss_pct"] = parse_link_percent("--loss", f.loss);
  if (!f.rate.empty()) {
    const auto rate = parse_link_rate_kbit("--rate", f.rate);
    out["rate_kbit"] = rate ? json(*rate) : json();
  }
  if (!f.seed.empty()) {
    std::uint64_t seed = 0;
    const auto [ptr, ec] = std::from_chars(f.seed.data(), f.seed.data() + f.seed.size(), seed);
    if (ec != std::errc() || ptr != f.seed.data() + f.seed.size()) {
      throw UsageError("--seed: '" + f.seed + "' is not a whole number >= 0");
    }
    out["seed"] = seed;
  }
  if (f.down) out["up"] = false;
  if (f.up) out["up"] = true;
  return out;
}

std::string link_spec_cell(const json& spec) {
  if (!spec.is_object()) return "-";
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
  if (spec.contains("up") && spec["up"] == false) add("CUT");
  auto number = [&](const char* key) -> std::optional<double> {
    auto it = spec.find(key);
    if (it == spec.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  if (auto v = number("latency_ms"); v && *v > 0) add(number_text(*v) + "ms");
  if (auto v = number("jitter_ms"); v && *v > 0) add("±" + number_text(*v) + "ms");
  if (auto v = number("loss_pct"); v && *v > 0) add(number_text(*v) + "% loss");
  if (auto v = number("rate_kbit")) {
    add(*v >= 1000 && std::fmod(*v, 1000) == 0 ? number_text(*v / 1000) + "mbit"
                                               : number_text(*v) + "kbit");
  }
  return out.empty() ? "ideal" : out;
}

std::string link_engines_cell(const json& engines) {
  if (!engines.is_object() || engines.empty()) return "-";
  std::map<std::string, std::string> by_engine;  // engine -> properties
  for (const auto& [property, engine] : engines.items()) {
    const std::string name = engine.is_string() ? engine.get<std::string>() : engine.dump();
    auto& props = by_engine[name];
    props += (props.empty() ? "" : ",") + property;
  }
  if (by_engine.size() == 1) return by_engine.begin()->first;
  std::string out;
  for (const auto& [engine, props] : by_engine) {
    out += (out.empty() ? "" : " ") + props + ":" + engine;
  }
  return out;
}

std::string text_table(const std::vector<std::vector<std::string>>& rows) {
  auto width = [](const std::string& s) {  // UTF-8: count the bytes that start a character
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - width(row[i]) + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string link_traffic_cell(const json& traffic) {
  if (!traffic.is_object()) return "-";
  const auto bytes_up = count_of(traffic, "bytes_up"), bytes_down = count_of(traffic, "bytes_down");
  const auto packets_up = count_of(traffic, "packets_up");
  const auto packets_down = count_of(traffic, "packets_down");
  const auto dropped = count_of(traffic, "dropped"), conns = count_of(traffic, "connections");
  if (bytes_up + bytes_down + packets_up + packets_down + dropped + conns == 0) return "-";
  std::string out = "up " + bytes_text(bytes_up) + "/" + std::to_string(packets_up) + "p down " +
                    bytes_text(bytes_down) + "/" + std::to_string(packets_down) + "p";
  if (dropped > 0) out += ", " + std::to_string(dropped) + " dropped";
  if (conns > 0) out += ", " + std::to_string(conns) + " conn";
  return out;
}

}  // namespace snet::cli
