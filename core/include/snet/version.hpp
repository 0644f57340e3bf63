// The version of this build: the project's, and the commit when built from a git checkout
// (e.g. "0.1.0 (df3eb2c)"). Every program prints it for --version (Flags) and `snet up` writes
// it into run.json.
#pragma once

namespace snet {

const char* version();

}  // namespace snet
