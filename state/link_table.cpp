#include "link_table.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "live_feed.hpp"
#include "snet/clock.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::state {
namespace {

using nlohmann::json;

constexpr int kLoggedRejections = 20;  // then every 100th: engines report every few seconds

std::string number_text(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

// One field's value as the change text shows it (absent: its ideal default).
std::string field_text(const LinkSpec& spec, std::string_view field) {
  if (field == "latency_ms") return number_text(spec.latency());
  if (field == "jitter_ms") return number_text(spec.jitter());
  if (field == "loss_pct") return number_text(spec.loss());
  if (field == "rate_kbit") return spec.rate_kbit ? number_text(*spec.rate_kbit) : "unlimited";
  if (field == "up") return spec.is_up() ? "true" : "false";
  if (field == "seed") return spec.seed ? std::to_string(*spec.seed) : "none";
  return "?";
}

std::string rest_after(const std::string& topic, const std::string& prefix) {
  if (topic.size() <= prefix.size() || topic.compare(0, prefix.size(), prefix) != 0) return "";
  std::string rest = topic.substr(prefix.size());
  return rest.find('/') == std::string::npos ? rest : "";
}

json traffic_json(const LinkTraffic& t) {
  return {{"bytes_up", t.bytes_up},     {"bytes_down", t.bytes_down},
          {"packets_up", t.packets_up}, {"packets_down", t.packets_down},
          {"dropped", t.dropped},       {"connections", t.connections}};
}

}  // namespace

std::string link_change_text(const LinkSpec& before, const LinkSpec& after) {
  std::string out;
  for (std::string_view field : kLinkFields) {
    const std::string from = field_text(before, field), to = field_text(after, field);
    if (from == to) continue;
    out += (out.empty() ? "" : ", ") + std::string(field) + " " + from + " -> " + to;
  }
  return out.empty() ? "no change" : out;
}

LinkPatch parse_link_patch(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw BadMessage("bad-link",
                     "the body must be a JSON link object like {\"latency_ms\": 50, \"up\": "
                     "false} (fields: latency_ms, jitter_ms, loss_pct, rate_kbit, up, seed; null "
                     "goes back to the ideal default)");
  }
  LinkPatch patch;
  for (auto it = doc.begin(); it != doc.end();) {
    const bool known = std::find(std::begin(kLinkFields), std::end(kLinkFields), it.key()) !=
                       std::end(kLinkFields);
    if (it->is_null() && known) {
      patch.cleared.push_back(it.key());
      it = doc.erase(it);
    } else {
      ++it;
    }
  }
  patch.set = parse_link_spec_text(doc.dump());
  return patch;
}

LinkSpec LinkPatch::applied_to(const LinkSpec& base) const {
  LinkSpec out = base.merged(set);
  for (const auto& field : cleared) {
    if (field == "latency_ms") out.latency_ms.reset();
    if (field == "jitter_ms") out.jitter_ms.reset();
    if (field == "loss_pct") out.loss_pct.reset();
    if (field == "rate_kbit") out.rate_kbit.reset();
    if (field == "up") out.up.reset();
    if (field == "seed") out.seed.reset();
  }
  return out;
}

LinkTable::LinkTable(const Topology& topology, StateMetrics& metrics, LiveFeed* feed)
    : topology_(topology),
      emulated_(topology.emulates_network()),
      metrics_(metrics),
      feed_(feed),
      control_prefix_(topics::link_control_topic(topology.name, "")),
      report_prefix_(topics::link_report_topic(topology.name, "")),
      presence_prefix_(topics::make(topology.name, topics::Kind::presence, "")),
      status_prefix_(topics::make(topology.name, topics::Kind::status, "")),
      rev_(static_cast<std::uint64_t>(now_us())) {
  if (!emulated_) return;
  const auto file = topology.links();
  auto spec_of = [&](const std::string& id) {
    auto it = file.find(id);
    return it == file.end() ? LinkSpec{} : it->second;
  };
  for (const auto& site : topology.sites) {
    Entry& e = entries_[site.id];
    e.id = site.id;
    e.site = true;
    e.parent = site.parent;
    e.description = site.description;
    e.file = spec_of(site.id);
    for (const Device* d : topology.devices_in(site.id)) e.devices.push_back(d->id);
    for (const auto& child : topology.sites) {
      if (child.parent == site.id) e.child_sites.push_back(child.id);
    }
    order_.push_back(site.id);
  }
  for (const auto& device : topology.devices) {
    order_.push_back(device.id);
    Entry& e = entries_[device.id];  // filled in place (a moved local upsets GCC 12's analysis)
    e.id = device.id;
    e.parent = device.site;
    e.device_kind = std::string(to_string(device.kind));
    e.file = spec_of(device.id);
  }
}

