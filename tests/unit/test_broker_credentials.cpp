// Broker credentials (snet/broker_credentials.hpp): where a bus's login comes from, the secret
// file checks, and the device credentials file format.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <fstream>
#include <stdexcept>

#include "harness.hpp"
#include "snet/broker_credentials.hpp"

using snet::bus_login;

namespace {
std::string write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}
}  // namespace

TEST_CASE("the login: the URL's user, the password given, else the URL's, else the environment") {
  auto env = [] { return std::string("from-env"); };
  CHECK(bus_login("mqtt://relayer@h:1", "given", env).user == "relayer");
  CHECK(bus_login("mqtt://relayer@h:1", "given", env).password == "given");
  CHECK(bus_login("mqtt://relayer:inurl@h:1", "", env).password == "inurl");
  CHECK(bus_login("mqtt://relayer@h:1", "", env).password == "from-env");
  CHECK(bus_login("mqtt://snet.relayer%2D1@h:1", "", nullptr).user == "snet.relayer-1");
  // No user: anonymous, whatever the environment holds (an inherited variable does not turn an
  // anonymous client into a failed login).
  const auto anonymous = bus_login("mqtt://h:1", "", env);
  CHECK(anonymous.user.empty());
  CHECK(anonymous.password.empty());
  // A password given for no user is a mistake, said without showing the password.
  try {
    (void)bus_login("mqtt://h:1", "s3cret", nullptr);
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("needs a user") != std::string::npos);
    CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
  }
}

TEST_CASE("broker_password: a file or the variable, not both") {
  auto read = [](const std::string& path) { return "content of " + path; };
  CHECK(snet::broker_password("", "", read).empty());
  CHECK(snet::broker_password("", "pw", read) == "pw");
  CHECK(snet::broker_password("/f", "", read) == "content of /f");
  CHECK_THROWS_AS(snet::broker_password("/f", "pw", read), std::invalid_argument);
}

TEST_CASE("a secret file must be the owner's alone, non-empty, its line break dropped") {
  snet::test::TempDir dir("secret");
  const auto good = write_file(dir.path() + "/good", "p4ss\n", 0600);
  CHECK(snet::read_secret_file(good) == "p4ss");
  const auto shared = write_file(dir.path() + "/shared", "p4ss\n", 0644);
  CHECK_THROWS_WITH_AS(snet::read_secret_file(shared), doctest::Contains("chmod 600"),
                       std::invalid_argument);
  const auto empty = write_file(dir.path() + "/empty", "\n", 0600);
  CHECK_THROWS_WITH_AS(snet::read_secret_file(empty), doctest::Contains("empty"),
                       std::invalid_argument);
  CHECK_THROWS_AS(snet::read_secret_file(dir.path() + "/missing"), std::invalid_argument);
  CHECK_THROWS_AS(snet::read_secret_file(dir.path()), std::invalid_argument);  // a folder
}

TEST_CASE("credentials files: user:password lines, round trip, errors name the line") {
  const std::map<std::string, std::string> devices{{"button-1", "a:b"}, {"actuator-1", "x"}};
  CHECK(snet::parse_credentials(snet::format_credentials(devices)) == devices);
  CHECK(snet::parse_credentials("# comment\n\nb:1\r\n").at("b") == "1");
  CHECK_THROWS_WITH_AS(snet::parse_credentials("a:1\nnocolon\n"), doctest::Contains("line 2"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(snet::parse_credentials("a:1\na:2\n"), doctest::Contains("twice"),
                       std::invalid_argument);
  CHECK_THROWS_AS(snet::parse_credentials(":pw\n"), std::invalid_argument);
  CHECK_THROWS_AS(snet::parse_credentials("a:\n"), std::invalid_argument);
  snet::test::TempDir dir("creds");
  const auto shared = write_file(dir.path() + "/devices", "a:1\n", 0640);
  CHECK_THROWS_AS(snet::read_credentials_file(shared), std::invalid_argument);
  ::chmod(shared.c_str(), 0600);
  CHECK(snet::read_credentials_file(shared).at("a") == "1");
}

TEST_CASE("with_url_user puts a user in a URL, replacing any user info") {
  CHECK(snet::with_url_user("mqtt://127.0.0.1:1883", "button-1") ==
        "mqtt://button-1@127.0.0.1:1883");
  CHECK(snet::with_url_user("mqtt://old:pw@h:1", "new") == "mqtt://new@h:1");
  CHECK(snet::with_url_user("amqp://u@h:5672/snet", "d") == "amqp://d@h:5672/snet");
  CHECK(snet::with_url_user("mqtt://h:1", "a b") == "mqtt://a%20b@h:1");
  CHECK(snet::with_url_user("mqtt://u@h:1", "") == "mqtt://h:1");
}
