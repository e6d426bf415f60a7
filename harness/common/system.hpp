// Small facts about the process's machine and clocks, in one place for every command.
#pragma once
#include <string>

namespace cast {

// This machine's host name ("" when it cannot be read): recorded beside measured step times and runs.
std::string host_name();
// Seconds on a steady clock (for durations; not a date).
double monotonic_seconds();
// Seconds since the Unix epoch (for timestamps written to the store).
double wall_seconds();

}  // namespace cast
