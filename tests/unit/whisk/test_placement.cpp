// snet-whisk's placement policy (whisk/placement.hpp), no Node.js: which worker an activation
// goes to, how many workers the queue needs, which idle workers make room, how many to prewarm.
#include <doctest/doctest.h>

#include <map>
#include <vector>

#include "placement.hpp"

using namespace snet::whisk::placement;
using Clock = std::chrono::steady_clock;
using Pool = std::map<std::uint64_t, WorkerView>;

namespace {

const Clock::time_point kT0{};

WorkerView ready(std::uint64_t revision, std::size_t assigned = 0, int used_at = 0) {
  return {WorkerState::ready, revision, assigned, false, kT0 + std::chrono::seconds(used_at)};
}
WorkerView fresh() {
  return {WorkerState::fresh, 0, 0, false, kT0};
}
WorkerView starting() {
  return {WorkerState::starting, 0, 0, false, kT0};
}
WorkerView retiring(WorkerView w) {
  w.retiring = true;
  return w;
}

}  // namespace

TEST_CASE("an activation goes to a warm worker of its code with room, else a prewarmed one") {
  Pool pool{{1, fresh()}, {2, ready(7, 1)}, {3, ready(8, 0)}};
  // Revision 8 is warm and idle: no cold start, even though a prewarmed worker comes first.
  CHECK(choose_worker(pool, {8, 1}) == Choice{3, false});
  // Revision 7's worker is full at concurrency 1, has room at 2.
  CHECK(choose_worker(pool, {7, 1}) == Choice{1, true});
  CHECK(choose_worker(pool, {7, 2}) == Choice{2, false});
  // New code: the prewarmed worker is initialized for it.
  CHECK(choose_worker(pool, {9, 1}) == Choice{1, true});
}

TEST_CASE("an initializing worker takes more of its own code up to its concurrency") {
  Pool pool{{1, {WorkerState::initializing, 5, 2, false, kT0}}};
  CHECK(choose_worker(pool, {5, 3}) == Choice{1, false});
  CHECK_FALSE(choose_worker(pool, {5, 2}));
}

TEST_CASE("retiring, starting and other code's workers take nothing: the activation waits") {
  Pool pool{{1, retiring(ready(5))}, {2, retiring(fresh())}, {3, starting()}, {4, ready(6)}};
  CHECK_FALSE(choose_worker(pool, {5, 4}));
  CHECK_FALSE(choose_worker(Pool{}, {5, 1}));
}

TEST_CASE("the queue needs one worker per concurrency-many activations of each code") {
  const std::vector<Demand> queue{{1, 1}, {1, 1}, {2, 3}, {2, 3}, {2, 3}, {2, 3}, {3, 0}};
  // Revision 1: 2 workers; revision 2: 4 at 3 each = 2; revision 3 (a bad limit): 1.
  CHECK(workers_needed(queue, std::identity{}) == 5);
  CHECK(workers_needed(std::vector<Demand>{}, std::identity{}) == 0);
}

TEST_CASE("growth counts workers already starting and stays within the pool's size") {
  const Pool pool{{1, starting()}, {2, ready(5, 1)}};
  CHECK(plan_growth(pool, 1, 8).start == 0);  // the starting one will do
  const Growth growth = plan_growth(pool, 4, 8);
  CHECK(growth.start == 3);
  CHECK(growth.retire.empty());
  CHECK(plan_growth(pool, 4, 3).start == 1);  // room for one more
  CHECK(plan_growth(pool, 4, 2).start == 0);  // full, and nobody idle
}

TEST_CASE("a full pool retires idle workers, least recently used first, never busy ones") {
  const Pool pool{{1, ready(5, 0, 30)},
                  {2, ready(6, 1, 1)},
                  {3, ready(7, 0, 10)},
                  {4, ready(8, 0, 20)},
                  {5, retiring(ready(9, 0, 0))}};
  Growth growth = plan_growth(pool, 2, 4);
  CHECK(growth.start == 2);
  CHECK(growth.retire == std::vector<std::uint64_t>{3, 4});
  growth = plan_growth(pool, 9, 4);  // only three are idle
  CHECK(growth.start == 3);
  CHECK(growth.retire == std::vector<std::uint64_t>{3, 4, 1});
  // Retiring workers do not count against the size: one start fits without retiring anyone.
  growth = plan_growth(pool, 2, 5);
  CHECK(growth.start == 2);
  CHECK(growth.retire == std::vector<std::uint64_t>{3});
}

TEST_CASE("the pool keeps `prewarm` workers starting or fresh, within its size") {
  CHECK(prewarm_shortfall(Pool{}, 2, 8) == 2);
  CHECK(prewarm_shortfall(Pool{{1, starting()}}, 2, 8) == 1);
  CHECK(prewarm_shortfall(Pool{{1, fresh()}, {2, starting()}}, 2, 8) == 0);
  CHECK(prewarm_shortfall(Pool{{1, ready(5)}, {2, ready(6)}}, 2, 3) == 1);
  CHECK(prewarm_shortfall(Pool{{1, ready(5)}, {2, retiring(ready(6))}}, 2, 2) == 1);
  CHECK(prewarm_shortfall(Pool{{1, ready(5)}}, 0, 8) == 0);
}
