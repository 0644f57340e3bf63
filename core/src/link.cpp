#include "snet/link.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace snet {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxLinkPayloadBytes = 64 << 10;

struct NumberField {
  std::string_view name;
  std::optional<double> LinkSpec::*member;
  double min, max;
  const char* unit;
};

constexpr NumberField kNumbers[] = {
    {"latency_ms", &LinkSpec::latency_ms, 0, kMaxLinkLatencyMs, "ms"},
    {"jitter_ms", &LinkSpec::jitter_ms, 0, kMaxLinkLatencyMs, "ms"},
    {"loss_pct", &LinkSpec::loss_pct, 0, 100, "%"},
    {"rate_kbit", &LinkSpec::rate_kbit, kMinLinkRateKbit, kMaxLinkRateKbit, "kbit/s"},
};

// 101 rather than 101.0: numbers in errors read as the user wrote them.
std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return json(v).dump();
}

json parse_object(std::string_view payload, const char* reason) {
  if (payload.size() > kMaxLinkPayloadBytes) {
    throw BadMessage("oversized", "payload of " + std::to_string(payload.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxLinkPayloadBytes));
  }
  json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw BadMessage("malformed_json", "payload is not valid JSON");
  if (!doc.is_object()) throw BadMessage(reason, "payload must be a JSON object");
  return doc;
}

std::uint64_t get_count(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) return 0;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
    throw BadMessage("bad-link-report", std::string("field '") + key + "' must be a count");
  }
  return it->get<std::uint64_t>();
}

}  // namespace

bool LinkSpec::ideal() const {
  return latency() == 0 && jitter() == 0 && loss() == 0 && rate() == 0 && is_up();
}

LinkSpec LinkSpec::merged(const LinkSpec& update) const {
  LinkSpec out = *this;
  for (const auto& field : kNumbers) {
    if (update.*field.member) out.*field.member = update.*field.member;
  }
  if (update.up) out.up = update.up;
  if (update.seed) out.seed = update.seed;
  return out;
}

nlohmann::json LinkSpec::to_json() const {
  json out = json::object();
  for (const auto& field : kNumbers) {
    const auto& value = this->*field.member;
    if (!value) continue;
    // 20, not 20.0: as a person writes it in a topology file.
    if (*value == std::floor(*value) && std::fabs(*value) < 1e15) {
      out[std::string(field.name)] = static_cast<std::int64_t>(*value);
    } else {
      out[std::string(field.name)] = *value;
    }
  }
  if (up) out["up"] = *up;
  if (seed) out["seed"] = *seed;
  return out;
}

LinkSpec parse_link_spec(const nlohmann::json& value, const std::string& where,
                         std::vector<std::string>& errors) {
  LinkSpec spec;
  if (!value.is_object()) {
    errors.push_back(where +
                     ": must be an object like {\"latency_ms\": 20, \"jitter_ms\": 5, "
                     "\"loss_pct\": 1.5, \"rate_kbit\": 256, \"up\": true}");
    return spec;
  }
  for (const auto& [key, item] : value.items()) {
    bool known = false;
    for (auto name : kLinkFields) known = known || key == name;
    if (!known) {
      errors.push_back(where + "." + key +
                       ": unknown field (allowed: latency_ms, jitter_ms, loss_pct, rate_kbit, "
                       "up, seed)");
    }
  }
  for (const auto& field : kNumbers) {
    auto it = value.find(field.name);
    if (it == value.end()) continue;
    const std::string name = where + "." + std::string(field.name);
    if (!it->is_number()) {
      errors.push_back(name + ": must be a number (" + field.unit + "), not " + it->dump());
      continue;
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < field.min || v > field.max) {
      errors.push_back(name + ": " + number_text(v) + " is out of range (" +
                       number_text(field.min) + " to " + number_text(field.max) + " " + field.unit +
                       ")");
      continue;
    }
    spec.*field.member = v;
  }
  if (auto it = value.find("up"); it != value.end()) {
    if (it->is_boolean()) {
      spec.up = it->get<bool>();
    } else {
      errors.push_back(where + ".up: must be true or false, not " + it->dump());
    }
  }
  if (auto it = value.find("seed"); it != value.end()) {
    if (it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
      spec.seed = it->get<std::uint64_t>();
    } else {
      errors.push_back(where + ".seed: must be a whole number >= 0, not " + it->dump());
    }
  }
  return spec;
}

