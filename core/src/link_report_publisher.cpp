#include "snet/link_report_publisher.hpp"

#include "snet/message.hpp"
#include "snet/topics.hpp"

namespace snet {

void LinkReportPublisher::publish(const std::vector<LinkReport>& parts) {
  for (const LinkReport& part : parts) {
    reporters_.insert(part.reporter);
    bus_.publish(
        Message{topics::link_report_topic(topology_, part.reporter), to_json(part), true, {}},
        Qos::at_least_once);
  }
}

void LinkReportPublisher::clear() {
  for (const auto& reporter : reporters_) {
    bus_.publish(Message{topics::link_report_topic(topology_, reporter), "", true, {}},
                 Qos::at_least_once);
  }
  reporters_.clear();
}

}  // namespace snet