std::vector<std::string> LinkTable::subscriptions() const {
  if (!emulated()) return {};
  return {topics::link_control_filter(topology_.name), topics::link_report_filter(topology_.name),
          topics::all(topology_.name, topics::Kind::presence)};
}

bool LinkTable::observe(const Message& message) {
  if (!emulated()) return false;
  try {
    if (auto link = rest_after(message.topic, control_prefix_); !link.empty()) {
      return on_update(message, link);
    }
    if (auto reporter = rest_after(message.topic, report_prefix_); !reporter.empty()) {
      return on_report(message, reporter);
    }
    if (auto device = rest_after(message.topic, presence_prefix_); !device.empty()) {
      return on_presence(message, device);
    }
    if (auto service = rest_after(message.topic, status_prefix_); !service.empty()) {
      on_status(message, service);
    }
  } catch (const BadMessage& bad) {
    return reject(message, bad.reason, bad.what());
  }
  return false;
}

bool LinkTable::on_update(const Message& message, const std::string& link) {
  std::optional<LinkUpdate> update;
  if (!message.payload.empty()) {  // empty: the retained update was cleared (the file's again)
    update = parse_link_update(message.payload);
    if (update->link != link) {
      return reject(message, "device_mismatch",
                    "payload link '" + update->link + "' differs from the topic's");
    }
  }
  json pushed;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(link);
    if (it == entries_.end()) {
      // Not under the lock when counting and logging.
      pushed = nullptr;
    } else if (set_update_locked(it->second, std::move(update), true)) {
      pushed = item_locked(it->second);
    } else {
      return true;
    }
  }
  if (pushed.is_null()) return reject(message, "unknown_link", "'" + link + "' is no link");
  if (feed_ != nullptr) feed_->link_changed(std::move(pushed));
  return true;
}

bool LinkTable::on_report(const Message& message, const std::string& reporter) {
  if (message.payload.empty()) {  // the reporter is gone for good
    std::lock_guard lock(mutex_);
    reports_.erase(reporter);
    return true;
  }
  LinkReport report = parse_link_report(message.payload);
  if (report.reporter != reporter) {
    throw BadMessage("device_mismatch",
                     "payload reporter '" + report.reporter + "' differs from the topic's");
  }
  std::lock_guard lock(mutex_);
  reports_[reporter] = std::move(report);
  return true;
}

bool LinkTable::on_presence(const Message& message, const std::string& device) {
  std::optional<bool> online;
  if (!message.payload.empty()) {
    const json doc = json::parse(message.payload, nullptr, false);
    if (!doc.is_object() || !doc.contains("online") || !doc["online"].is_boolean()) {
      throw BadMessage("wrong_type", "presence must be {\"online\": true|false}");
    }
    online = doc["online"].get<bool>();
  }
  json pushed;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(device);
    if (it == entries_.end() || it->second.site) {
      pushed = nullptr;
    } else if (it->second.online != online) {
      it->second.online = online;
      it->second.rev = ++rev_;
      pushed = item_locked(it->second);
    } else {
      return true;
    }
  }
  if (pushed.is_null()) {
    return reject(message, "unknown_device", "device '" + device + "' is not in the topology");
  }
  if (feed_ != nullptr) feed_->link_changed(std::move(pushed));
  return true;
}

void LinkTable::on_status(const Message& message, const std::string& service) {
  bool gone = message.payload.empty();
  if (!gone) {
    try {
      gone = !parse_status(message.payload).online;
    } catch (const BadMessage&) {
      return;  // the writer rejects and counts it
    }
  }
  if (!gone) return;
  std::lock_guard lock(mutex_);
  // The service's report and its parts (<service>.2, <service>.3...: a large report is split).
  for (auto it = reports_.begin(); it != reports_.end();) {
    const std::string& name = it->first;
    const bool part = name.size() > service.size() + 1 &&
                      name.compare(0, service.size(), service) == 0 &&
                      name[service.size()] == '.' &&
                      name.find_first_not_of("0123456789", service.size() + 1) == std::string::npos;
    it = name == service || part ? reports_.erase(it) : std::next(it);
  }
}

bool LinkTable::reject(const Message& message, const std::string& reason, const std::string& why) {
  metrics_.rejected(reason).add();
  std::lock_guard lock(mutex_);
  ++rejections_;
  if (rejections_ <= kLoggedRejections || rejections_ % 100 == 0) {
    log::warn(
        "rejected message on ", message.topic, ": ", reason, ": ", why,
        rejections_ > kLoggedRejections ? " (" + std::to_string(rejections_) + " so far)" : "");
  }
  return true;
}

