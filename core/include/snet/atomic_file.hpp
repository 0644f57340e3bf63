// Writing a whole file so that readers (and a restart after a crash) see the old content or the
// new one, never half of it: run.json, device placements, session lists, snet-whisk's entities.
#pragma once

#include <string>
#include <string_view>

namespace snet {

/// The suffix of the temporary file write_file_atomically() renames into place; a leftover one
/// is a write cut short.
inline constexpr std::string_view kAtomicTemporarySuffix = ".tmp";

/// Writes `text` to `path + ".tmp"` with permission bits `mode`, flushes it to disk and renames it
/// over `path`. Throws std::runtime_error naming the file and the reason; no temporary is left.
void write_file_atomically(const std::string& path, std::string_view text, unsigned mode = 0644);

}  // namespace snet
