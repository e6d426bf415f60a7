// cast: one binary, one subcommand per file. Exceptions inside, exit codes at the edge.
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "train/stop_signal.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "cast: cross-attention fusion of crystal structure and text for materials property "
      "prediction (a C++ reproduction of Lee et al., 2025)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cast ") + CAST_VERSION);
  cast::cli::Action action;
  // Log levels for every subcommand: cast --log-level debug train ... (or -v, before the subcommand).
  std::string log_level = "info";
  bool verbose = false;
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error, off")->capture_default_str();
  app.add_flag("-v,--verbose", verbose, "Debug messages (--log-level debug)");
  cast::cli::register_doctor(app, action);
  cast::cli::register_inspect(app, action);
  cast::cli::register_data(app, action);
  cast::cli::register_describe(app, action);
  cast::cli::register_lm(app, action);
  cast::cli::register_train(app, action);
  cast::cli::register_pretrain(app, action);
  cast::cli::register_calibrate(app, action);
  cast::cli::register_results(app, action);
  cast::cli::register_predict(app, action);
  cast::cli::register_plot(app, action);
  cast::cli::register_reproduce(app, action);
  cast::cli::register_catalog(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    cast::log::configure(log_level, verbose, false);
    return action ? action() : 0;
  } catch (const cast::StopRequested& e) {
    // Stopped by a signal at a checkpoint (train/stop_signal.hpp): "run me again".
    std::fprintf(stderr, "%s\n", e.what());
    return cast::kExitRequeue;
  } catch (const cast::InputError& e) {
    std::fprintf(stderr, "ERROR: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ERROR: %s\n", e.what());
    return 2;
  }
}
