#include "activator.hpp"

#include <algorithm>

#include "snet/clock.hpp"

namespace snet::whisk {
namespace {

// OpenWhisk's texts (common/scala .../http/ErrorResponse.scala, Messages).
constexpr const char* kComponentMissing = "Sequence component does not exist.";
constexpr const char* kTooLong = "Too many actions in the sequence.";
constexpr const char* kCyclic = "Sequence may not refer to itself.";
constexpr const char* kSequenceFailed = "Sequence failed.";
// A component's blocking wait: its time limit and a minute more, as the controller waits.
constexpr long kComponentWaitExtraMs = 60000;

std::int64_t now_ms() {
  return now_us() / 1000;
}

std::string short_name(const std::string& qualified) {
  return qualified.substr(qualified.rfind('/') + 1);
}

}  // namespace

struct Activator::Run {
  std::shared_ptr<const Action> sequence;
  std::string id;
  std::string cause;  // the enclosing sequence's id ("" : topmost)
  Answer answer;      // called once: the record, or nullptr when the caller's wait ran out
  std::shared_ptr<std::size_t> atomic_count;  // shared by a topmost sequence and its inner ones
  std::size_t next = 0;
  nlohmann::json input;  // the next component's input
  std::string status = kSuccess;
  nlohmann::json result = nlohmann::json::object();
  std::vector<std::string> component_ids;
  std::int64_t start_ms = now_ms();
  std::int64_t duration_ms = 0;
  long max_memory_mb = 0;
  bool done = false;
};

Activator::Activator(ActionStore& actions, ActivationStore& activations, Invoker& invoker,
                     std::function<std::string()> new_id)
    : actions_(actions), activations_(activations), invoker_(invoker), new_id_(std::move(new_id)) {}

bool Activator::start(std::shared_ptr<const Action> action, const nlohmann::json& payload,
                      std::string id, std::chrono::milliseconds wait, Answer answer) {
  if (!action->is_sequence()) {
    return invoker_.invoke(action, action->merged_params(payload), std::move(id), wait,
                           std::move(answer));
  }
  auto run = std::make_shared<Run>();
  run->sequence = std::move(action);
  run->id = std::move(id);
  run->input = payload.is_object() ? payload : nlohmann::json::object();
  run->atomic_count = std::make_shared<std::size_t>(0);
  // The caller's answer: at most once, with the record or (wait over) with nothing.
  auto shared_answer = std::make_shared<Answer>(std::move(answer));
  run->answer = [shared_answer](std::shared_ptr<const ActivationRecord> record) {
    if (auto a = std::exchange(*shared_answer, nullptr)) a(std::move(record));
  };
  if (wait.count() <= 0) {
    run->answer(nullptr);
  } else {
    invoker_.post([answer = run->answer] { answer(nullptr); }, wait);
  }
  invoker_.post([this, run] { start_sequence(run); });
  return true;
}

void Activator::start_sequence(std::shared_ptr<Run> run) {
  next_component(run);
}

void Activator::next_component(const std::shared_ptr<Run>& run) {
  if (run->next >= run->sequence->components.size()) {
    return finish_sequence(run, run->status, run->result);
  }
  const std::string name = short_name(run->sequence->components[run->next++]);
  auto component = actions_.find(name);
  if (!component) return finish_sequence(run, kApplicationError, {{"error", kComponentMissing}});
  if (!component->is_sequence() && ++*run->atomic_count > kMaxSequenceLength) {
    return finish_sequence(run, kApplicationError, {{"error", kTooLong}});
  }
  auto on_record = [this, run](std::shared_ptr<const ActivationRecord> record) {
    if (!record) {  // cannot happen with the wait given, but never hang the sequence
      return finish_sequence(run, kInternalError, {{"error", kSequenceFailed}});
    }
    run->component_ids.push_back(record->id);
    run->duration_ms +=
        record->duration_ms >= 0 ? record->duration_ms : record->end_ms - record->start_ms;
    if (record->limits.contains("memory") && record->limits["memory"].is_number()) {
      run->max_memory_mb = std::max(run->max_memory_mb, record->limits["memory"].get<long>());
    }
    run->status = record->status;
    run->result = record->result;
    // A result with an "error" field ends the sequence with that response.
    if (record->result.is_object() && record->result.contains("error")) {
      return finish_sequence(run, run->status, run->result);
    }
    run->input = record->result.is_object() ? record->result : nlohmann::json::object();
    next_component(run);
  };
  if (component->is_sequence()) {
    auto inner = std::make_shared<Run>();
    inner->sequence = component;
    inner->id = new_id_();
    inner->cause = run->id;
    inner->input = run->input;
    inner->atomic_count = run->atomic_count;
    inner->answer = std::move(on_record);
    return start_sequence(inner);
  }
  const auto wait = std::chrono::milliseconds(component->limits.timeout_ms + kComponentWaitExtraMs);
  const bool accepted = invoker_.invoke(component, component->merged_params(run->input), new_id_(),
                                        wait, std::move(on_record), run->id);
  if (!accepted) finish_sequence(run, kInternalError, {{"error", kSequenceFailed}});
}

void Activator::finish_sequence(const std::shared_ptr<Run>& run, std::string status,
                                nlohmann::json result) {
  if (run->done) return;
  run->done = true;
  auto record = std::make_shared<ActivationRecord>();
  record->id = run->id;
  record->ns = run->sequence->ns;
  record->name = run->sequence->name;
  record->version = run->sequence->version;
  record->kind = kSequenceKind;
  record->cause = run->cause;
  record->topmost = run->cause.empty();
  record->start_ms = run->start_ms;
  record->end_ms = now_ms();
  record->duration_ms = run->duration_ms;
  record->wait_ms = 0;
  record->status = std::move(status);
  record->result = result.is_object() ? std::move(result) : nlohmann::json::object();
  record->logs = run->component_ids;
  if (run->max_memory_mb > 0) {
    record->limits = {{"timeout", run->sequence->limits.timeout_ms},
                      {"memory", run->max_memory_mb},
                      {"logs", run->sequence->limits.logs_mb}};
  }
  activations_.put(record);
  run->answer(std::move(record));
}

std::optional<std::string> Activator::check_sequence(const Action& sequence) const {
  std::size_t atomic = 0;
  // Inlines the components depth first; `path` holds the sequences being expanded.
  std::function<std::optional<std::string>(const std::vector<std::string>&,
                                           std::vector<std::string>&)>
      inline_components = [&](const std::vector<std::string>& components,
                              std::vector<std::string>& path) -> std::optional<std::string> {
    for (const auto& qualified : components) {
      const std::string name = short_name(qualified);
      if (std::find(path.begin(), path.end(), name) != path.end()) return kCyclic;
      auto component = actions_.find(name);
      if (!component) return kComponentMissing;
      if (!component->is_sequence()) {
        if (++atomic > kMaxSequenceLength) return kTooLong;
        continue;
      }
      path.push_back(name);
      if (auto problem = inline_components(component->components, path)) return problem;
      path.pop_back();
    }
    return std::nullopt;
  };
  std::vector<std::string> path{sequence.name};
  return inline_components(sequence.components, path);
}

}  // namespace snet::whisk
