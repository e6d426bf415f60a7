#include "common/log.hpp"

#include <unistd.h>

#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/error.hpp"

namespace cast::log {
namespace {

// Information to stdout, warnings and errors to stderr (as the messages printed before spdlog
// went), so that `cast predict ... > out.csv` keeps a warning out of the data and on the screen.
// spdlog's sinks filter by a minimum level only, hence this small one.
// On a terminal (the message alone) a warning or error still says what it is.
class SplitSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit SplitSink(bool tag) : tag_(tag) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::FILE* f = msg.level >= spdlog::level::warn ? stderr : stdout;
    if (f == stderr) std::fflush(stdout);  // in order where both go to one file
    if (tag_ && f == stderr) std::fputs(msg.level == spdlog::level::warn ? "warning: " : "ERROR: ", f);
    std::fwrite(buf.data(), 1, buf.size(), f);
    std::fflush(f);
  }
  void flush_() override {
    std::fflush(stdout);
    std::fflush(stderr);
  }

 private:
  bool tag_;
};

}  // namespace

void configure(const std::string& level, bool verbose, bool quiet) {
  auto lv = spdlog::level::from_str(level);
  // from_str answers "off" for a name it does not know: only "off" itself means off.
  if (lv == spdlog::level::off && level != "off")
    fail("unknown --log-level '", level, "'; valid: trace, debug, info, warn, error, off");
  if (verbose && lv > spdlog::level::debug) lv = spdlog::level::debug;
  if (quiet && lv < spdlog::level::warn) lv = spdlog::level::warn;
  const bool tty = ::isatty(1) != 0;
  auto logger = std::make_shared<spdlog::logger>("cast", std::make_shared<SplitSink>(tty));
  logger->set_level(lv);
  if (tty) logger->set_pattern("%v");
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
