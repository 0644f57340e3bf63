// Finds a topology file the way a person names it: a path ("topology/single.json", relative to
// the working directory), or a bare name ("campus") meaning topology/<name>.json; both looked up
// in the working directory, then in the installed share/serverlessnet/topology, then in the
// source tree. Returns an absolute path, or `name` unchanged when nothing matches (the loader
// then reports that the file cannot be opened).
// Thread safety: reads only the file system.
#pragma once

#include <string>

namespace snet::cli {

std::string resolve_topology_path(const std::string& name);

}  // namespace snet::cli
