// `snet actions deploy [DIR]`, ready for the CLI to dispatch to: creates or updates every
// actions/*.js through OpenWhisk's REST API (snet-whisk or a real OpenWhisk), configured like the
// relayer (--apihost/--auth/--namespace, OPENWHISK_* variables, ~/.wskprops, snet-whisk).
// Prints one line per action; returns 0 when all were deployed, 1 when one failed, 2 on a usage
// error. Thread safety: a whole program run; call from main() only.
#pragma once

#include <iosfwd>

namespace snet::cli {

/// argv[first] is the subcommand ("deploy"); output goes to `out`, problems to `err`.
int actions_command(int argc, const char* const* argv, int first, std::ostream& out,
                    std::ostream& err);

}  // namespace snet::cli
