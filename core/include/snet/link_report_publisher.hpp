// Publishes an emulated-network engine's LinkReport parts (split_link_report) retained on
// snet/<topology>/status/links/<reporter>, and clears every part it published when its engine
// stops: no report stays behind (a broker with persistence would keep it for the next run).
// Used by the agents' process engine and `snet up`'s kernel engine.
// Thread safety: one thread at a time; `bus` outlives it.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "snet/bus.hpp"
#include "snet/link.hpp"

namespace snet {

class LinkReportPublisher {
 public:
  LinkReportPublisher(Bus& bus, std::string topology) : bus_(bus), topology_(std::move(topology)) {}

  /// Each part, retained, at least once.
  void publish(const std::vector<LinkReport>& parts);
  /// An empty retained message on the topic of every part published so far.
  void clear();

 private:
  Bus& bus_;
  std::string topology_;
  std::set<std::string> reporters_;
};

}  // namespace snet
