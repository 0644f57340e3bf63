// What a stack takes of the kernel's ephemeral ports (cli/port_budget.hpp): snet up refuses,
// with the numbers, what cannot fit instead of timing out.
#include <doctest/doctest.h>

#include "port_budget.hpp"

using namespace snet::cli;

namespace {

// topology/campus.json: 15,000 MQTT devices over the 4 agents of a 20,000-descriptor limit.
PortDemand campus(bool relayed) {
  PortDemand demand;
  demand.agents = relayed ? 4 : 1;
  demand.relayed = relayed;
  demand.mqtt_devices = 15'000;
  return demand;
}

constexpr long kDefaultRange = 60'999 - 32'768 + 1;  // 28,232

}  // namespace

TEST_CASE("ports: relayed devices take none of their own, the relay one per agent") {
  const PortBudget budget = port_budget(campus(true));
  CHECK(budget.listeners == 4);
  CHECK(budget.connections == 0);
  CHECK(budget.needed() == 4 + PortBudget::kHeadroom);
  CHECK(port_budget_problem(budget, kDefaultRange).empty());
}

TEST_CASE("ports: devices connecting directly take one each, from this host's address") {
  const PortBudget off = port_budget(campus(false));
  CHECK(off.listeners == 0);
  CHECK(off.connections == 15'000);
  CHECK(port_budget_problem(off, kDefaultRange).empty());

  PortDemand bigger = campus(false);
  bigger.mqtt_devices = 30'000;
  const std::string problem = port_budget_problem(port_budget(bigger), kDefaultRange);
  CHECK(problem.find("30256 loopback ports needed") != std::string::npos);
  CHECK(problem.find("30000 connections to one broker address") != std::string::npos);
  CHECK(problem.find("28232 ephemeral ports") != std::string::npos);
  CHECK(problem.find("--links process") != std::string::npos);
  bigger.relayed = true;  // the relay spreads them over its addresses
  CHECK(port_budget_problem(port_budget(bigger), kDefaultRange).empty());
}

TEST_CASE("ports: a broker elsewhere gets the relayed connections from one address") {
  PortDemand remote = campus(true);
  remote.broker_loopback = false;
  const PortBudget budget = port_budget(remote);
  CHECK(budget.connections == 15'000);
  CHECK(budget.needed() == 15'000 + 4 + PortBudget::kHeadroom);
  remote.placed = true;  // the kernel engine: each device from its own address
  CHECK(port_budget(remote).connections == 0);
}

TEST_CASE("ports: each broker address counts its own connections, external devices always") {
  PortDemand mixed;
  mixed.mqtt_devices = 100;
  mixed.amqp_devices = 300;
  mixed.external_mqtt = 250;
  mixed.external_amqp = 10;
  CHECK(port_budget(mixed).connections == 350);  // MQTT: 100 + 250; AMQP: 310
  mixed.relayed = true;
  CHECK(port_budget(mixed).connections == 250);  // the externals do not cross the relay
}

TEST_CASE("ports: an unknown range is assumed to fit, a tiny one does not") {
  CHECK(port_budget_problem(port_budget(campus(false)), 0).empty());
  CHECK_FALSE(port_budget_problem(port_budget(campus(true)), 100).empty());
}

TEST_CASE("ports: loopback broker hosts") {
  CHECK(loopback_v4_host("127.0.0.1"));
  CHECK(loopback_v4_host("127.1.2.3"));
  CHECK(loopback_v4_host("localhost"));
  CHECK_FALSE(loopback_v4_host("::1"));
  CHECK_FALSE(loopback_v4_host("10.213.0.1"));
  CHECK_FALSE(loopback_v4_host("broker"));
}
