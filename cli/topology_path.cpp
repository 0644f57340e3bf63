#include "topology_path.hpp"

#include <filesystem>
#include <vector>

#include "snet/process.hpp"

namespace snet::cli {
namespace fs = std::filesystem;

std::string resolve_topology_path(const std::string& name) {
  std::vector<fs::path> candidates = {name};
  const bool bare = name.find('/') == std::string::npos && fs::path(name).extension() != ".json";
  const fs::path file = bare ? fs::path(name + ".json") : fs::path(name).filename();
  if (bare) candidates.push_back(fs::path("topology") / file);
  candidates.push_back(fs::path(self_dir()) / "../share/serverlessnet/topology" / file);
  candidates.push_back(fs::path(SNET_SOURCE_DIR) / "topology" / file);
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return fs::canonical(candidate).string();
  }
  return name;
}

}  // namespace snet::cli
