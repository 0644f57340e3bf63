// Runs the external-device tests, or reports them skipped (exit 77, ctest's SKIP_RETURN_CODE)
// when Debian's python3-paho-mqtt, which the example device needs, is not installed
// (tools/setup.sh installs it).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing |= std::strncmp(argv[i], "--list", 6) == 0;
  if (!listing &&
      std::system("/usr/bin/python3 -c 'import paho.mqtt.client' >/dev/null 2>&1") != 0) {
    std::cout << "SKIPPED: /usr/bin/python3 cannot import paho.mqtt (apt-get install "
                 "python3-paho-mqtt, as tools/setup.sh does)"
              << std::endl;
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
