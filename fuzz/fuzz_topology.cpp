// Fuzz target: the topology parser (parse_topology_text: JSON with comments -> a validated
// Topology). Any input either gives a topology that passes validate() or a TopologyError
// naming the problems; nothing else may escape. A parsed topology's queries (routes, links,
// sites) are exercised too, since the services call them right after loading.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "snet/topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  snet::Topology topology;
  try {
    topology = snet::parse_topology_text(text);
  } catch (const snet::TopologyError& e) {
    SNET_FUZZ_CHECK(!e.errors.empty());
    return 0;
  }
  SNET_FUZZ_CHECK(!topology.name.empty());
  SNET_FUZZ_CHECK(snet::validate(topology).empty());
  // A bounded sample: the queries are linear, and generated pairs make topologies of 10^5
  // devices (the parser's own cost is what matters there).
  constexpr std::size_t kSample = 32;
  const auto buttons = topology.buttons();
  for (std::size_t i = 0; i < buttons.size() && i < kSample; ++i) {
    const snet::Device* button = buttons[i];
    SNET_FUZZ_CHECK(topology.find(button->id) == button);
    for (const auto& target : topology.targets_of(button->id)) {
      const snet::Device* actuator = topology.find(target);
      SNET_FUZZ_CHECK(actuator != nullptr);
      (void)topology.key_of(*actuator);
      (void)topology.sources_of(target);
    }
  }
  const auto links = topology.links();
  for (std::size_t i = 0; i < topology.devices.size() && i < kSample; ++i) {
    const snet::Device& device = topology.devices[i];
    for (const auto& link : topology.link_path(device)) SNET_FUZZ_CHECK(links.count(link) == 1);
  }
  // A sensor's values stay within the envelope it declares (the state service serves it).
  const auto sensors = topology.sensors();
  for (std::size_t i = 0; i < sensors.size() && i < kSample; ++i) {
    const snet::SensorSpec& spec = *sensors[i]->sensor;
    const snet::Envelope envelope = snet::envelope_of(spec);
    snet::SensorSignal signal(spec);
    for (std::uint64_t k = 0; k < 64; k += 1 + k / 8) {
      const double v = signal.at(k);
      SNET_FUZZ_CHECK(v >= envelope.low - 1e-6 * (1 + std::abs(envelope.low)));
      SNET_FUZZ_CHECK(v <= envelope.high + 1e-6 * (1 + std::abs(envelope.high)));
    }
  }
  // A composite device reads a finite number whatever its parameters and switching.
  for (std::size_t i = 0; i < topology.devices.size() && i < kSample; ++i) {
    const auto& composite = topology.devices[i].composite;
    if (!composite) continue;
    snet::CompositeSignal signal(*composite);
    for (std::uint64_t k = 0; k < 64; k += 1 + k / 8) {
      SNET_FUZZ_CHECK(std::isfinite(signal.at(k, k % 3 == 0)));
    }
  }
  for (const auto& site : topology.sites) (void)topology.devices_in(site.id);
  for (const auto& compute : topology.computes) (void)topology.buttons_using(compute.name);
  return 0;
}
