// Defaults shared by snet-whisk and its clients (the relayer's OpenWhisk backend, deploy), so a
// fresh checkout works with no configuration and a real OpenWhisk is one variable away.
#pragma once

namespace snet::openwhisk {

/// OpenWhisk's usual local port; snet-whisk listens here unless told otherwise.
inline constexpr int kDefaultPort = 3233;
inline constexpr const char* kDefaultApiHost = "http://127.0.0.1:3233";
/// The guest key that OpenWhisk's standalone and devtools deployments publish (docs/actions.md).
/// It is a development credential, not a secret: snet-whisk binds to loopback by default.
inline constexpr const char* kDevAuth =
    "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:"
    "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";
/// OpenWhisk waits this long for a blocking invocation before answering 202.
inline constexpr long kBlockingWaitMs = 60000;

}  // namespace snet::openwhisk