LinkSpec parse_link_spec_text(std::string_view text) {
  const json doc = parse_object(text, "bad-link");
  std::vector<std::string> errors;
  LinkSpec spec = parse_link_spec(doc, "link", errors);
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
    throw BadMessage("bad-link", all);
  }
  return spec;
}

LinkUpdate parse_link_update(std::string_view payload) {
  const json doc = parse_object(payload, "bad-link-update");
  LinkUpdate update;
  auto link = doc.find("link");
  if (link == doc.end() || !link->is_string() || link->get<std::string>().empty()) {
    throw BadMessage("bad-link-update", "field 'link' must name a site or device");
  }
  update.link = link->get<std::string>();
  auto spec = doc.find("spec");
  if (spec == doc.end()) throw BadMessage("bad-link-update", "missing field 'spec'");
  std::vector<std::string> errors;
  update.spec = parse_link_spec(*spec, "spec", errors);
  if (!errors.empty()) throw BadMessage("bad-link-update", errors.front());
  if (auto id = doc.find("id"); id != doc.end() && id->is_string()) update.id = *id;
  if (auto ts = doc.find("ts"); ts != doc.end() && ts->is_number_integer()) update.ts = *ts;
  return update;
}

std::string to_json(const LinkUpdate& update) {
  json out = {{"link", update.link}, {"spec", update.spec.to_json()}};
  if (!update.id.empty()) out["id"] = update.id;
  if (update.ts != 0) out["ts"] = update.ts;
  return out.dump();
}

LinkReport parse_link_report(std::string_view payload) {
  const json doc = parse_object(payload, "bad-link-report");
  LinkReport report;
  auto text = [&](const char* key) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) {
      throw BadMessage("bad-link-report", std::string("field '") + key + "' must be a string");
    }
    return it->get<std::string>();
  };
  report.reporter = text("reporter");
  report.engine = text("engine");
  if (auto ts = doc.find("ts"); ts != doc.end() && ts->is_number_integer()) report.ts = *ts;
  if (auto notes = doc.find("notes"); notes != doc.end() && notes->is_array()) {
    for (const auto& n : *notes)
      if (n.is_string()) report.notes.push_back(n);
  }
  auto links = doc.find("links");
  if (links == doc.end() || !links->is_object()) {
    throw BadMessage("bad-link-report", "field 'links' must be an object of link id -> traffic");
  }
  for (const auto& [id, item] : links->items()) {
    if (!item.is_object())
      throw BadMessage("bad-link-report", "links." + id + " must be an object");
    LinkTraffic traffic;
    if (auto props = item.find("properties"); props != item.end() && props->is_array()) {
      for (const auto& p : *props)
        if (p.is_string()) traffic.properties.push_back(p);
    }
    traffic.bytes_up = get_count(item, "bytes_up");
    traffic.bytes_down = get_count(item, "bytes_down");
    traffic.packets_up = get_count(item, "packets_up");
    traffic.packets_down = get_count(item, "packets_down");
    traffic.dropped = get_count(item, "dropped");
    traffic.connections = get_count(item, "connections");
    report.links.emplace(id, std::move(traffic));
  }
  return report;
}

std::string to_json(const LinkReport& report) {
  json links = json::object();
  for (const auto& [id, t] : report.links) {
    links[id] = {{"properties", t.properties},     {"bytes_up", t.bytes_up},
                 {"bytes_down", t.bytes_down},     {"packets_up", t.packets_up},
                 {"packets_down", t.packets_down}, {"dropped", t.dropped},
                 {"connections", t.connections}};
  }
  json out = {{"reporter", report.reporter},
              {"engine", report.engine},
              {"ts", report.ts},
              {"links", std::move(links)}};
  if (!report.notes.empty()) out["notes"] = report.notes;
  return out.dump();
}

std::vector<LinkReport> split_link_report(LinkReport whole, std::size_t links_per_report) {
  links_per_report = std::max<std::size_t>(links_per_report, 1);
  std::vector<LinkReport> parts;
  auto next_part = [&] {
    LinkReport part;
    part.reporter =
        parts.empty() ? whole.reporter : whole.reporter + "." + std::to_string(parts.size() + 1);
    part.engine = whole.engine;
    part.ts = whole.ts;
    if (parts.empty()) part.notes = std::move(whole.notes);
    parts.push_back(std::move(part));
  };
  next_part();
  while (!whole.links.empty()) {
    if (parts.back().links.size() == links_per_report) next_part();
    parts.back().links.insert(whole.links.extract(whole.links.begin()));
  }
  return parts;
}

}  // namespace snet
