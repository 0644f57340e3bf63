// When a rule fires (topology/README.md, "Rules"): edge-triggered on one sensor's readings. It
// fires on the first reading that meets the condition after one that did not, or on the first
// reading seen at all; it re-arms when a reading leaves the condition. A reading that is not
// newer than the last one of its device (a redelivery: seq and ts both not ahead) changes
// nothing, so a duplicate never fires twice; a sensor that restarted (seq from 1 again, a later
// ts) is followed.
// Thread safety: none; the relayer calls it from the bus thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "snet/clock.hpp"
#include "snet/message.hpp"

namespace snet::relayer {

class RuleTrigger {
 public:
  /// above: fires when value > threshold; else when value < threshold.
  RuleTrigger(bool above, double threshold) : above_(above), threshold_(threshold) {}

  enum class Verdict { fire, quiet, stale };
  /// Feeds one reading of one device (the caller checked its capability).
  Verdict observe(const Reading& reading);
  bool meets(double value) const { return above_ ? value > threshold_ : value < threshold_; }

 private:
  struct Last {
    std::uint64_t seq = 0;
    Micros ts = 0;
    bool met = false;
  };
  bool above_;
  double threshold_;
  std::map<std::string, Last> last_;  // by device
};

}  // namespace snet::relayer
