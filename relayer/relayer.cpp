#include "relayer.hpp"

#include <algorithm>

#include "press_intake.hpp"
#include "route_targets.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/refused_publish.hpp"
#include "snet/routing.hpp"
#include "snet/topics.hpp"

namespace snet::relayer {

std::optional<std::string> compute_problem(const Topology& topology, const std::string& compute) {
  if (compute.empty() || compute == Topology::kDefaultCompute) return std::nullopt;
  if (topology.find_compute(compute) != nullptr) return std::nullopt;
  std::string names;
  for (const auto& c : topology.computes) names += ", " + c.name;
  return "topology '" + topology.name + "' has no compute '" + compute +
         "' (computes: " + std::string(Topology::kDefaultCompute) + names + ")";
}

Relayer::Relayer(Bus& bus, const Topology& topology, ComputeBackends backends, Metrics& metrics,
                 RelayerOptions options)
    : bus_(bus),
      topology_(topology),
      metrics_(metrics),
      presses_(metrics.counter("snet_relayer_presses_total", "Presses accepted (after dedupe)")),
      duplicates_(metrics.counter("snet_relayer_duplicates_total",
                                  "Presses dropped because their id was already applied")),
      commands_(metrics.counter("snet_relayer_commands_total",
                                "Commands published (one per route of a press)")),
      unroutable_(metrics.counter("snet_relayer_unroutable_total",
                                  "Commands the broker returned: no queue bound for them (AMQP)")),
      publish_failures_(metrics.counter("snet_relayer_publish_failures_total",
                                        "Commands the broker refused or that were not confirmed")),
      command_retries_(metrics.counter("snet_relayer_command_retries_total",
                                       "Commands published again after the broker refused one")),
      press_errors_(metrics.counter("snet_relayer_press_errors_total",
                                    "Presses that failed (compute error, no targets)")),
      in_flight_(metrics.gauge("snet_relayer_in_flight", "Compute invocations in flight")),
      connected_(metrics.gauge("snet_relayer_connected",
                               "1 while connected to the broker and subscribed")),
      bad_readings_(metrics.counter("snet_relayer_bad_readings_total",
                                    "Readings of a rule's sensor that were refused (malformed, "
                                    "retained, another device's)")),
      seen_presses_(options.dedupe_capacity),
      backends_(std::move(backends)) {
  for (auto reason : kPressRejectReasons) rejected(std::string(reason));
  for (const Device* button : topology_.buttons()) {
    if (backends_.find(button->compute.backend) == nullptr) {
      log::warn("button '", button->id, "' uses compute backend '", button->compute.backend,
                "', which this relayer does not have: its presses will fail");
    }
  }
  for (const auto& exchange : routing::exchanges_of(topology_)) bus_.declare_exchange(exchange);
  bus_.on_message([this](const Message& message) { handle(message); });
  Counter& losses = metrics.counter("snet_relayer_connection_losses_total",
                                    "Times the broker connection was lost (the bus reconnects)");
  bus_.on_connection_change([this, &losses](bool up) {
    if (!up && connected_.value() == 1) losses.add();
    connected_.set(up ? 1 : 0);
  });
  bus_.subscribe(topics::all(topology_.name, topics::Kind::state), Qos::at_least_once);
  subscribe_presses(options);
  subscribe_readings(options);
}

void Relayer::subscribe_readings(const RelayerOptions& options) {
  if (!options.rules) return;
  for (const Rule& rule : topology_.rules) {
    if (!options.compute.empty() && rule.action.compute.name() != options.compute) continue;
    if (backends_.find(rule.action.compute.backend) == nullptr) {
      log::warn("rule '", rule.id, "' uses compute backend '", rule.action.compute.backend,
                "', which this relayer does not have: its firings will fail");
    }
    Counter& firings = metrics_.counter("snet_relayer_rule_firings_total",
                                        "Times a rule fired (a reading met its condition)",
                                        "rule=\"" + rule.id + "\"");
    for (const auto& device : rule.sources) {
      auto& watches = watches_[device];
      if (watches.empty()) {
        // Every reading, not a share: the trigger needs them in order. Only one relayer per
        // compute evaluates rules (RelayerOptions::rules).
        bus_.subscribe(topics::make(topology_.name, topics::Kind::reading, device),
                       Qos::at_least_once);
      }
      watches.push_back(RuleWatch{&rule, RuleTrigger(rule.above, rule.threshold), &firings});
    }
  }
}

void Relayer::subscribe_presses(const RelayerOptions& options) {
  std::vector<std::string> filters;
  std::string group = options.share_group;
  if (options.compute.empty()) {
    filters.push_back(topics::all(topology_.name, topics::Kind::press));
  } else {
    // Topics carry no compute: one filter per button (press topics are per button).
    for (const Device* button : topology_.buttons_using(options.compute)) {
      filters.push_back(topics::make(topology_.name, topics::Kind::press, button->id));
    }
    if (!group.empty()) group += "-" + options.compute;
    if (filters.empty()) log::warn("no button uses compute '", options.compute, "': no presses");
  }
  for (const auto& filter : filters) {
    if (group.empty()) {
      bus_.subscribe(filter, Qos::at_least_once);
    } else {
      bus_.subscribe_shared(group, filter, Qos::at_least_once);
    }
  }
}

namespace {
void acknowledge(const Message& message) {
  if (message.ack) message.ack();
}
}  // namespace

Counter& Relayer::rejected(const std::string& reason) {
  return metrics_.counter("snet_relayer_rejected_total", "Presses rejected, by reason",
                          "reason=\"" + reason + "\"");
}

void Relayer::handle(const Message& message) {
  const auto topic = topics::parse(message.topic);
  if (topic && topic->topology == topology_.name && topic->kind == topics::Kind::press) {
    return on_press(message, topic->device);  // acknowledged when settled
  }
  if (topic && topic->topology == topology_.name && topic->kind == topics::Kind::reading) {
    return on_reading(message, topic->device);  // acknowledged when its firings are settled
  }
  if (topic && topic->topology == topology_.name && topic->kind == topics::Kind::state) {
    on_state(message, topic->device);
  } else {
    rejected("unknown_topic").add();
    log::warn("ignored a message on ", message.topic, ": not a press or state topic of '",
              topology_.name, "'");
  }
  acknowledge(message);
}

void Relayer::on_press(const Message& message, const std::string& button) {
  AcceptedPress accepted;
  try {
    accepted = accept_press(topology_, button, message);
  } catch (const BadMessage& bad) {
    rejected(bad.reason).add();
    log::warn("rejected press on ", message.topic, ": ", bad.reason, ": ", bad.what());
    return acknowledge(message);  // bad input is not retried
  }
  std::shared_ptr<PressSettlement> settlement;
  {
    std::lock_guard lock(dedupe_mutex_);
    if (!seen_presses_.insert(accepted.press.id)) {
      duplicates_.add();
      log::info("press ", accepted.press.id, " on ", button, " already seen; ignored");
      // Still in progress: acknowledged with the original, once that is safe.
      if (!ledger_.join(accepted.press.id, message.ack)) acknowledge(message);
      return;
    }
    settlement = ledger_.begin(accepted.press.id, message.ack);
  }
  presses_.add();
  const Device& device = *accepted.button;
  dispatch(PressContext{device.id, device.compute.action, accepted.press.id, accepted.press.ts,
                        &device, std::move(settlement)},
           std::nullopt);
}

void Relayer::on_reading(const Message& message, const std::string& device) {
  const auto watched = watches_.find(device);
  if (watched == watches_.end()) return acknowledge(message);
  Reading reading;
  try {
    if (message.retained) throw BadMessage("retained", "a retained reading is stale");
    if (message.payload.size() > kMaxPayloadBytes) throw BadMessage("oversized", "too large");
    reading = parse_reading(message.payload);
    if (reading.device != device) {
      throw BadMessage("device_mismatch",
                       "payload device '" + reading.device + "' differs from the topic's");
    }
  } catch (const BadMessage& bad) {
    bad_readings_.add();
    log::warn("ignored a reading on ", message.topic, ": ", bad.reason, ": ", bad.what());
    return acknowledge(message);
  }
  std::vector<RuleWatch*> fired;
  for (auto& watch : watched->second) {
    if (reading.capability != watch.rule->reading) continue;
    if (watch.trigger.observe(reading) == RuleTrigger::Verdict::fire) fired.push_back(&watch);
  }
  if (fired.empty()) return acknowledge(message);
  // The reading is acknowledged once every firing it caused is settled: a relayer that dies
  // meanwhile gets it again, and the same press ids make the commands idempotent.
  auto pending = std::make_shared<std::atomic<int>>(static_cast<int>(fired.size()));
  std::function<void()> ack;
  if (message.ack) {
    ack = [pending, original = message.ack] {
      if (pending->fetch_sub(1) == 1) original();
    };
  }
  for (RuleWatch* watch : fired) {
    const Rule& rule = *watch->rule;
    const std::string press_id = "rule:" + rule.id + ":" + device + ":" +
                                 std::to_string(reading.seq) + ":" + std::to_string(reading.ts);
    std::shared_ptr<PressSettlement> settlement;
    {
      std::lock_guard lock(dedupe_mutex_);
      if (!seen_presses_.insert(press_id)) {
        duplicates_.add();
        if (!ledger_.join(press_id, ack) && ack) ack();
        continue;
      }
      settlement = ledger_.begin(press_id, ack);
    }
    watch->firings->add();
    log::info("rule '", rule.id, "' fired: ", device, " ", reading.capability, " ", reading.value,
              rule.above ? " > " : " < ", rule.threshold);
    dispatch(
        PressContext{rule.id, rule.action.compute.action, press_id,
                     reading.ts != 0 ? reading.ts : now_us(), &rule.action, std::move(settlement)},
        RuleCause{rule.id, device, reading.capability, reading.value, reading.unit, reading.seq,
                  reading.ts});
  }
}

void Relayer::dispatch(PressContext press, std::optional<RuleCause> cause) {
  const Device& device = *press.device;
  Compute* compute = backends_.find(device.compute.backend);
  if (compute == nullptr) {
    fail(press, "compute backend '" + device.compute.backend + "' is not available");
    press.settlement->dispatched();
    return;
  }
  ComputeRequest request;
  request.topology = topology_.name;
  request.button = device.id;
  request.action = device.compute.action;
  request.trigger = device.compute.trigger;
  request.press_id = press.press_id;
  request.press_ts = press.press_ts;
  request.button_attrs = device.attrs;
  request.cause = std::move(cause);
  for (const auto& route : device.routes) {
    request.targets.push_back(target_for(topology_, route, states_));
    // The action publishes this command itself: it needs to know where.
    if (!request.trigger.empty()) request.targets.back().topic = command_topic(topology_, route);
  }
  in_flight_.add(1);
  compute->invoke(std::move(request), [this, press = std::move(press)](ComputeResult result) {
    in_flight_.add(-1);
    on_result(press, std::move(result));
    press.settlement->dispatched();
  });
}

void Relayer::on_result(const PressContext& press, ComputeResult result) {
  if (!result.error.empty()) return fail(press, result.error);
  if (result.delegated) return;  // the trigger's rule runs the action, which publishes
  if (result.commands.empty())
    return fail(press, "action '" + press.action + "' commanded no target");
  std::string strangers;
  const Micros relay_ts = now_us();
  const auto& routes = press.device->routes;
  for (const auto& [target, on] : result.commands) {
    const auto route =
        std::find_if(routes.begin(), routes.end(), [&](const Route& r) { return r.id == target; });
    if (route == routes.end()) {
      strangers += (strangers.empty() ? "'" : ", '") + target + "'";
      continue;
    }
    for (const auto& member : route->members) states_.commanded(member, on, press.press_id);
    send(press, *route, Command{on, press.press_id, press.button, press.press_ts, relay_ts});
  }
  if (!strangers.empty()) {
    fail(press, "action '" + press.action + "' commanded " + strangers +
                    ", which are not targets of this button (ignored)");
  }
}

void Relayer::send(const PressContext& press, const Route& route, const Command& command,
                   int attempt) {
  const routing::Address address = routing::address_of(topology_, route);
  Message message{address.topic, to_json(command), false, address.headers};
  // Outstanding from the first try until the last one is answered (retries carry it over).
  if (attempt == 1) press.settlement->expect();
  // Runs on the bus thread when the broker answered; publishing the error from there is fine.
  auto done = [this, press, route, command, attempt](bool ok, const std::string& error) {
    if (!ok && refused_publish::try_again(attempt, error)) {
      command_retries_.add();
      log::info("press ", press.press_id, ": the command to ", route.id, " was not delivered (",
                error, "); trying again (attempt ", attempt + 1, ")");
      retries_.after(refused_publish::pause_after(attempt), [this, press, route, command, attempt] {
        send(press, route, command, attempt + 1);
      });
      return;
    }
    if (!ok) {
      (error.rfind("unroutable", 0) == 0 ? unroutable_ : publish_failures_).add();
      fail(press, "the command to " + route.id + " was not delivered: " + error);
    }
    press.settlement->answered();
  };
  if (address.exchange.empty()) {
    bus_.publish(std::move(message), Qos::at_least_once, std::move(done));
  } else {
    bus_.publish_to(address.exchange, std::move(message), Qos::at_least_once, std::move(done));
  }
  if (attempt == 1) commands_.add();
}

void Relayer::fail(const PressContext& press, const std::string& error) {
  press_errors_.add();
  log::warn("press ", press.press_id, " on ", press.button, " failed: ", error);
  const PressError event{press.press_id, press.button,   press.action,
                         error,          press.press_ts, now_us()};
  press.settlement->expect();
  bus_.publish(Message{topics::make(topology_.name, topics::Kind::event, press.button),
                       to_json(event),
                       false,
                       {}},
               Qos::at_least_once, [settlement = press.settlement](bool, const std::string&) {
                 settlement->answered();
               });
}

void Relayer::on_state(const Message& message, const std::string& actuator) {
  const Device* device = topology_.find(actuator);
  if (device == nullptr || device->kind != DeviceKind::actuator) return;
  try {
    const StateReport report = parse_state(message.payload);
    states_.reported(actuator, report.on, report.press_id);
  } catch (const BadMessage& bad) {
    // Not ours to reject (the state service counts bad reports); just do not trust it.
    log::debug("ignored state report on ", message.topic, ": ", bad.what());
  }
}

}  // namespace snet::relayer
