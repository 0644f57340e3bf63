// The emulated network's contracts: a link's properties (LinkSpec, as written in a topology's
// "link" objects and in PUT /api/links/{id}), the run-time change of one link (LinkUpdate, on
// snet/<topology>/control/links/<link>, retained) and what an engine reports about the links it
// shapes (LinkReport, on snet/<topology>/status/links/<reporter>, retained).
// A link is a site's uplink or a device's last hop; its id is the site's or the device's id.
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "snet/message.hpp"

namespace snet {

/// A link's properties; each is optional (absent: ideal, i.e. 0 ms, no loss, no rate limit, up).
/// Applied per direction: a crossing costs latency ± jitter, each packet is lost with loss_pct,
/// and each direction is limited to rate_kbit.
struct LinkSpec {
  std::optional<double> latency_ms;
  std::optional<double> jitter_ms;
  std::optional<double> loss_pct;
  std::optional<double> rate_kbit;
  std::optional<bool> up;
  std::optional<std::uint64_t> seed;  // for the random parts (jitter, loss); reproducible runs

  double latency() const { return latency_ms.value_or(0); }
  double jitter() const { return jitter_ms.value_or(0); }
  double loss() const { return loss_pct.value_or(0); }
  /// 0: no limit.
  double rate() const { return rate_kbit.value_or(0); }
  bool is_up() const { return up.value_or(true); }
  /// No latency, jitter, loss or rate limit, and up.
  bool ideal() const;
  /// This spec with every field present in `update` replaced (a partial update).
  LinkSpec merged(const LinkSpec& update) const;
  /// Only the fields that are set, e.g. {"latency_ms": 20, "up": true}.
  nlohmann::json to_json() const;
  bool operator==(const LinkSpec&) const = default;
};

/// Limits a link's numbers must respect (checked by parse_link_spec).
inline constexpr double kMaxLinkLatencyMs = 60'000;
inline constexpr double kMaxLinkRateKbit = 10'000'000;  // 10 Gbit/s
inline constexpr double kMinLinkRateKbit = 8;           // 1 KB/s: slower cannot carry a CONNECT

/// The fields a link object may have, in documentation order.
inline constexpr std::string_view kLinkFields[] = {"latency_ms", "jitter_ms", "loss_pct",
                                                   "rate_kbit",  "up",        "seed"};

/// Reads a link object ({"latency_ms": 20, ...}); every problem is appended to `errors` as
/// "<where>.<field>: what is wrong" (unknown fields, wrong types, out of range), and the valid
/// fields are returned.
LinkSpec parse_link_spec(const nlohmann::json& value, const std::string& where,
                         std::vector<std::string>& errors);
/// Parses JSON text; throws BadMessage("bad-link", all errors) when it is not a valid link.
LinkSpec parse_link_spec_text(std::string_view text);

/// The run-time state of one link, published retained on link_control_topic(): the whole
/// effective spec (the file's merged with every update so far), so that an engine that starts
/// late or restarts applies the latest state.
struct LinkUpdate {
  std::string link;  // site or device id
  LinkSpec spec;
  std::string id;  // the change's id (a fault id), echoed in logs and history
  Micros ts = 0;   // when it was asked for
};
/// Throws BadMessage("bad-link-update", why).
LinkUpdate parse_link_update(std::string_view payload);
std::string to_json(const LinkUpdate& update);

/// How an engine applies one link: which properties it carries and its traffic so far.
struct LinkTraffic {
  std::vector<std::string> properties;         // of kLinkFields (not "seed") this engine applies
  std::uint64_t bytes_up = 0, bytes_down = 0;  // up: device -> core
  std::uint64_t packets_up = 0, packets_down = 0;
  std::uint64_t dropped = 0;      // kernel: packets dropped; process: segments "lost" (delayed)
  std::uint64_t connections = 0;  // process: connections through it now
};

/// What one engine (an agent's process engine, `snet up`'s kernel engine) reports.
struct LinkReport {
  std::string reporter;  // e.g. agent-1, kernel
  std::string engine;    // process | kernel
  Micros ts = 0;
  std::map<std::string, LinkTraffic> links;
  std::vector<std::string> notes;  // e.g. why a property fell back to another engine
};
/// Throws BadMessage("bad-link-report", why).
LinkReport parse_link_report(std::string_view payload);
std::string to_json(const LinkReport& report);

/// Links per report message: each is a retained message, which the broker refuses past its
/// packet size (snet up's Mosquitto: 256 KB, closing the publisher's connection) and readers
/// take up to 64 KB of; 200 links of 64-character ids fit.
inline constexpr std::size_t kLinksPerReport = 200;
/// `whole` as reports of at most `links_per_report` links each (at least 1), in link order: the
/// first named whole.reporter and carrying the notes, the next whole.reporter + ".2", ".3"...
/// A report without links stays one report.
std::vector<LinkReport> split_link_report(LinkReport whole,
                                          std::size_t links_per_report = kLinksPerReport);

}  // namespace snet
