// Log lines through spdlog: one logger for cast's messages (what it is doing, warnings), apart
// from its data output (tables, predictions, CSV), which stays on stdout as plain text.
// On a terminal a line is the message alone; otherwise (a step's log file, a Slurm log) it carries
// a timestamp and the level, so a log read later says when each thing happened. Information goes
// to stdout, warnings and errors to stderr.
#pragma once
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace cast::log {

// The level by name (trace, debug, info, warn, error, off); throws InputError naming the valid
// ones. verbose: debug; quiet: warnings and errors only. Called once by main.
void configure(const std::string& level, bool verbose, bool quiet);

// The first lines of a step's log file: when, and the command line that wrote it.
std::string step_log_header(const std::string& exe, const std::vector<std::string>& args);

}  // namespace cast::log
