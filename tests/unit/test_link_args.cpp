// `snet link`'s units and table cells (cli/link_args.hpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "link_args.hpp"
#include "snet/flags.hpp"

using namespace snet;
using namespace snet::cli;
using nlohmann::json;

TEST_CASE("durations, percentages and rates as a person types them") {
  CHECK(parse_link_ms("--latency", "50ms") == 50);
  CHECK(parse_link_ms("--latency", "50") == 50);
  CHECK(parse_link_ms("--latency", "1.5s") == 1500);
  CHECK(parse_link_ms("--jitter", "500us") == 0.5);
  CHECK(parse_link_ms("--latency", "0") == 0);
  CHECK_THROWS_WITH_AS(parse_link_ms("--latency", "5parsecs"),
                       "--latency: '5parsecs' is not a duration like 50ms or 1.5s", UsageError);
  CHECK_THROWS_AS(parse_link_ms("--latency", "-5ms"), UsageError);
  CHECK_THROWS_AS(parse_link_ms("--latency", ""), UsageError);
  CHECK_THROWS_AS(parse_link_ms("--latency", "1.2.3ms"), UsageError);

  CHECK(parse_link_percent("--loss", "2%") == 2);
  CHECK(parse_link_percent("--loss", "0.5") == 0.5);
  CHECK_THROWS_WITH_AS(parse_link_percent("--loss", "2x"),
                       "--loss: '2x' is not a percentage like 2% or 0.5%", UsageError);

  CHECK(parse_link_rate_kbit("--rate", "128kbit") == 128);
  CHECK(parse_link_rate_kbit("--rate", "2mbit") == 2000);
  CHECK(parse_link_rate_kbit("--rate", "2Mbit") == 2000);
  CHECK(parse_link_rate_kbit("--rate", "1gbit") == 1'000'000);
  CHECK(parse_link_rate_kbit("--rate", "64000bit") == 64);
  CHECK(parse_link_rate_kbit("--rate", "256kbit/s") == 256);
  CHECK_FALSE(parse_link_rate_kbit("--rate", "none").has_value());
  CHECK_FALSE(parse_link_rate_kbit("--rate", "unlimited").has_value());
  CHECK_THROWS_WITH_AS(parse_link_rate_kbit("--rate", "12parsecs"),
                       doctest::Contains("--rate: '12parsecs' is not a rate like 128kbit or 2mbit"),
                       UsageError);
  CHECK_THROWS_AS(parse_link_rate_kbit("--rate", "128"), UsageError);      // which unit?
  CHECK_THROWS_AS(parse_link_rate_kbit("--rate", "128kbps"), UsageError);  // tc: bytes; ambiguous
}

TEST_CASE("the flags of one call become a partial update") {
  LinkFlags flags;
  CHECK(link_patch(flags) == json::object());
  flags.latency = "50ms";
  flags.loss = "2%";
  flags.rate = "none";
  flags.down = true;
  flags.seed = "7";
  CHECK(link_patch(flags) ==
        json::parse(R"({"latency_ms": 50, "loss_pct": 2, "rate_kbit": null, "up": false,
                        "seed": 7})"));
  flags.up = true;
  CHECK_THROWS_WITH_AS(link_patch(flags), doctest::Contains("not both"), UsageError);
  LinkFlags bad_seed;
  bad_seed.seed = "-1";
  CHECK_THROWS_WITH_AS(link_patch(bad_seed), doctest::Contains("--seed"), UsageError);
}

TEST_CASE("table cells of a link") {
  CHECK(link_spec_cell(json::object()) == "ideal");
  CHECK(link_spec_cell(json::parse(R"({"latency_ms": 50, "jitter_ms": 5, "loss_pct": 2,
                                       "rate_kbit": 2000})")) == "50ms ±5ms 2% loss 2mbit");
  CHECK(link_spec_cell(json::parse(R"({"up": false, "rate_kbit": 128})")) == "CUT 128kbit");
  CHECK(link_engines_cell(json::object()) == "-");
  CHECK(link_engines_cell(json::parse(
            R"({"latency_ms": "process", "rate_kbit": "kernel", "loss_pct": "process"})")) ==
        "rate_kbit:kernel latency_ms,loss_pct:process");
  CHECK(link_engines_cell(json::parse(R"({"latency_ms": "process", "up": "process"})")) ==
        "process");
  CHECK(link_traffic_cell(json::parse(R"({"bytes_up": 0, "bytes_down": 0})")) == "-");
  CHECK(link_traffic_cell(json::parse(R"({"bytes_up": 1234, "bytes_down": 56, "packets_up": 10,
      "packets_down": 2, "dropped": 3, "connections": 1})")) ==
        "up 1.2kB/10p down 56B/2p, 3 dropped, 1 conn");
  CHECK(text_table({{"LINK", "SPEC", "X"}, {"field", "80ms ±10ms", "y"}, {"a", "-", "z"}}) ==
        "LINK   SPEC        X\n"
        "field  80ms ±10ms  y\n"
        "a      -           z\n");
}