bool LinkTable::set_update_locked(Entry& entry, std::optional<LinkUpdate> update,
                                  bool only_if_newer) {
  const auto& old = entry.update;
  if (only_if_newer && update && old && update->ts != 0 && update->ts < old->ts) return false;
  const bool same =
      old.has_value() == update.has_value() &&
      (!old || (old->spec == update->spec && old->id == update->id && old->ts == update->ts));
  if (same) return false;
  entry.update = std::move(update);
  entry.rev = ++rev_;
  return true;
}

bool LinkTable::known(const std::string& id) const {
  return entries_.find(id) != entries_.end();  // fixed at construction
}

LinkSpec LinkTable::effective(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return {};
  return it->second.update ? it->second.update->spec : it->second.file;
}

std::optional<LinkUpdate> LinkTable::update_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.update;
}

void LinkTable::apply_local(const LinkUpdate& update) {
  json pushed;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(update.link);
    if (it == entries_.end() || !set_update_locked(it->second, update, false)) return;
    pushed = item_locked(it->second);
  }
  if (feed_ != nullptr) feed_->link_changed(std::move(pushed));
}

void LinkTable::revert_local(const LinkUpdate& update, const std::optional<LinkUpdate>& previous) {
  json pushed;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(update.link);
    if (it == entries_.end() || !it->second.update || it->second.update->id != update.id) return;
    if (!set_update_locked(it->second, previous, false)) return;
    pushed = item_locked(it->second);
  }
  if (feed_ != nullptr) feed_->link_changed(std::move(pushed));
}

json LinkTable::item(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  return it == entries_.end() ? json() : item_locked(it->second);
}

json LinkTable::item_locked(const Entry& e) const {
  json out = {{"id", e.id},
              {"spec", (e.update ? e.update->spec : e.file).to_json()},
              {"update", e.update ? json{{"id", e.update->id}, {"ts", e.update->ts}} : json()},
              {"rev", e.rev}};
  if (!e.site) out["online"] = e.online ? json(*e.online) : json();
  return out;
}

json LinkTable::link_view_locked(const Entry& e) const {
  json out = item_locked(e);
  out["kind"] = e.site ? "site" : "device";
  out["parent"] = e.parent;
  if (e.site) {
    out["description"] = e.description;
    out["devices"] = e.devices;
    out["sites"] = e.child_sites;
  } else {
    out["device_kind"] = e.device_kind;
  }
  out["file"] = e.file.to_json();
  out["changed"] = e.update.has_value() && !(e.update->spec == e.file);
  std::map<std::string, std::set<std::string>> engines;
  std::vector<std::string> reporters;
  LinkTraffic sum;
  for (const auto& [name, report] : reports_) {
    auto it = report.links.find(e.id);
    if (it == report.links.end()) continue;
    reporters.push_back(name);
    const LinkTraffic& t = it->second;
    for (const auto& p : t.properties) engines[p].insert(report.engine);
    sum.bytes_up += t.bytes_up;
    sum.bytes_down += t.bytes_down;
    sum.packets_up += t.packets_up;
    sum.packets_down += t.packets_down;
    sum.dropped += t.dropped;
    sum.connections += t.connections;
  }
  json engine_of = json::object();
  for (const auto& [property, names] : engines) {
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : "+") + n;
    engine_of[property] = joined;
  }
  out["engines"] = std::move(engine_of);
  out["reporters"] = std::move(reporters);
  out["traffic"] = traffic_json(sum);
  return out;
}

json LinkTable::view() const {
  json out = {{"topology", topology_.name}, {"emulated", emulated()}};
  if (!emulated()) {
    out["hint"] =
        "topology '" + topology_.name +
        "' does not emulate a network: give it \"sites\" or a device a \"link\" in its file "
        "(topology/README.md) and start it again";
  }
  std::lock_guard lock(mutex_);
  json links = json::array();
  for (const auto& id : order_) links.push_back(link_view_locked(entries_.at(id)));
  json reporters = json::array(), notes = json::array();
  for (const auto& [name, report] : reports_) {
    reporters.push_back({{"reporter", name},
                         {"engine", report.engine},
                         {"ts", report.ts},
                         {"links", report.links.size()}});
    for (const auto& note : report.notes) {
      notes.push_back({{"reporter", name}, {"engine", report.engine}, {"note", note}});
    }
  }
  out["rev"] = rev_;
  out["links"] = std::move(links);
  out["reporters"] = std::move(reporters);
  out["notes"] = std::move(notes);
  return out;
}

}  // namespace snet::state
