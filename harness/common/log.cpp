#include "common/log.hpp"

#include <unistd.h>

#include <ctime>
#include <spdlog/sinks/stdout_sinks.h>

#include "common/error.hpp"

namespace cast::log {

void configure(const std::string& level, bool verbose, bool quiet) {
  auto lv = spdlog::level::from_str(level);
  // from_str answers "off" for a name it does not know: only "off" itself means off.
  if (lv == spdlog::level::off && level != "off")
    fail("unknown --log-level '", level, "'; valid: trace, debug, info, warn, error, off");
  if (verbose && lv > spdlog::level::debug) lv = spdlog::level::debug;
  if (quiet && lv < spdlog::level::warn) lv = spdlog::level::warn;
  auto logger = spdlog::stdout_logger_mt("cast");
  logger->set_level(lv);
  if (::isatty(1)) logger->set_pattern("%v");
  else logger->set_pattern("[%Y-%m-%d %H:%M:%S] %l: %v");
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

std::string step_log_header(const std::string& exe, const std::vector<std::string>& args) {
  char when[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  std::string line = std::string("# ") + when + " started:\n# " + exe;
  for (const auto& a : args) {
    const bool plain = !a.empty() && a.find_first_of(" \t\"'$\\") == std::string::npos;
    line += " " + (plain ? a : "'" + a + "'");
  }
  return line + "\n";
}

}  // namespace cast::log
