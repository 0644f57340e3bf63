#include "link_applier.hpp"

#include <nlohmann/json.hpp>

#include "snet/clock.hpp"
#include "snet/log.hpp"
#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet::kernel {

KernelLinkApplier::KernelLinkApplier(KernelShaper& shaper, std::vector<std::string> notes,
                                     std::string topology, BusOptions bus_options,
                                     std::chrono::milliseconds report_every)
    : shaper_(shaper),
      notes_(std::move(notes)),
      topology_(std::move(topology)),
      bus_options_(std::move(bus_options)),
      report_every_(report_every) {}

KernelLinkApplier::~KernelLinkApplier() {
  stop();
}

void KernelLinkApplier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!bus_) return;
  // Stopped: the links are no longer shaped, so no report stays behind (retained).
  if (reports_) reports_->clear();
  reports_.reset();
  bus_->stop();
  bus_.reset();
}

void KernelLinkApplier::start() {
  bus_ = make_bus(bus_options_);
  bus_->on_message([this](const Message& message) {
    {
      std::lock_guard lock(mutex_);
      inbox_.push_back(message);
    }
    cv_.notify_one();
  });
  bus_->subscribe(topics::link_control_filter(topology_), Qos::at_least_once);
  reports_.emplace(*bus_, topology_);
  bus_->start();
  thread_ = std::thread([this] { run(); });
}

void KernelLinkApplier::run() {
  auto next_report = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_until(lock, next_report, [this] { return stopping_ || !inbox_.empty(); });
    if (stopping_) break;
    while (!inbox_.empty()) {
      const Message message = std::move(inbox_.front());
      inbox_.pop_front();
      lock.unlock();
      handle(message);
      lock.lock();
    }
    if (std::chrono::steady_clock::now() >= next_report) {
      lock.unlock();
      publish_report();
      lock.lock();
      next_report = std::chrono::steady_clock::now() + report_every_;
    }
  }
}

void KernelLinkApplier::handle(const Message& message) {
  if (message.payload.empty()) return;  // a retained update being cleared
  const std::string prefix = topics::link_control_topic(topology_, "");
  const std::string topic_link =
      message.topic.rfind(prefix, 0) == 0 ? message.topic.substr(prefix.size()) : "";
  try {
    const LinkUpdate update = parse_link_update(message.payload);
    if (update.link != topic_link) {
      throw BadMessage("bad-link-update",
                       "link '" + update.link + "' on the topic of '" + topic_link + "'");
    }
    const auto errors = shaper_.apply(update.link, update.spec);
    if (!errors.empty()) {
      ++rejected_;
      for (const auto& error : errors) log::warn("links: ", update.link, ": ", error);
      return;
    }
    ++applied_;
    log::info("links: kernel applied ", update.link, " ", update.spec.to_json().dump(),
              update.id.empty() ? "" : " (" + update.id + ")");
  } catch (const std::exception& e) {
    ++rejected_;
    log::warn("links: ignored a link update on ", message.topic, ": ", e.what());
  }
}

void KernelLinkApplier::publish_report() {
  LinkReport report;
  report.reporter = "kernel";
  report.engine = "kernel";
  report.ts = now_us();
  report.links = shaper_.traffic();
  report.notes = notes_;
  reports_->publish(split_link_report(std::move(report)));
}

}  // namespace snet::kernel
