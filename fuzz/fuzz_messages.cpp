// Fuzz target: the bus message parsers (snet/message.hpp, link.hpp, scenario_status.hpp): a
// press, command, state report, press error, device control, service status, link update, link
// report or scenario status, as received from the broker. The first byte picks the parser, the
// rest is the payload. A payload is either parsed or refused with BadMessage; what is parsed
// serialises again (to_json), and that text parses to the same message: a service that
// republishes or stores a message it accepted cannot fail on it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "snet/link.hpp"
#include "snet/message.hpp"
#include "snet/scenario_status.hpp"

namespace {

// parse(to_json(parse(payload))) serialises to the same text as parse(payload).
template <typename Parse>
void round_trip(Parse parse, std::string_view payload) {
  std::string once;
  try {
    once = to_json(parse(payload));
  } catch (const snet::BadMessage& e) {
    SNET_FUZZ_CHECK(!e.reason.empty());
    return;
  }
  std::string twice;
  try {
    twice = to_json(parse(once));
  } catch (const snet::BadMessage& e) {
    SNET_FUZZ_CHECK(!"an accepted message, serialised again, is refused");
  }
  SNET_FUZZ_CHECK(once == twice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  snet::fuzz::Fields in(data, size);
  const std::uint8_t which = in.byte();
  const std::string_view payload = in.rest();
  switch (which % 10) {
    case 0:
      return round_trip(snet::parse_press, payload), 0;
    case 1:
      return round_trip(snet::parse_command, payload), 0;
    case 2:
      return round_trip(snet::parse_state, payload), 0;
    case 3:
      return round_trip(snet::parse_press_error, payload), 0;
    case 4:
      return round_trip(snet::parse_device_control, payload), 0;
    case 5:
      return round_trip(snet::parse_status, payload), 0;
    case 6:
      return round_trip(snet::parse_link_update, payload), 0;
    case 7:
      return round_trip(snet::parse_link_report, payload), 0;
    case 8:
      return round_trip(snet::parse_scenario_status, payload), 0;
    default:
      return round_trip(snet::parse_reading, payload), 0;
  }
}
