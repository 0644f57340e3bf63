// The process engine's policy (network/link_shaper): exact delays, jitter, rate, loss as
// retransmission delay, cuts and chains of links. Time is passed in: no clock, no waits.
#include <doctest/doctest.h>

#include <set>

#include "link_shaper.hpp"

using namespace snet;
using namespace snet::network;
using namespace std::chrono_literals;

namespace {

LinkSpec spec_of(std::optional<double> latency, std::optional<double> jitter = {},
                 std::optional<double> loss = {}, std::optional<double> rate = {}) {
  LinkSpec spec;
  spec.latency_ms = latency;
  spec.jitter_ms = jitter;
  spec.loss_pct = loss;
  spec.rate_kbit = rate;
  return spec;
}

const TimePoint t0 = TimePoint{} + 1h;

// Delay of one segment of `bytes` across `links` (device outwards) entering at t0.
std::chrono::microseconds delay(LinkShaper& shaper, const std::vector<std::string>& links,
                                Direction direction = Direction::up, std::size_t bytes = 100,
                                TimePoint at = t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
      shaper.cross(shaper.path(links), direction, bytes, at, {}) - at);
}

}  // namespace

TEST_CASE("link shaper: an ideal link releases a segment at once and counts it") {
  LinkShaper shaper({{"d1", LinkSpec{}}});
  CHECK(delay(shaper, {"d1"}) == 0us);
  CHECK(delay(shaper, {"d1"}, Direction::down, 300) == 0us);
  const auto& counters = shaper.counters(*shaper.find("d1"));
  CHECK(counters.bytes[0] == 100);
  CHECK(counters.bytes[1] == 300);
  CHECK(counters.packets[0] == 1);
  CHECK(counters.packets[1] == 1);
}

TEST_CASE("link shaper: latency without jitter is exact per crossing and direction") {
  LinkShaper shaper({{"d1", spec_of(50)}});
  for (int i = 0; i < 5; ++i) {
    CHECK(delay(shaper, {"d1"}, Direction::up) == 50ms);
    CHECK(delay(shaper, {"d1"}, Direction::down) == 50ms);
  }
}

TEST_CASE("link shaper: jitter stays within bounds and repeats with the same seed") {
  auto samples = [](std::optional<std::uint64_t> seed, const std::string& id) {
    LinkSpec spec = spec_of(20, 5);
    spec.seed = seed;
    LinkShaper shaper({{id, spec}});
    std::vector<std::chrono::microseconds> out;
    for (int i = 0; i < 500; ++i) out.push_back(delay(shaper, {id}));
    return out;
  };
  const auto a = samples(7, "d1");
  std::set<std::int64_t> distinct;
  for (auto d : a) {
    CHECK(d >= 15ms);
    CHECK(d <= 25ms);
    distinct.insert(d.count());
  }
  CHECK(distinct.size() > 100);
  CHECK(samples(7, "other-id") == a);  // the seed decides, not the id
  CHECK(samples(8, "d1") != a);
  // Without a seed: a stable hash of the link's id.
  CHECK(samples(std::nullopt, "d1") == samples(std::nullopt, "d1"));
  CHECK(samples(std::nullopt, "d1") != samples(std::nullopt, "d2"));
}

TEST_CASE("link shaper: jitter larger than latency never makes a negative delay") {
  LinkShaper shaper({{"d1", spec_of(1, 10)}});
  for (int i = 0; i < 200; ++i) CHECK(delay(shaper, {"d1"}) >= 0us);
}

TEST_CASE("link shaper: order within a connection direction is kept despite jitter") {
  LinkShaper shaper({{"d1", spec_of(20, 15)}});
  const auto path = shaper.path({"d1"});
  TimePoint previous{};
  for (int i = 0; i < 200; ++i) {
    const TimePoint release =
        shaper.cross(path, Direction::up, 10, t0 + std::chrono::microseconds(i * 100), previous);
    CHECK(release >= previous);
    previous = release;
  }
}

TEST_CASE("link shaper: N bytes take N*8/rate on a link shared by every connection") {
  LinkShaper shaper({{"d1", spec_of({}, {}, {}, 256)}});  // 256 kbit/s = 32 bytes per ms
  const auto path = shaper.path({"d1"});
  TimePoint at = t0;
  for (int i = 0; i < 100; ++i) at = shaper.cross(path, Direction::up, 1000, t0, {});
  // 100,000 bytes * 8 / 256 kbit/s = 3125 ms, whoever sent them.
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(at - t0) == 3125ms);
  // The other direction has its own budget.
  CHECK(delay(shaper, {"d1"}, Direction::down, 32) == 1ms);
  // An idle link starts afresh: no credit saved up.
  CHECK(delay(shaper, {"d1"}, Direction::up, 32, t0 + 10s) == 1ms);
}

