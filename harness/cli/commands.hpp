// One registration function per subcommand (one source file each); main.cpp wires them up.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/tasks.hpp"

namespace cast::cli {

// A subcommand's action; returns the process exit code.
using Action = std::function<int()>;

void register_doctor(CLI::App& app, Action& action);
void register_inspect(CLI::App& app, Action& action);
void register_data(CLI::App& app, Action& action);
void register_lm(CLI::App& app, Action& action);
void register_describe(CLI::App& app, Action& action);
void register_train(CLI::App& app, Action& action);
void register_pretrain(CLI::App& app, Action& action);
void register_calibrate(CLI::App& app, Action& action);  // cast calibrate: step times per model and device
void register_results(CLI::App& app, Action& action);
void register_predict(CLI::App& app, Action& action);  // predict, explain, figure-data
void register_plot(CLI::App& app, Action& action);
void register_data_fetch(CLI::App* data, Action& action);  // cast data fetch
void register_reproduce(CLI::App& app, Action& action);
void register_catalog(CLI::App& app, Action& action);  // cast tasks, cast models

// The data folder: $CAST_DATA_DIR, else ../shared/data or shared/data near the working
// directory or the executable, else the repository's embedded demo set data/demo (same search
// roots); empty when none is found. *origin (if given) says which of these it is.
std::string find_data_dir(std::string* origin = nullptr);
// A path of the project (experiments/..., results/paper_table1.csv): relative to the working
// directory when it exists there, else next to the executable's source tree.
std::string repo_path(const std::string& rel);
// Tokenise with the encoder's vocabulary, truncating at no more than its position embeddings
// (a 128-position LM under a 256-token profile reads 128; the run's note says so).
void fit_tokens_to_encoder(PrepareOptions& po, const std::string& encoder_dir);
// The default cache folder: $CAST_CACHE_DIR, else ./cache.
std::string default_cache_dir();

// The shared data file for a task when no --source is given (empty when none is found).
std::string default_data_source(Task t);

// Dataset options as train, pretrain and finetune use them: the task's source (or the default
// one; fails naming what to pass when none), the default cache, progress unless quiet.
PrepareOptions dataset_options(const std::string& task, const std::string& source, std::size_t limit, bool quiet,
                               std::size_t max_tokens);

// --task T [--target FIELD --unit U] [--filters paper|none], as train and data prepare take them.
struct TaskArgs {
  std::string task, target, unit, filters;
};
void add_task_options(CLI::App* cmd, TaskArgs& t);
// The dataset options for these task arguments (dataset_options, then the custom task's field and
// unit, then --filters); fails naming the option that is wrong.
PrepareOptions task_dataset_options(const TaskArgs& t, const std::string& source, std::size_t limit, bool quiet,
                                    std::size_t max_tokens);
// Every removal of a prepared dataset, by reason and count, on one line per reason.
void print_removals(const Dataset& d);

}  // namespace cast::cli
