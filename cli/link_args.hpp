// The pure half of `snet link`: the units a person types (--latency 50ms, --loss 2%,
// --rate 2mbit) turned into a PUT /api/links/{id} body, and the links of GET /api/links turned
// into table cells. No I/O.
// Thread safety: reentrant.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace snet::cli {

/// "50ms", "1.5s", "800us" or a bare number of milliseconds -> milliseconds. Throws
/// snet::UsageError naming `flag`: "--latency: '5parsecs' is not a duration like 50ms or 1.5s".
double parse_link_ms(const std::string& flag, const std::string& text);
/// "2%", "0.5%" or a bare number -> percent. Throws snet::UsageError naming `flag`.
double parse_link_percent(const std::string& flag, const std::string& text);
/// "128kbit", "2mbit", "1gbit", "64000bit" -> kbit/s (k = 1000, as tc counts); "none" or
/// "unlimited" -> nullopt (no limit). Throws snet::UsageError naming `flag`:
/// "--rate: '12parsecs' is not a rate like 128kbit or 2mbit".
std::optional<double> parse_link_rate_kbit(const std::string& flag, const std::string& text);

/// The flags of one `snet link ID ...` call, as typed ("" = not given).
struct LinkFlags {
  std::string latency, jitter, loss, rate, seed;
  bool down = false, up = false;
};
/// The PUT body ({"latency_ms": 50, "up": false, "rate_kbit": null...}); an empty object when no
/// change was asked for. Throws snet::UsageError (bad units, --down with --up).
nlohmann::json link_patch(const LinkFlags& flags);

/// Table cells of one link of GET /api/links:
/// "50ms ±5ms 2% loss 2mbit", "CUT" when down, "ideal" when nothing is set.
std::string link_spec_cell(const nlohmann::json& spec);
/// "process" when one engine applies every property reported, else per engine:
/// "rate_kbit:kernel latency_ms,loss_pct:process"; "-" when no engine reported the link.
std::string link_engines_cell(const nlohmann::json& engines);
/// "up 1.2kB/10p down 3.4kB/12p", plus ", 3 dropped" and ", 2 conn" when not 0; "-" when idle.
std::string link_traffic_cell(const nlohmann::json& traffic);

/// Rows as columns padded to their widest cell (counted in characters, not bytes: "±"), two
/// spaces apart, each row ending in a newline.
std::string text_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace snet::cli
