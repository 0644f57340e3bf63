// For tests of the loaders that reject what they read with a list of errors (topologies,
// scenarios): the errors something is rejected with, and whether one mentions a text.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "snet/topology.hpp"

namespace snet::test {

/// The error list `load()` throws as an `Error` (with `errors`), failing the test if it throws
/// nothing; `what` names the input in that failure.
template <typename Error, typename Load>
std::vector<std::string> rejection_errors(Load&& load, const std::string& what) {
  try {
    load();
  } catch (const Error& e) {
    return e.errors;
  }
  FAIL("accepted: " << what);
  return {};
}

/// The error list of an invalid topology (fails the test if it was accepted).
inline std::vector<std::string> errors_of(const std::string& text) {
  return rejection_errors<TopologyError>([&] { (void)parse_topology_text(text); },
                                         "topology " + text);
}

/// Whether any error contains `needle`.
inline bool mentions(const std::vector<std::string>& errors, const std::string& needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

}  // namespace snet::test
