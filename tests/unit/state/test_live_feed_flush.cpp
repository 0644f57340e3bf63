// The live feed's adaptive flush: every kMinFlushGap while flushes are cheap (the dashboard stays
// fresh under load), longer when a flush is expensive, never past --flush-ms.
#include <doctest/doctest.h>

#include "live_feed.hpp"

using namespace snet::state;
using namespace std::chrono_literals;

TEST_CASE("live feed flush gap: a cheap flush waits the shortest gap, not --flush-ms") {
  CHECK(next_flush_gap(0us, 40ms) == kMinFlushGap);
  CHECK(next_flush_gap(200us, 40ms) == kMinFlushGap);
  CHECK(kMinFlushGap < 40ms);
}

TEST_CASE("live feed flush gap: an expensive flush waits ten times its cost, at most --flush-ms") {
  CHECK(next_flush_gap(1ms, 40ms) == 1ms * kFlushCostShare);
  CHECK(next_flush_gap(30ms, 40ms) == 40ms);
}

TEST_CASE("live feed flush gap: a --flush-ms below the shortest gap is kept") {
  CHECK(next_flush_gap(0us, 1ms) == 1ms);
  CHECK(next_flush_gap(5ms, 1ms) == 1ms);
}
