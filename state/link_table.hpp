// The state service's view of the emulated network (docs/api.md, "Links"): every link of the
// topology with the spec its file gives, the latest retained LinkUpdate for it (the effective
// spec the engines apply), what the engines report about it (LinkReports: which engine carries
// which property, traffic) and, for a device, its presence (online or not: a cut outlasting
// keep-alive makes its last will fire). Fed from the bus (observe()) and from PUT
// /api/links/{id} (apply_local()); serves GET /api/links (view()) and pushes every change of a
// link's spec or presence to the live feed as a `links` item.
//
// Every change gets the next revision number (`rev`, growing across restarts too); a client that
// mixes GET /api/links with the feed keeps, per link, the item with the highest rev.
// Thread safety: every method may be called from any thread. Lock order: never calls the
// feed while holding its own mutex.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snet/bus.hpp"
#include "snet/link.hpp"
#include "snet/topology.hpp"
#include "state_metrics.hpp"

namespace snet::state {

class LiveFeed;

/// "latency_ms 20 -> 50, up true -> false": the fields that differ, absent ones shown as their
/// ideal default (0, "unlimited" rate, up true, no seed); "no change" when none differ.
std::string link_change_text(const LinkSpec& before, const LinkSpec& after);

/// Reads a PUT /api/links/{id} body: a link object as in a topology file, where a field set to
/// null goes back to its ideal default (e.g. {"rate_kbit": null}: no rate limit). Returns the
/// update and the fields to clear. Throws BadMessage("bad-link", what is wrong, naming the field).
struct LinkPatch {
  LinkSpec set;
  std::vector<std::string> cleared;
  /// `base` with the patch applied.
  LinkSpec applied_to(const LinkSpec& base) const;
};
LinkPatch parse_link_patch(std::string_view body);

class LinkTable {
 public:
  /// `feed` may be null (no live pushes, e.g. in unit tests).
  LinkTable(const Topology& topology, StateMetrics& metrics, LiveFeed* feed);

  /// The filters to subscribe to (empty when the topology does not emulate a network).
  std::vector<std::string> subscriptions() const;
  /// Takes the messages of those filters (LinkUpdates, LinkReports, presence): returns true when
  /// the message was one of them (handled; bad ones are counted in
  /// snet_state_rejected_total{reason} and logged). Also watches service status messages (and
  /// returns false for them): a reporter whose status goes offline has its report dropped.
  bool observe(const Message& message);

  bool emulated() const { return emulated_; }
  /// Whether `id` is one of the topology's links.
  bool known(const std::string& id) const;
  /// The link's effective spec: the latest LinkUpdate's, else the file's.
  LinkSpec effective(const std::string& id) const;

  /// Records an update this service published (PUT), at once, so the next GET or PUT sees it
  /// before the broker's copy comes back. The broker's copy of an older update is not applied
  /// over a newer one (by `ts`).
  void apply_local(const LinkUpdate& update);
  /// Undoes apply_local(`update`) when it is still the latest (its publish failed).
  void revert_local(const LinkUpdate& update, const std::optional<LinkUpdate>& previous);
  /// Held by PUT while it reads, merges and applies a change (changes of links are serialised).
  std::unique_lock<std::mutex> lock_changes() { return std::unique_lock(changes_); }
  /// The latest update of `id`, if any.
  std::optional<LinkUpdate> update_of(const std::string& id) const;

  /// GET /api/links.
  nlohmann::json view() const;
  /// The feed's item for one link: {"id", "spec", "update", "online" (devices), "rev"}.
  nlohmann::json item(const std::string& id) const;

 private:
  struct Entry {
    std::string id;
    bool site = false;
    std::string parent;       // a site's parent, a device's site ("" = the core)
    std::string device_kind;  // devices: button | actuator
    std::string description;  // sites
    std::vector<std::string> devices, child_sites;  // sites: what sits directly in it
    LinkSpec file;
    std::optional<LinkUpdate> update;
    std::optional<bool> online;  // devices: presence; nullopt = not heard yet
    std::uint64_t rev = 0;
  };

  bool on_update(const Message& message, const std::string& link);
  bool on_report(const Message& message, const std::string& reporter);
  bool on_presence(const Message& message, const std::string& device);
  void on_status(const Message& message, const std::string& service);
  bool reject(const Message& message, const std::string& reason, const std::string& why);
  /// Sets the entry's update when it is not older than the one it has; returns whether it did.
  bool set_update_locked(Entry& entry, std::optional<LinkUpdate> update, bool only_if_newer);
  nlohmann::json item_locked(const Entry& entry) const;
  nlohmann::json link_view_locked(const Entry& entry) const;

  const Topology& topology_;
  // Asked for every message the service receives: Topology::emulates_network() looks at every
  // device, so it is asked once.
  const bool emulated_;
  StateMetrics& metrics_;
  LiveFeed* feed_;
  const std::string control_prefix_;  // snet/<t>/control/links/
  const std::string report_prefix_;   // snet/<t>/status/links/
  const std::string presence_prefix_;
  const std::string status_prefix_;

  std::mutex changes_;
  mutable std::mutex mutex_;
  std::vector<std::string> order_;  // sites in file order, then devices
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, LinkReport> reports_;  // by reporter
  // Starts at the clock (µs), so that revisions keep growing across restarts of the service.
  std::uint64_t rev_;
  std::uint64_t rejections_ = 0;
};

}  // namespace snet::state
