// For tests of the topology loader: the errors an invalid topology is rejected with.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "snet/topology.hpp"

namespace snet::test {

/// The error list of an invalid topology (fails the test if it was accepted).
inline std::vector<std::string> errors_of(const std::string& text) {
  try {
    (void)parse_topology_text(text);
  } catch (const TopologyError& e) {
    return e.errors;
  }
  FAIL("topology was accepted: " << text);
  return {};
}

/// Whether any error contains `needle`.
inline bool mentions(const std::vector<std::string>& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

}  // namespace snet::test
