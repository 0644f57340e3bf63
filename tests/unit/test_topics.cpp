#include <doctest/doctest.h>

#include "snet/topics.hpp"

using namespace snet;

TEST_CASE("topics are built and parsed symmetrically") {
  const std::string t = topics::make("single", topics::Kind::press, "button-1");
  CHECK(t == "snet/single/press/button-1");
  auto parsed = topics::parse(t);
  REQUIRE(parsed);
  CHECK(parsed->topology == "single");
  CHECK(parsed->kind == topics::Kind::press);
  CHECK(parsed->device == "button-1");
  CHECK(topics::all("x", topics::Kind::state) == "snet/x/state/+");
  // An actuator's restore marker is one of ours too.
  CHECK(topics::make("x", topics::Kind::sync, "lamp") == "snet/x/sync/lamp");
  const auto sync = topics::parse("snet/x/sync/lamp");
  REQUIRE(sync);
  CHECK(sync->kind == topics::Kind::sync);
  CHECK(sync->device == "lamp");
}

TEST_CASE("foreign or malformed topics are not ours") {
  const char* bad[] = {"",
                       "snet",
                       "snet/a/press",
                       "snet/a/press/",
                       "other/a/press/b",
                       "snet/a/unknown/b",
                       "snet/a/press/b/extra",
                       "snet//press/b"};
  for (const char* t : bad) {
    CAPTURE(t);
    CHECK_FALSE(topics::parse(t));
  }
}

TEST_CASE("readings have their own topic kind") {
  CHECK(topics::make("campus", topics::Kind::reading, "thermo-1") ==
        "snet/campus/reading/thermo-1");
  const auto parsed = topics::parse("snet/campus/reading/thermo-1");
  REQUIRE(parsed);
  CHECK(parsed->kind == topics::Kind::reading);
  CHECK(parsed->device == "thermo-1");
}
