// Running the cluster's command-line tools (sbatch, squeue, scancel) and writing shell scripts:
// a command's exit status with its stdout and stderr kept apart, a program looked up on PATH,
// and POSIX shell quoting for the job scripts a person reads.
#pragma once
#include <string>
#include <vector>

namespace cast::exec {

struct CommandResult {
  int status = -1;  // exit status; 127 when the program could not be started
  std::string out, err;
};

// Runs argv[0] (looked up on PATH) with no shell in between.
CommandResult run_command(const std::vector<std::string>& argv);

// The program's path on PATH, or "" when it is not there.
std::string find_program(const std::string& name);

// One word for a POSIX shell: unchanged when it is plain, else single-quoted.
std::string sh_quote(const std::string& s);
std::string sh_join(const std::vector<std::string>& words);

}  // namespace cast::exec