TEST_CASE(
    "link shaper: loss delays a segment by an RTO of at least 200 ms that doubles when lost "
    "again") {
  LinkSpec always = spec_of(10, {}, 100);
  LinkShaper shaper({{"lossy", always}, {"sure", spec_of(10, {}, 0)}});
  // 100 %: lost 15 times, 200 ms doubling: 200 * (2^15 - 1) ms capped at 120 s each.
  std::chrono::milliseconds expected = 10ms;
  std::chrono::milliseconds rto = 200ms;
  for (int i = 0; i < kMaxRetransmissions; ++i) {
    expected += rto;
    rto = std::min<std::chrono::milliseconds>(rto * 2, kMaxRto);
  }
  CHECK(delay(shaper, {"lossy"}) == expected);
  CHECK(shaper.counters(*shaper.find("lossy")).lost == kMaxRetransmissions);

  LinkSpec some = spec_of(0, {}, 20);
  some.seed = 3;
  LinkShaper sometimes({{"d1", some}});
  int delayed = 0, total = 2000;
  for (int i = 0; i < total; ++i) {
    const auto d = delay(sometimes, {"d1"});
    if (d > 0us) {
      ++delayed;
      CHECK(d >= 200ms);
    }
  }
  // ~20 % of segments lost at least once.
  CHECK(delayed > total * 15 / 100);
  CHECK(delayed < total * 25 / 100);
  CHECK(sometimes.counters(0).lost >= static_cast<std::uint64_t>(delayed));
}

TEST_CASE("link shaper: the RTO follows a slow path's round trip") {
  LinkSpec lossy = spec_of(300, {}, 50);
  lossy.seed = 1;
  LinkShaper shaper({{"d1", lossy}});
  // RTO = max(200 ms, 2 x 300 ms): a lost segment comes 600 ms (then 1200 ms...) later.
  std::set<std::int64_t> delays_ms;
  for (int i = 0; i < 50; ++i) {
    delays_ms.insert(
        std::chrono::duration_cast<std::chrono::milliseconds>(delay(shaper, {"d1"})).count());
  }
  CHECK(delays_ms.count(300) == 1);
  CHECK(delays_ms.count(900) == 1);
  CHECK(delays_ms.count(500) == 0);
}

TEST_CASE("link shaper: a cut path is not up until restored") {
  LinkSpec cut;
  cut.up = false;
  LinkShaper shaper({{"d1", LinkSpec{}}, {"site", cut}});
  CHECK_FALSE(shaper.up(shaper.path({"d1", "site"})));
  CHECK(shaper.up(shaper.path({"d1"})));
  shaper.set_spec(*shaper.find("site"), LinkSpec{});
  CHECK(shaper.up(shaper.path({"d1", "site"})));
}

TEST_CASE("link shaper: a chain adds its delays and shares each link's rate") {
  LinkShaper shaper({{"d1", spec_of(5)},
                     {"d2", spec_of(7)},
                     {"floor", spec_of(10)},
                     {"campus", spec_of(20, {}, {}, 80)}});  // 80 kbit/s: 10 bytes per ms
  CHECK(delay(shaper, {"d1", "floor", "campus"}, Direction::up, 10) == 5ms + 10ms + 1ms + 20ms);
  CHECK(delay(shaper, {"d1", "floor", "campus"}, Direction::down, 10) == 1ms + 20ms + 10ms + 5ms);
  // d2 shares campus's up budget with d1: its 100 bytes wait for the 10 already sent.
  const auto path1 = shaper.path({"d1", "floor", "campus"});
  const auto path2 = shaper.path({"d2", "floor", "campus"});
  const TimePoint at = t0 + 1s;
  const TimePoint first = shaper.cross(path1, Direction::up, 100, at, {});
  const TimePoint second = shaper.cross(path2, Direction::up, 100, at, {});
  CHECK(first - at == 5ms + 10ms + 10ms + 20ms);
  // d2 reaches campus at 17 ms, but d1's segment has it until 25 ms.
  CHECK(second - at == 7ms + 10ms + 8ms + 10ms + 20ms);
  CHECK(shaper.counters(*shaper.find("campus")).bytes[0] == 210);
  CHECK(shaper.counters(*shaper.find("floor")).packets[0] == 3);
}

TEST_CASE("link shaper: connections are counted on every link of the path") {
  LinkShaper shaper({{"d1", LinkSpec{}}, {"site", LinkSpec{}}});
  const auto path = shaper.path({"d1", "site"});
  shaper.connection_opened(path);
  shaper.connection_opened(path);
  shaper.connection_closed(path);
  CHECK(shaper.counters(*shaper.find("site")).connections == 1);
  CHECK_THROWS_AS(shaper.path({"nope"}), std::invalid_argument);
}
