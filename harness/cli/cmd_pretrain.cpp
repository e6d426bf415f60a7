// cast pretrain --kind mnp|contrastive: the pretraining behind the `cast` and `multimat` rows.
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/dist_cli.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "train/device.hpp"
#include "train/pretrain.hpp"
#include "train/stop_signal.hpp"

namespace cast::cli {

void apply_profile(const std::string& profile, TrainConfig& c, std::size_t& max_tokens);
std::string default_text_encoder(const std::string& profile);

namespace {
struct PretrainCliArgs {
  std::string kind, task = "formation_energy", profile = "demo", source, text_encoder, out;
  int epochs = 0;
  std::size_t limit = 0;
  std::uint64_t seed = 0;
  double dropout = -1;
  bool quiet = false;
  std::string device = "cpu";
};
}  // namespace

void register_pretrain(CLI::App& app, Action& action) {
  auto a = std::make_shared<PretrainCliArgs>();
  auto dargs = std::make_shared<DistArgs>();
  auto* cmd = app.add_subcommand("pretrain", "Masked node prediction (CAST) or contrastive structure-text pretraining (MultiMat)");
  cmd->add_option("--kind", a->kind, "mnp | contrastive")->required()->check(CLI::IsMember({"mnp", "contrastive"}));
  cmd->add_option("--task", a->task, "Whose structures to pretrain on (targets unused)")->capture_default_str();
  cmd->add_option("--profile", a->profile, "demo | small | paper")->capture_default_str();
  cmd->add_option("--source", a->source, "Dataset file (default: the task's file in the data folder)");
  cmd->add_option("--text-encoder", a->text_encoder, "BERT checkpoint directory (default as for cast train)");
  cmd->add_option("--out", a->out, "Output folder for model.pt (default runs/pretrain-<kind>-<profile>)");
  cmd->add_option("--epochs", a->epochs, "Epochs (default 3)");
  cmd->add_option("--limit", a->limit, "First N entries");
  cmd->add_option("--seed", a->seed, "Seed")->capture_default_str();
  cmd->add_option("--dropout", a->dropout, "MNP: dropout of the cross-attention fusion (default 0.1)")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bars");
  cmd->add_option("--device", a->device, "cpu or cuda (bf16 autocast on CUDA)")->capture_default_str();
  add_dist_options(cmd, *dargs);
  cmd->callback([a, dargs, &action] {
    action = [a, dargs] {
      std::string device = a->device;
      resolve_device(device);  // a bad name or a missing GPU fails before any work
      DistRun dr = start_dist(*dargs, device, a->quiet);
      if (dr.parent_status) return *dr.parent_status;
      install_stop_handlers();  // USR1/SIGTERM/Ctrl-C: stop after a step, exit 75 (run again)
      TrainConfig c;
      std::size_t max_tokens = 512;
      apply_profile(a->profile, c, max_tokens);
      c.epochs = a->epochs > 0 ? a->epochs : 3;
      c.seed = a->seed;
      c.progress = !a->quiet;
      if (a->dropout >= 0) c.model.fusion.dropout = a->dropout;
      if (a->kind == "contrastive") { c.batch_size = 360; c.lr = 1e-4 * 360 / 256; }
      c.model.text_encoder = a->text_encoder.empty() ? default_text_encoder(a->profile) : a->text_encoder;
      if (c.model.text_encoder.empty())
        fail("pretraining reads text and no text encoder was found: pass --text-encoder DIR or run 'cast lm pretrain'");
      c.out_dir = a->out.empty() ? "runs/pretrain-" + a->kind + "-" + a->profile : a->out;
      c.comm = dr.comm;
      c.device = device;
      if (dr.lead) make_directories(c.out_dir);
      PrepareOptions po = dataset_options(a->task, a->source, a->limit, a->quiet, max_tokens);
      fit_tokens_to_encoder(po, c.model.text_encoder);
      po.filters.paper_filters = false;  // pretraining uses every readable structure
      po.progress = po.progress && dr.lead;
      Dataset d;
      dr.lead_first([&] { d = prepare_dataset(po); });
      std::printf("%s pretraining on %zu structures (%zu train, %zu val)\n", a->kind.c_str(), d.records.size(),
                  d.count(Split::Train), d.count(Split::Val));
      PretrainResult r;
      if (a->kind == "mnp") {
        std::printf("%-6s %-11s %s\n", "epoch", "train loss", "val masked-element accuracy");
        r = pretrain_mnp(d, c, 0.5, [](int e, double l, double acc) {
          std::printf("%-6d %-11.4f %.4f\n", e, l, acc);
          std::fflush(stdout);
        });
        std::printf("most-frequent-element rate on the same masks: %.4f\n", r.baseline);
      } else {
        std::printf("%-6s %-11s %s\n", "epoch", "train loss", "val loss");
        r = pretrain_contrastive(d, c, 0.2, [](int e, double l, double v) {
          std::printf("%-6d %-11.4f %.4f\n", e, l, v);
          std::fflush(stdout);
        });
      }
      nlohmann::json rec = {{"kind", a->kind}, {"profile", a->profile}, {"source", po.source},
                            {"text_encoder", c.model.text_encoder}, {"train_loss", r.train_loss},
                            {"val_metric", r.val_metric}, {"baseline", r.baseline}};
      if (dr.lead) write_file_atomic(c.out_dir + "/pretrain.json", rec.dump(1));
      std::printf("weights: %s (use: cast train --model %s --init-from %s)\n", r.weights.c_str(),
                  a->kind == "mnp" ? "cast" : "multimat", r.weights.c_str());
      return 0;
    };
  });
}

}  // namespace cast::cli
