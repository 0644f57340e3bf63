#include "snet/version.hpp"

#ifndef SNET_VERSION
#define SNET_VERSION "unknown"
#endif

namespace snet {

const char* version() {
  return SNET_VERSION;
}

}  // namespace snet
