#include "snet/scenario_status.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace snet {
namespace {

using nlohmann::json;

constexpr const char* kBad = "bad-scenario-status";

const json* field(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it == doc.end() || it->is_null() ? nullptr : &*it;
}

std::string text(const json& doc, const char* key, const std::string& where, bool required) {
  const json* value = field(doc, key);
  if (value == nullptr) {
    if (required) throw BadMessage(kBad, where + key + " is missing");
    return {};
  }
  if (!value->is_string()) throw BadMessage(kBad, where + key + " must be a string");
  return value->get<std::string>();
}

double seconds(const json& doc, const char* key, const std::string& where) {
  const json* value = field(doc, key);
  if (value == nullptr) throw BadMessage(kBad, where + key + " is missing");
  if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < 0) {
    throw BadMessage(kBad, where + key + " must be a number of seconds, 0 or more");
  }
  return value->get<double>();
}

std::uint64_t count(const json& doc, const char* key) {
  const json* value = field(doc, key);
  if (value == nullptr) return 0;
  if (!value->is_number_unsigned() && !(value->is_number_integer() && value->get<long long>() >= 0))
    throw BadMessage(kBad, std::string(key) + " must be a count (an integer, 0 or more)");
  return value->get<std::uint64_t>();
}

Micros micros(const json& doc, const char* key) {
  const json* value = field(doc, key);
  if (value == nullptr) return 0;
  if (!value->is_number_integer()) {
    throw BadMessage(kBad, std::string(key) + " must be an integer (microseconds)");
  }
  return value->get<Micros>();
}

template <typename Enum, std::size_t N>
Enum one_of(const json& doc, const char* key, const std::string& where, const Enum (&values)[N],
            const char* names) {
  const std::string name = text(doc, key, where, true);
  for (Enum v : values) {
    if (to_string(v) == name) return v;
  }
  throw BadMessage(kBad, where + key + " '" + name + "' is not one of " + names);
}

ScenarioStep parse_step(const json& item, std::size_t index) {
  const std::string where = "timeline[" + std::to_string(index) + "].";
  if (!item.is_object())
    throw BadMessage(kBad, where.substr(0, where.size() - 1) + " must be an object");
  ScenarioStep step;
  step.label = text(item, "label", where, true);
  step.kind = text(item, "kind", where, false);
  step.at_s = seconds(item, "at_s", where);
  if (field(item, "until_s") != nullptr) {
    step.until_s = seconds(item, "until_s", where);
    if (*step.until_s < step.at_s) throw BadMessage(kBad, where + "until_s is before at_s");
  }
  constexpr StepState kStates[] = {StepState::pending, StepState::active, StepState::done};
  step.state = one_of(item, "state", where, kStates, "pending, active, done");
  return step;
}

}  // namespace

std::string_view to_string(ScenarioState state) {
  switch (state) {
    case ScenarioState::running:
      return "running";
    case ScenarioState::finished:
      return "finished";
    case ScenarioState::cancelled:
      return "cancelled";
  }
  return "?";
}

std::string_view to_string(StepState state) {
  switch (state) {
    case StepState::pending:
      return "pending";
    case StepState::active:
      return "active";
    case StepState::done:
      return "done";
  }
  return "?";
}

std::string scenario_phase(const std::vector<ScenarioStep>& timeline) {
  if (timeline.empty()) return "";
  const ScenarioStep* during = nullptr;
  const ScenarioStep* after = nullptr;
  for (const auto& step : timeline) {
    if (step.state == StepState::active) during = &step;  // the latest one in force
    if (step.state != StepState::pending) after = &step;
  }
  if (during != nullptr) return "during " + during->label;
  if (after != nullptr) return "after " + after->label;
  return "before " + timeline.front().label;
}

ScenarioStatus parse_scenario_status(std::string_view payload) {
  if (payload.size() > kMaxScenarioStatusBytes) {
    throw BadMessage("oversized", "scenario status of " + std::to_string(payload.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxScenarioStatusBytes));
  }
  const json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw BadMessage("malformed_json", "payload is not valid JSON");
  if (!doc.is_object()) throw BadMessage(kBad, "payload must be a JSON object");
  ScenarioStatus s;
  s.name = text(doc, "name", "", true);
  if (s.name.empty()) throw BadMessage(kBad, "name is empty");
  s.description = text(doc, "description", "", false);
  s.run = text(doc, "run", "", false);
  s.duration_s = seconds(doc, "duration_s", "");
  s.elapsed_s = seconds(doc, "elapsed_s", "");
  s.started = micros(doc, "started");
  s.ts = micros(doc, "ts");
  constexpr ScenarioState kStates[] = {ScenarioState::running, ScenarioState::finished,
                                       ScenarioState::cancelled};
  s.state = one_of(doc, "state", "", kStates, "running, finished, cancelled");
  if (const json* timeline = field(doc, "timeline")) {
    if (!timeline->is_array()) throw BadMessage(kBad, "timeline must be a list of steps");
    if (timeline->size() > kMaxScenarioSteps) {
      throw BadMessage(kBad,
                       "timeline has more than " + std::to_string(kMaxScenarioSteps) + " steps");
    }
    for (std::size_t i = 0; i < timeline->size(); ++i)
      s.timeline.push_back(parse_step((*timeline)[i], i));
  }
  s.phase = text(doc, "phase", "", false);
  s.planned = count(doc, "planned");
  s.sent = count(doc, "sent");
  s.acked = count(doc, "acked");
  s.applied = count(doc, "applied");
  s.pending = count(doc, "pending");
  if (field(doc, "lost") != nullptr) s.lost = count(doc, "lost");
  s.action_errors = count(doc, "action_errors");
  return s;
}

json to_json_value(const ScenarioStatus& s) {
  json timeline = json::array();
  for (const auto& step : s.timeline) {
    timeline.push_back({{"label", step.label},
                        {"at_s", step.at_s},
                        {"until_s", step.until_s ? json(*step.until_s) : json()},
                        {"kind", step.kind},
                        {"state", to_string(step.state)}});
  }
  return {{"name", s.name},
          {"description", s.description},
          {"run", s.run},
          {"duration_s", s.duration_s},
          {"elapsed_s", s.elapsed_s},
          {"started", s.started},
          {"ts", s.ts},
          {"state", to_string(s.state)},
          {"timeline", std::move(timeline)},
          {"phase", s.phase},
          {"planned", s.planned},
          {"sent", s.sent},
          {"acked", s.acked},
          {"applied", s.applied},
          {"pending", s.pending},
          {"lost", s.lost ? json(*s.lost) : json()},
          {"action_errors", s.action_errors}};
}

std::string to_json(const ScenarioStatus& status) {
  // Replace, not throw, on invalid UTF-8 in a label: the status must still go out.
  return to_json_value(status).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace snet
