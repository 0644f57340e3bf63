// The process engine's policy: when a segment that enters a chain of links leaves it. Pure (no
// I/O, no clock: the caller passes the time), so it is unit-tested to the microsecond.
//
// Per link and direction (up: device -> core, down: core -> device), in the order a segment
// meets them (up: device's last hop, its site, parent sites; down: the reverse):
// - rate: serialization, bytes * 8 / rate_kbit ms, starting when the link is free (`busy_until`,
//   shared by every connection across the link);
// - latency ± jitter: uniform in [latency - jitter, latency + jitter] (never below 0), from the
//   link's own generator, seeded with LinkSpec::seed or else a stable hash of the link's id;
// - loss, the way TCP shows it to the application: a lost segment arrives after a retransmission
//   timeout, RTO = max(200 ms, the path's round trip) like Linux, doubling each time the same
//   segment is lost again (at most 15 times, each RTO at most 120 s);
// - up=false (a cut): nothing crosses; the caller holds segments until up(path) again.
// The release time of a segment is never before `not_before` (the previous segment of the same
// connection direction): TCP delivers in order.
// Thread safety: none; one thread (the relay's) uses it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snet/link.hpp"

namespace snet::network {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class Direction { up = 0, down = 1 };  // up: device -> core

/// One TCP segment's payload on an Ethernet link (1500 - IP and TCP headers with timestamps).
inline constexpr std::size_t kSegmentBytes = 1448;
inline constexpr std::chrono::milliseconds kMinRto{200};
inline constexpr std::chrono::milliseconds kMaxRto{120'000};
inline constexpr int kMaxRetransmissions = 15;

/// A link's traffic since start.
struct LinkCounters {
  std::array<std::uint64_t, 2> bytes{}, packets{};  // by Direction
  std::uint64_t lost = 0;                           // segments "lost" (delivered after an RTO)
  std::uint64_t connections = 0;                    // open now
};

class LinkShaper {
 public:
  using LinkIndex = std::size_t;
  /// Link indices from the device outwards.
  using Path = std::vector<LinkIndex>;

  /// Every link the shaper knows, with its initial spec.
  explicit LinkShaper(const std::map<std::string, LinkSpec>& links);

  std::size_t size() const { return links_.size(); }
  std::optional<LinkIndex> find(std::string_view link) const;
  const std::string& name(LinkIndex link) const { return links_[link].name; }
  const LinkSpec& spec(LinkIndex link) const { return links_[link].spec; }
  const LinkCounters& counters(LinkIndex link) const { return links_[link].counters; }
  /// Resolves link ids (device outwards); throws std::invalid_argument naming an unknown one.
  Path path(const std::vector<std::string>& links) const;

  /// Replaces a link's spec. Its generator restarts only when the seed changes.
  void set_spec(LinkIndex link, const LinkSpec& spec);

  /// Whether every link of the path is up.
  bool up(const Path& path) const;
  /// When a segment of `bytes` entering `path` in `direction` at `now` leaves it (never before
  /// `not_before`). Counts it (bytes, packets, losses) when `count`. Call only when up(path).
  TimePoint cross(const Path& path, Direction direction, std::size_t bytes, TimePoint now,
                  TimePoint not_before, bool count = true);

  void connection_opened(const Path& path);
  void connection_closed(const Path& path);

 private:
  struct Link {
    std::string name;
    LinkSpec spec;
    std::uint64_t state = 0;                // the generator (splitmix64): reproducible anywhere
    std::array<TimePoint, 2> busy_until{};  // by Direction
    LinkCounters counters;
  };
  static std::uint64_t seed_of(const std::string& name, const LinkSpec& spec);
  static double uniform(Link& link);  // [0, 1)
  std::chrono::nanoseconds rto_of(const Path& path) const;

  std::vector<Link> links_;
  std::map<std::string, LinkIndex, std::less<>> index_;
};

}  // namespace snet::network
