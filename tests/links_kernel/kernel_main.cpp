// Runs the kernel link engine's integration tests, or reports them skipped (exit 77, ctest's
// SKIP_RETURN_CODE) when this machine cannot build network namespaces (not root, no netns).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>
#include <iostream>

#include "capabilities.hpp"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing |= std::strncmp(argv[i], "--list", 6) == 0;
  if (!listing) {
    const auto found = snet::kernel::detect_capabilities();
    if (!found.can_build_namespaces()) {
      std::cout << "SKIPPED: no network namespaces here (root and netns needed)";
      for (const auto& problem : found.problems) std::cout << "\n  " << problem;
      std::cout << std::endl;
      return 77;
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}
