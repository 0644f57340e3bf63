// The `snet` subcommands. Each takes the whole argv and the index of its first own argument,
// prints its own output and returns the process exit code: 0 success, 1 failure, 2 usage error.
// Thread safety: each is a whole program run; call from main() only.
#pragma once

namespace snet::cli {

int validate_command(int argc, const char* const* argv, int first);
int press_command(int argc, const char* const* argv, int first);
int up_command(int argc, const char* const* argv, int first);
int compose_command(int argc, const char* const* argv, int first);
int compose_credentials_command(int argc, const char* const* argv, int first);
int stack_command(int argc, const char* const* argv, int first);
int health_command(int argc, const char* const* argv, int first);
int ctl_command(int argc, const char* const* argv, int first);
int link_command(int argc, const char* const* argv, int first);
int run_command(int argc, const char* const* argv, int first);

}  // namespace snet::cli
