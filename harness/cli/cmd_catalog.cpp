// cast tasks | cast models: what exists, in a line each.
#include <cstdio>

#include "baselines/regressors.hpp"
#include "cli/commands.hpp"

namespace cast::cli {

void register_catalog(CLI::App& app, Action& action) {
  auto* tasks = app.add_subcommand("tasks", "The tasks: the paper's four (and formation energy) and 'custom'");
  tasks->callback([&action] {
    action = [] {
      std::printf("%-17s %-11s %s\n", "task", "unit", "what");
      for (const auto& t : all_tasks())
        std::printf("%-17s %-11s %s\n", t.name, *t.unit ? t.unit : "(--unit)", t.description);
      std::printf("\nThe paper's tasks apply its dataset filters (--filters none turns them off); a custom task reads\n"
                  "--target FIELD of your own source (an id_prop.csv's value column by default) with no filters\n"
                  "unless --filters paper.\n");
      return 0;
    };
  });
  auto* models = app.add_subcommand("models", "The seven models of Table 1");
  models->callback([&action] {
    action = [] {
      std::printf("%-17s %-6s %s\n", "model", "text", "what");
      for (const auto& m : model_kinds())
        std::printf("%-17s %-6s %s\n", m.c_str(), model_uses_text(m) ? "yes" : "no", model_summary(m).c_str());
      return 0;
    };
  });
}

}  // namespace cast::cli
