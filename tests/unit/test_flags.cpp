#include <doctest/doctest.h>

#include <cstdlib>

#include "snet/flags.hpp"

using namespace snet;

TEST_CASE("a flag wins over its environment variable, which wins over the default") {
  Flags flags("prog", "test");
  flags.add("port", "SNET_TEST_PORT_XYZ", "1883", "port").add_switch("verbose", "", "more");
  ::setenv("SNET_TEST_PORT_XYZ", "2000", 1);
  {
    const char* argv[] = {"prog"};
    REQUIRE(flags.parse(1, argv));
    CHECK(flags.integer("port", 1, 65535) == 2000);
  }
  const char* argv[] = {"prog", "--port=3000", "--verbose", "file.json"};
  REQUIRE(flags.parse(4, argv));
  CHECK(flags.integer("port", 1, 65535) == 3000);
  CHECK(flags.on("verbose"));
  CHECK(flags.positional() == std::vector<std::string>{"file.json"});
  ::unsetenv("SNET_TEST_PORT_XYZ");
}

TEST_CASE("bad flags are named in the error") {
  Flags flags("prog", "test");
  flags.add("port", "", "1883", "port");
  const char* unknown[] = {"prog", "--prot", "1"};
  CHECK_THROWS_WITH_AS(flags.parse(3, unknown), doctest::Contains("--prot"), UsageError);
  const char* bad[] = {"prog", "--port", "http"};
  REQUIRE(flags.parse(3, bad));
  CHECK_THROWS_WITH_AS((void)flags.integer("port", 1, 65535), doctest::Contains("--port"),
                       UsageError);
}

TEST_CASE("a list flag splits on commas and leaves empty items out") {
  Flags flags("prog", "test");
  flags.add("hosts", "", "", "names");
  const char* none[] = {"prog"};
  REQUIRE(flags.parse(1, none));
  CHECK(flags.list("hosts").empty());
  const char* some[] = {"prog", "--hosts", "a,,b.example,"};
  REQUIRE(flags.parse(3, some));
  CHECK(flags.list("hosts") == std::vector<std::string>{"a", "b.example"});
}
